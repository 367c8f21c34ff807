"""sweeper: scheduled; releases the credits of orders whose reservation ran out unpaid.

It needs the ledger and nothing else (no secret, no payment provider, no calculator), except on a
WeChat Pay or Alipay stack: there it asks the provider about each order's trades first, with that
provider's keys only (services.sweep_expired).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.observability import logger, metrics, traced

services.clients_at_init("dynamodb")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    released = services.sweep_expired(500, lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="OrdersExpired", unit=MetricUnit.Count, value=released)
    logger.info("reservations swept", extra={"released": released})
    return {"released": released}
