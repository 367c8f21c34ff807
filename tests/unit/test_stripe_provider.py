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
from carbonneutral.domain.orders import Beneficiary, Order, OrderStatus, Refund
from carbonneutral.domain.ranking import RetirementHint, entry_id_for
from carbonneutral.errors import Conflict, InvalidInput, InvalidSignature, NotConfigured
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
    # the session's event brings back what retiring the order reads, so it is read with the order
    assert form["metadata[hint]"] == "p-1 - i " + entry_id_for(
        "individual", "李雷", None, an_order().order_id
    )
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
    assert event.hint is None  # a session started before the hint: the retirement reads the order first
    hint = "p-1 cdcnf-2021 o org_0123456789abcdef01234567"
    body = stripe_event("checkout.session.completed", metadata={"order_id": "ord_x", "hint": hint})
    event = StripeProvider("sk", SECRET).parse_event(body, {"stripe-signature": sign(SECRET, body)})
    assert event.hint == hint and RetirementHint.decode(event.hint) == RetirementHint(
        "p-1", "cdcnf-2021", "organization", "org_0123456789abcdef01234567"
    )


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


def signed(body: str) -> dict[str, str]:
    return {"stripe-signature": sign(SECRET, body)}


def test_a_paid_session_names_its_payment_intent_and_an_amount_is_required() -> None:
    body = stripe_event("checkout.session.completed", payment_intent="pi_123")
    assert StripeProvider("sk", SECRET).parse_event(body, signed(body)).payment_ref == "pi_123"
    body = stripe_event("checkout.session.completed", amount_total=None)
    with pytest.raises(InvalidInput) as refused:
        StripeProvider("sk", SECRET).parse_event(body, signed(body))
    assert refused.value.field == "amount"


def charge_event(kind: str, obj: dict[str, object]) -> str:
    return json.dumps({"id": "evt_2", "object": "event", "type": kind, "data": {"object": obj}})


def test_a_refunded_charge_states_all_that_was_refunded_of_its_payment() -> None:
    body = charge_event(
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": "pi_123",
            "amount": 2890,
            "amount_refunded": 1000,
            "currency": "cny",
        },
    )
    event = StripeProvider("sk", SECRET).parse_event(body, signed(body))
    assert (event.outcome, event.order_id, event.payment_ref) == ("refunded", None, "pi_123")
    assert event.amount == Money(amount=Decimal("10.00"), currency="CNY")


@pytest.mark.parametrize(
    ("kind", "status", "outcome"),
    [
        ("charge.dispute.created", "needs_response", "disputed"),
        ("charge.dispute.closed", "won", "dispute_won"),
        ("charge.dispute.closed", "lost", "dispute_lost"),
        ("charge.dispute.updated", "under_review", "ignored"),
    ],
)
def test_disputes_are_read_from_their_payment_intent(kind: str, status: str, outcome: str) -> None:
    body = charge_event(
        kind,
        {
            "id": "dp_1",
            "object": "dispute",
            "payment_intent": "pi_123",
            "amount": 2890,
            "currency": "cny",
            "status": status,
        },
    )
    event = StripeProvider("sk", SECRET).parse_event(body, signed(body))
    assert (event.outcome, event.payment_ref) == (outcome, "pi_123")


def test_a_refund_goes_through_stripes_refunds_api_once_per_key(fake_stripe) -> None:
    provider = StripeProvider("sk_test_123", SECRET, api_base=fake_stripe.url)
    refund = Refund(
        amount=Money(amount=Decimal("28.90")),
        reason="paid twice",
        event_id="evt_9",
        provider="stripe",
        payment_ref="pi_9",
    )
    first = provider.refund(an_order(), refund, "refund:ord_abcdefghijklmnopqrstuv:stripe:evt_9")
    again = provider.refund(
        an_order(), refund, "refund:ord_abcdefghijklmnopqrstuv:stripe:evt_9"
    )  # after a crash
    assert first.refund_ref == again.refund_ref and len(fake_stripe.refunds) == 1  # paid back once
    asked = [r for r in fake_stripe.requests if r["path"] == "/v1/refunds"]
    assert [r["idempotency_key"] for r in asked] == ["refund:ord_abcdefghijklmnopqrstuv:stripe:evt_9"] * 2
    assert asked[0]["form"]["payment_intent"] == "pi_9" and asked[0]["form"]["amount"] == "2890"
    assert first.event is not None and first.event.event_id == again.event.event_id  # applied once
    assert (first.event.outcome, first.event.order_id, first.event.amount) == (
        "refunded",
        "ord_abcdefghijklmnopqrstuv",
        refund.amount,
    )


def test_a_refund_without_its_payment_intent_is_refused_not_guessed(fake_stripe) -> None:
    provider = StripeProvider("sk_test_123", SECRET, api_base=fake_stripe.url)
    refund = Refund(amount=Money(amount=Decimal("1.00")), reason="x", event_id="evt_1", provider="stripe")
    with pytest.raises(NotConfigured, match="dashboard"):
        provider.refund(an_order(), refund, "k")
    assert fake_stripe.requests == []


def test_a_refund_stripe_refuses_is_a_conflict_for_that_refund_alone(fake_stripe) -> None:
    fake_stripe.refuse_refunds = True
    provider = StripeProvider("sk_test_123", SECRET, api_base=fake_stripe.url)
    refund = Refund(
        amount=Money(amount=Decimal("1.00")),
        reason="x",
        event_id="evt_1",
        provider="stripe",
        payment_ref="pi_1",
    )
    with pytest.raises(Conflict, match="disputed"):
        provider.refund(an_order(), refund, "k")
