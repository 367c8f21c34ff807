"""Stripe Checkout: card, and Alipay and WeChat Pay where the account has them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order
from carbonneutral.domain.payments import CheckoutStart, PaymentEvent
from carbonneutral.errors import InvalidSignature
from carbonneutral.payments.signing import TOLERANCE_S

SIGNATURE_HEADER = "stripe-signature"
_OUTCOMES = {
    "checkout.session.async_payment_succeeded": "succeeded",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "expired",
}


class StripeProvider:
    name = "stripe"
    checkout_origins: tuple[str, ...] = ("https://checkout.stripe.com",)

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
            "metadata": {"order_id": order.order_id},
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
        session = event["data"]["object"]
        outcome = _OUTCOMES.get(event["type"], "ignored")
        if event["type"] == "checkout.session.completed":
            outcome = "succeeded" if session.get("payment_status") == "paid" else "ignored"
        order_id = session.get("client_reference_id") or (session.get("metadata") or {}).get("order_id")
        amount = None
        if session.get("amount_total") is not None and session.get("currency"):
            amount = Money(
                amount=Decimal(session["amount_total"]) / 100, currency=str(session["currency"]).upper()
            )
        return PaymentEvent("stripe", str(event["id"]), outcome, order_id, amount, str(session.get("id")))  # type: ignore[arg-type]
