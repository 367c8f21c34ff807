"""The sandbox provider: a test checkout page that confirms through the signed webhook path."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order
from carbonneutral.domain.payments import CheckoutStart, PaymentEvent
from carbonneutral.errors import InvalidSignature
from carbonneutral.payments.signing import sign, verify

SIGNATURE_HEADER = "sandbox-signature"
_OUTCOMES = {"payment.succeeded": "succeeded", "payment.failed": "failed", "checkout.expired": "expired"}


class SandboxProvider:
    name = "sandbox"
    checkout_origins: tuple[str, ...] = ()  # its test checkout is one of the platform's own pages

    def __init__(self, webhook_secret: str) -> None:
        if len(webhook_secret) < 16:
            raise ValueError("the sandbox webhook secret must be at least 16 characters")
        self._secret = webhook_secret

    def start_checkout(self, order: Order, base_url: str, lang: str | None = None) -> CheckoutStart:
        # The test checkout is the platform's own page, reached with the order token: its URL is made
        # when answering the buyer, never stored.
        return CheckoutStart(url=None, reference=f"sbx_{order.order_id}")

    def event_for(
        self,
        order: Order,
        outcome: str = "payment.succeeded",
        *,
        amount: Money | None = None,
        event_id: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[str, dict[str, str]]:
        """A signed event, as the sandbox 'bank' sends it when the test checkout form is submitted."""
        paid = amount or order.amount
        body = json.dumps(
            {
                "id": event_id or "evt_" + secrets.token_urlsafe(12),
                "type": outcome,
                "created": int(time.time()) if timestamp is None else timestamp,
                "data": {
                    "order_id": order.order_id,
                    "reference": order.checkout_reference,
                    "amount": str(paid.amount),
                    "currency": paid.currency,
                },
            },
            separators=(",", ":"),
        )
        return body, {SIGNATURE_HEADER: sign(self._secret, body, timestamp)}

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent:
        verify(self._secret, body, headers.get(SIGNATURE_HEADER))
        try:
            event: dict[str, Any] = json.loads(body)
            data = event["data"]
            outcome = _OUTCOMES.get(event["type"], "ignored")
            amount = (
                Money(amount=Decimal(data["amount"]), currency=data["currency"]) if "amount" in data else None
            )
            return PaymentEvent(
                "sandbox",
                str(event["id"]),
                outcome,  # type: ignore[arg-type]
                str(data["order_id"]),
                amount,
                data.get("reference"),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise InvalidSignature("the event is signed but malformed", field="body") from exc
