"""sweeper: scheduled; releases the credits of orders whose reservation ran out unpaid.

It needs the ledger and nothing else: no secret, no payment provider, no calculator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.purchase import release_expired
from carbonneutral.observability import logger, metrics, traced


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    released = release_expired(services.ledger(), datetime.now(UTC).replace(microsecond=0), limit=500)
    metrics.add_metric(name="OrdersExpired", unit=MetricUnit.Count, value=released)
    logger.info("reservations swept", extra={"released": released})
    return {"released": released}
