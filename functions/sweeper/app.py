"""sweeper: scheduled; releases the credits of orders whose reservation ran out unpaid."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.observability import logger, metrics, traced


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    released = services.purchase_service().sweep(limit=500)
    metrics.add_metric(name="OrdersExpired", unit=MetricUnit.Count, value=released)
    logger.info("reservations swept", extra={"released": released})
    return {"released": released}
