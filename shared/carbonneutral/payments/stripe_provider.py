"""Stripe Checkout: card, and Alipay and WeChat Pay where the account has them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, Refund
from carbonneutral.domain.payments import CheckoutStart, PaymentEvent, RefundPaid
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.errors import Conflict, InvalidInput, InvalidSignature, NotConfigured
from carbonneutral.payments.signing import TOLERANCE_S

SIGNATURE_HEADER = "stripe-signature"
_OUTCOMES = {
    "checkout.session.async_payment_succeeded": "succeeded",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "expired",
    "charge.refunded": "refunded",  # the charge's amount_refunded: all that was refunded of it
    "charge.dispute.created": "disputed",
}


class StripeProvider:
    name = "stripe"
    checkout_origins: tuple[str, ...] = ("https://checkout.stripe.com",)
    methods: tuple[str, ...] = ()  # Stripe Checkout's own page offers them

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        *,
        payment_methods: tuple[str, ...] = ("card",),
        api_base: str | None = None,
    ) -> None:
        self._api_key, self._secret = api_key, webhook_secret
        self._methods, self._api_base = payment_methods, api_base
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            import stripe  # only the purchase path that uses Stripe pays for this import

            kwargs: dict[str, Any] = {"max_network_retries": 2}
            if self._api_base:
                kwargs["base_addresses"] = {"api": self._api_base}
            self._client = stripe.StripeClient(self._api_key, **kwargs)
        return self._client

    def start_checkout(self, order: Order, base_url: str, lang: str | None = None) -> CheckoutStart:
        # Back to the order's page without its token (Stripe keeps these URLs): the pages hold the
        # token in a cookie scoped to that page; an API client holds it itself.
        back = f"{base_url}/checkout/{order.order_id}?" + urlencode({"lang": lang or "zh-CN"})
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": order.order_id,
            # the event brings the metadata back: the hint lets the retirement read in one request
            "metadata": {"order_id": order.order_id, "hint": RetirementHint.of(order).encode()},
            "payment_method_types": list(self._methods),
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.amount.currency.lower(),
                        "unit_amount": order.amount.minor_units,
                        "product_data": {
                            "name": f"{order.quantity_kg} kg CO2e retired: {order.reason}"[:250]
                        },
                    },
                }
            ],
            "success_url": f"{back}&paid=1",
            "cancel_url": back,
            "locale": "zh" if (lang or "").startswith("zh") else "en" if lang else "auto",
            "expires_at": int(order.reserved_until.timestamp()),
        }
        if "wechat_pay" in self._methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        session = self.client().v1.checkout.sessions.create(params=params)
        return CheckoutStart(url=str(session.url), reference=str(session.id))

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent:
        import stripe

        try:
            event = stripe.Webhook.construct_event(
                body, headers.get(SIGNATURE_HEADER), self._secret, tolerance=TOLERANCE_S
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidSignature(
                "the Stripe signature is not valid", field="signature", location="header"
            ) from exc
        event = event.to_dict()  # stripe>=13 objects are not dicts
        obj = event["data"]["object"]
        kind = str(event["type"])
        outcome = _OUTCOMES.get(kind, "ignored")
        if kind == "checkout.session.completed":
            outcome = "succeeded" if obj.get("payment_status") == "paid" else "ignored"
        elif kind == "charge.dispute.closed":
            outcome = {"won": "dispute_won", "lost": "dispute_lost"}.get(str(obj.get("status")), "ignored")
        # A session names its order; a charge or a dispute only its PaymentIntent (the ledger maps it).
        order_id = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("order_id")
        field = {"charge.refunded": "amount_refunded"}.get(
            kind, "amount" if kind.startswith("charge.") else "amount_total"
        )
        amount = None
        if obj.get(field) is not None and obj.get("currency"):
            amount = Money(amount=Decimal(obj[field]) / 100, currency=str(obj["currency"]).upper())
        elif outcome in ("succeeded", "refunded"):
            raise InvalidInput(f"the event's {field} and currency are required", field="amount")
        payment_ref = obj.get("payment_intent")
        return PaymentEvent(
            "stripe",
            str(event["id"]),
            outcome,  # type: ignore[arg-type]
            order_id,
            amount,
            str(obj.get("id")) if kind.startswith("checkout.") else None,
            payment_ref=str(payment_ref) if payment_ref else None,
            hint=(obj.get("metadata") or {}).get("hint") if kind.startswith("checkout.") else None,
        )

    def refund(self, order: Order, refund: Refund, key: str) -> RefundPaid:
        """Stripe's Refunds API, with the key as Stripe's idempotency key: a retry after a crash gets
        the same refund back, never a second one."""
        if not refund.payment_ref:
            raise NotConfigured(
                f"the refund of order {order.order_id} names no PaymentIntent: refund it in Stripe's dashboard"
            )
        import stripe

        try:
            done = self.client().v1.refunds.create(
                params={
                    "payment_intent": refund.payment_ref,
                    "amount": refund.amount.minor_units,
                    "metadata": {"order_id": order.order_id, "payment_event": refund.event_id},
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as exc:  # e.g. a disputed charge: this refund waits, the others go on
            raise Conflict(f"Stripe did not refund it: {exc.user_message or exc}") from exc
        event = PaymentEvent(
            "stripe",
            f"refund:{done.id}",
            "refunded",
            order.order_id,
            refund.amount,
            payment_ref=refund.payment_ref,
            refund_ref=str(done.id),
        )
        return RefundPaid(str(done.id), event)

    def cancel_checkout(self, order: Order) -> list[PaymentEvent]:
        """Expires the order's Checkout Session, so the buyer can no longer pay it there. A payment
        made already comes as its webhook event (Stripe retries for days): nothing is returned."""
        import stripe

        from carbonneutral.observability import logger

        if not order.checkout_reference:
            return []
        try:
            self.client().v1.checkout.sessions.expire(order.checkout_reference)
        except stripe.StripeError as exc:  # best effort: a payment that still comes is refunded
            logger.warning("could not expire the checkout session", extra={"error": str(exc)})
        return []
