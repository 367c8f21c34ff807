"""sweeper: scheduled; releases the credits of orders whose reservation ran out unpaid.

It needs the ledger and nothing else (no secret, no payment provider, no calculator), except on a
WeChat Pay or Alipay stack: there it closes each order's trade at the provider and asks whether it
was paid first, with the provider's keys only (services.purchase_service().sweep).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.purchase import release_expired
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.settings import PaymentProviderName, get_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    if get_settings().payment_provider in (PaymentProviderName.wechatpay, PaymentProviderName.alipay):
        released = services.purchase_service().sweep(limit=500)
    else:
        released = release_expired(services.ledger(), datetime.now(UTC).replace(microsecond=0), limit=500)
    metrics.add_metric(name="OrdersExpired", unit=MetricUnit.Count, value=released)
    logger.info("reservations swept", extra={"released": released})
    return {"released": released}
