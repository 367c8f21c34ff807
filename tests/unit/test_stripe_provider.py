"""Stripe, offline: Checkout Session creation against a fake API on loopback, and webhook
signatures computed here with the signing secret."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Beneficiary, Order, OrderStatus
from carbonneutral.errors import InvalidSignature
from carbonneutral.payments.signing import sign
from carbonneutral.payments.stripe_provider import StripeProvider

from tests.fakes import FakeStripe

SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    yield fake
    fake.stop()


def an_order() -> Order:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    return Order(
        order_id="ord_abcdefghijklmnopqrstuv",
        status=OrderStatus.pending_payment,
        project_id="p-1",
        developer_id="dev-1",
        quantity_kg=340,
        amount=Money(amount=Decimal("28.90")),
        beneficiary=Beneficiary(name="李雷"),
        role="participant",
        reason="Carbon neutrality for a forum",
        reserved=[],
        reserved_until=now + timedelta(minutes=30),
        created_at=now,
        token_hash="x",
        provider="stripe",
    )


def test_checkout_session_asks_for_the_order_amount_in_fen(fake_stripe) -> None:
    provider = StripeProvider(
        "sk_test_123", SECRET, payment_methods=("card", "alipay", "wechat_pay"), api_base=fake_stripe.url
    )
    start = provider.start_checkout(an_order(), "https://neutral.example", "zh-CN")
    assert start.url.startswith("https://checkout.stripe.com/c/pay/cs_test_") and start.reference.startswith(
        "cs_test_"
    )
    (request,) = fake_stripe.requests
    form = request["form"]
    assert request["path"] == "/v1/checkout/sessions" and request["auth"] == "Bearer sk_test_123"
    assert form["line_items[0][price_data][unit_amount]"] == "2890"
    assert form["line_items[0][price_data][currency]"] == "cny"
    assert form["client_reference_id"] == "ord_abcdefghijklmnopqrstuv"
    assert [form[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "alipay", "wechat_pay"]
    assert form["payment_method_options[wechat_pay][client]"] == "web"
    assert form["expires_at"] == str(int(an_order().reserved_until.timestamp()))
    assert form["locale"] == "zh"  # Stripe's page in the buyer's language, and back to it afterwards
    assert (
        form["cancel_url"]
        == "https://neutral.example/checkout/ord_abcdefghijklmnopqrstuv?lang=zh-CN"  # no token: never stored
    )


def stripe_event(kind: str, **session: object) -> str:
    obj = {
        "id": "cs_test_123",
        "object": "checkout.session",
        "client_reference_id": "ord_abcdefghijklmnopqrstuv",
        "amount_total": 2890,
        "currency": "cny",
        "payment_status": "paid",
        **session,
    }
    return json.dumps({"id": "evt_1", "object": "event", "type": kind, "data": {"object": obj}})


def test_completed_and_paid_session_is_a_successful_payment() -> None:
    body = stripe_event("checkout.session.completed")
    event = StripeProvider("sk", SECRET).parse_event(body, {"stripe-signature": sign(SECRET, body)})
    assert (event.outcome, event.order_id, event.event_id) == (
        "succeeded",
        "ord_abcdefghijklmnopqrstuv",
        "evt_1",
    )
    assert event.amount == Money(amount=Decimal("28.90"), currency="CNY")


def test_completed_but_unpaid_session_waits_for_the_async_outcome() -> None:
    body = stripe_event("checkout.session.completed", payment_status="unpaid")
    assert (
        StripeProvider("sk", SECRET).parse_event(body, {"stripe-signature": sign(SECRET, body)}).outcome
        == "ignored"
    )
    body = stripe_event("checkout.session.async_payment_succeeded")
    assert (
        StripeProvider("sk", SECRET).parse_event(body, {"stripe-signature": sign(SECRET, body)}).outcome
        == "succeeded"
    )


def test_expired_session_releases() -> None:
    body = stripe_event("checkout.session.expired", payment_status="unpaid")
    assert (
        StripeProvider("sk", SECRET).parse_event(body, {"stripe-signature": sign(SECRET, body)}).outcome
        == "expired"
    )


@pytest.mark.parametrize(
    "header",
    [
        lambda body: sign("whsec_wrong_secret_000000", body),  # forged
        lambda body: sign(SECRET, body, int(time.time()) - 301),  # older than the 300 s tolerance
        lambda body: sign(SECRET, body + " "),  # body changed after signing
        lambda body: "",  # missing
    ],
)
def test_bad_signatures_are_refused(header) -> None:
    body = stripe_event("checkout.session.completed")
    with pytest.raises(InvalidSignature):
        StripeProvider("sk", SECRET).parse_event(body, {"stripe-signature": header(body)})
