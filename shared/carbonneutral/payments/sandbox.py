"""The sandbox provider: a test checkout page that confirms through the signed webhook path."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, Refund
from carbonneutral.domain.payments import CheckoutStart, PaymentEvent, RefundPaid
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.errors import InvalidInput, InvalidSignature
from carbonneutral.payments.signing import sign, verify

SIGNATURE_HEADER = "sandbox-signature"
_OUTCOMES = {
    "payment.succeeded": "succeeded",
    "payment.failed": "failed",
    "checkout.expired": "expired",
    "refund.succeeded": "refunded",  # data.amount: what was refunded of the payment in all
}


class SandboxProvider:
    name = "sandbox"
    checkout_origins: tuple[str, ...] = ()  # its test checkout is one of the platform's own pages
    methods: tuple[str, ...] = ()

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
        data = {
            "order_id": order.order_id,
            "reference": order.checkout_reference,
            "payment_ref": "sbxpay_" + secrets.token_urlsafe(12),  # each payment is one of its own
            "amount": str(paid.amount),
            "currency": paid.currency,
            "hint": RetirementHint.of(order).encode(),  # as a provider brings back its checkout's metadata
        }
        return self._signed(event_id or "evt_" + secrets.token_urlsafe(12), outcome, data, timestamp)

    def _signed(
        self, event_id: str, kind: str, data: dict[str, str | None], timestamp: int | None = None
    ) -> tuple[str, dict[str, str]]:
        body = json.dumps(
            {
                "id": event_id,
                "type": kind,
                "created": int(time.time()) if timestamp is None else timestamp,
                "data": data,
            },
            separators=(",", ":"),
        )
        return body, {SIGNATURE_HEADER: sign(self._secret, body, timestamp)}

    def refund(self, order: Order, refund: Refund, key: str) -> RefundPaid:
        """The sandbox 'bank' pays the refund back: a signed refund event, the same for the same key
        (so a retry is the same event, applied once), read back through the webhook's own parser."""
        event = self.parse_event(*self.refund_event(order, refund, key))
        assert event.refund_ref is not None
        return RefundPaid(event.refund_ref, event)

    def refund_event(self, order: Order, refund: Refund, key: str) -> tuple[str, dict[str, str]]:
        """The signed body and headers of `refund`'s event, as its webhook would receive them."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self._signed(
            f"evt_refund_{digest}",
            "refund.succeeded",
            {
                "order_id": order.order_id,
                "payment_ref": refund.payment_ref,
                "refund_ref": f"sbxre_{digest}",
                "amount": str(refund.amount.amount),
                "currency": refund.amount.currency,
            },
        )

    def cancel_checkout(self, order: Order) -> list[PaymentEvent]:
        """The test checkout is the platform's own page: a cancelled order shows no way to pay."""
        return []

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent:
        verify(self._secret, body, headers.get(SIGNATURE_HEADER))
        try:
            event: dict[str, Any] = json.loads(body)
            data = event["data"]
            outcome = _OUTCOMES.get(event["type"], "ignored")
            amount = (
                Money(amount=Decimal(data["amount"]), currency=data["currency"])
                if data.get("amount") is not None and data.get("currency") is not None
                else None
            )
            parsed = PaymentEvent(
                "sandbox",
                str(event["id"]),
                outcome,  # type: ignore[arg-type]
                str(data["order_id"]),
                amount,
                data.get("reference"),
                payment_ref=data.get("payment_ref"),
                refund_ref=data.get("refund_ref"),
                hint=data.get("hint"),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise InvalidSignature("the event is signed but malformed", field="body") from exc
        if amount is None and outcome in ("succeeded", "refunded"):
            raise InvalidInput("the event must state its amount and currency", field="amount")
        return parsed
