"""A stack deployed with PaymentProvider=stripe (Stripe's API faked on loopback): payments start
from the hosted pages in a real browser, Stripe's signed events retire the credits, and the
sandbox's webhook is not live."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack
from tests.fakes import FakeCheckoutPage, FakeStripe
from tests.support import CHROMIUM_FLAGS, Http

pytestmark = pytest.mark.integration

WEBHOOK_SECRET = "whsec_test_" + secrets.token_hex(12)
FOOTPRINT = {
    "kind": "scene",
    "scene_id": "cdcnf-2021",
    "activities": [{"type": "meal", "count": 2, "diet": "meat"}],
}


@pytest.fixture(scope="module")
def stripe_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, FakeStripe]]:
    fake = FakeStripe()
    stack = LocalStack(
        port=free_port(),
        quiet=True,
        export=False,
        parameters={"PaymentProvider": "stripe"},
        extra_environment={"PurchaseFunction": {"STRIPE_API_BASE": fake.url}},
        log_dir=tmp_path_factory.mktemp("stripe-logs"),
    )
    try:
        stack.start()
        for name, value in (
            ("stripe-api-key", "sk_test_" + secrets.token_hex(8)),
            ("stripe-webhook-secret", WEBHOOK_SECRET),
        ):
            done = stack.admin("put-secret", name, "--path", stack.secrets_path, stdin=value)
            assert done.returncode == 0, done.stderr
        yield stack, fake
    finally:
        stack.stop()
        fake.stop()


def footprint(http: Http) -> str:
    return str(http.post("/v1/footprints", json_body=FOOTPRINT).json()["footprint_id"])


def test_only_stripes_webhook_is_live(stripe_stack) -> None:
    stack, _ = stripe_stack
    http = Http(stack.url)
    assert http.get("/v1/payments/providers").json() == {
        "default": "stripe",
        "providers": ["stripe"],
        "test_payments_only": False,
    }
    assert http.post("/v1/payments/sandbox/webhook", json_body={}).status == 404


def test_an_order_from_the_api_gets_a_stripe_checkout_and_a_signed_event_retires_it(stripe_stack) -> None:
    from carbonneutral.payments.signing import sign

    stack, fake = stripe_stack
    http = Http(stack.url)
    placed = http.post(
        "/v1/orders",
        json_body={
            "footprint_id": footprint(http),
            "project_id": "cdcer-sichuan-biogas",
            "beneficiary": {"name": "Stripe buyer"},
        },
        headers={"Idempotency-Key": "st-" + secrets.token_hex(6)},
    )
    assert placed.status == 201, placed.body
    order = placed.json()
    assert order["payment"]["provider"] == "stripe"
    assert order["payment"]["checkout_url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    session = fake.requests[-1]["form"]
    # Stripe keeps these URLs: the order token is in none of them, nor in the stored order
    assert order["order_token"] not in json.dumps(session)
    assert session["success_url"].startswith(f"{stack.url}/checkout/{order['order_id']}?")
    assert int(session["line_items[0][price_data][unit_amount]"]) == round(
        float(order["amount"]["amount"]) * 100
    )
    event = json.dumps(
        {
            "id": "evt_" + secrets.token_hex(6),
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": order["payment"]["checkout_url"].split("/")[-1].split("#")[0],
                    "object": "checkout.session",
                    "client_reference_id": order["order_id"],
                    "amount_total": int(session["line_items[0][price_data][unit_amount]"]),
                    "currency": "cny",
                    "payment_status": "paid",
                }
            },
        }
    )
    applied = http.post(
        "/v1/payments/stripe/webhook",
        data=event.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(WEBHOOK_SECRET, event)},
    )
    assert applied.status == 200 and applied.json()["outcome"] == "retired"
    retired = http.get(
        f"/v1/orders/{order['order_id']}", headers={"Authorization": f"Bearer {order['order_token']}"}
    )
    assert retired.json()["status"] == "retired" and retired.json()["certificate_id"]


def test_smoke_checks_a_stripe_stack_without_buying_anything(stripe_stack) -> None:
    import io

    from infrastructure import smoke

    stack, fake = stripe_stack
    sessions = len(fake.requests)
    out = io.StringIO()
    assert smoke.run(stack.url, out).failures == 0, out.getvalue()
    assert (
        "skip the purchase journey: this stack takes real payments (stripe); nothing was bought"
        in out.getvalue()
    )
    assert len(fake.requests) == sessions  # no checkout session was opened


@pytest.fixture(scope="module")
def checkout_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeCheckoutPage]:
    fake = FakeCheckoutPage(tmp_path_factory.mktemp("stripe-tls"))
    yield fake
    fake.stop()


@pytest.fixture
def phone_resolving_stripe(browser, checkout_page) -> Iterator[Any]:
    """A phone-sized page in a Chromium whose DNS sends checkout.stripe.com to the fake."""
    resolving = browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        headless=True,
        args=[*CHROMIUM_FLAGS, *checkout_page.browser_args],
    )
    page = resolving.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page
    finally:
        resolving.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_neutralize_page_takes_the_buyer_to_stripe_checkout(
    stripe_stack, checkout_page, phone_resolving_stripe, lang: str
) -> None:
    stack, _ = stripe_stack
    page = phone_resolving_stripe
    page.goto(f"{stack.url}/neutralize/{footprint(Http(stack.url))}?lang={lang}")
    page.fill("#f-name", "Browser buyer")
    with page.expect_navigation(url="https://checkout.stripe.com/**"):
        page.click("button[type=submit]")
    assert page.title() == "Stripe Checkout (fake)"
    (path,) = [p for p in checkout_page.paths if p.startswith("/c/pay/")][-1:]
    assert path.startswith("/c/pay/cs_test_") and "lang=" not in path
    assert page.url.endswith("#fidkdWxOYHwnPyd1")  # Stripe's fragment arrives whole
    assert page.console_errors == []  # no Content Security Policy violation


def place(http: Http, name: str) -> dict[str, Any]:
    """An order for a new footprint, paid with Stripe."""
    answer = http.post(
        "/v1/orders",
        json_body={
            "footprint_id": footprint(http),
            "project_id": "cdcer-sichuan-biogas",
            "beneficiary": {"name": name},
        },
        headers={"Idempotency-Key": "st-" + secrets.token_hex(6)},
    )
    assert answer.status == 201, answer.body
    return dict(answer.json())


def stripe_webhook(http: Http, kind: str, obj: dict[str, object]) -> str:
    from carbonneutral.payments.signing import sign

    event = json.dumps(
        {"id": "evt_" + secrets.token_hex(6), "object": "event", "type": kind, "data": {"object": obj}}
    )
    answer = http.post(
        "/v1/payments/stripe/webhook",
        data=event.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(WEBHOOK_SECRET, event)},
    )
    assert answer.status == 200, answer.body
    return str(answer.json()["outcome"])


def test_money_paid_twice_goes_back_through_stripes_refunds_and_its_events_are_applied(
    stripe_stack, monkeypatch
) -> None:
    stack, fake = stripe_stack
    http = Http(stack.url)
    order = place(http, "Twice")
    fen = round(float(order["amount"]["amount"]) * 100)
    session = {
        "object": "checkout.session",
        "client_reference_id": order["order_id"],
        "amount_total": fen,
        "currency": "cny",
        "payment_status": "paid",
    }
    assert (
        stripe_webhook(
            http, "checkout.session.completed", {**session, "id": "cs_1", "payment_intent": "pi_first"}
        )
        == "retired"
    )
    assert (
        stripe_webhook(
            http, "checkout.session.completed", {**session, "id": "cs_2", "payment_intent": "pi_second"}
        )
        == "refund_due"
    )
    # the operator pays it back: the admin calls Stripe's Refunds API for the second PaymentIntent
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    done = stack.admin("refunds", "--order", order["order_id"])
    assert done.returncode == 0, done.stderr
    [asked] = [r for r in fake.requests if r["path"] == "/v1/refunds"]
    assert (asked["form"]["payment_intent"], asked["form"]["amount"]) == ("pi_second", str(fen))
    assert asked["idempotency_key"].startswith(f"refund:{order['order_id']}:stripe:")
    bearer = {"Authorization": f"Bearer {order['order_token']}"}
    after = http.get(f"/v1/orders/{order['order_id']}", headers=bearer).json()
    assert after["status"] == "retired" and after["refund"]["status"] == "refunded"
    # Stripe's own word on it, naming only the PaymentIntent: already known, nothing more
    charge = {
        "object": "charge",
        "id": "ch_2",
        "payment_intent": "pi_second",
        "amount": fen,
        "currency": "cny",
    }
    assert stripe_webhook(http, "charge.refunded", {**charge, "amount_refunded": fen}) == "ignored"
    dispute = {
        "object": "dispute",
        "id": "dp_1",
        "payment_intent": "pi_first",
        "amount": fen,
        "currency": "cny",
    }
    assert (
        stripe_webhook(http, "charge.dispute.created", {**dispute, "status": "needs_response"}) == "disputed"
    )
    assert http.get(f"/v1/orders/{order['order_id']}", headers=bearer).json()["status"] == "retired"


def test_cancelling_a_stripe_order_expires_its_checkout_session(stripe_stack) -> None:
    stack, fake = stripe_stack
    http = Http(stack.url)
    order = place(http, "Gone")
    session_id = order["payment"]["checkout_url"].split("/")[-1].split("#")[0]
    cancelled = http.post(
        f"/v1/orders/{order['order_id']}/cancel", headers={"Authorization": f"Bearer {order['order_token']}"}
    )
    assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
    assert fake.requests[-1]["path"] == f"/v1/checkout/sessions/{session_id}/expire"
