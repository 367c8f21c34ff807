"""WeChat Pay and Alipay against their fakes on loopback and DynamoDB Local: payments start where
the browser is, notifications are verified and applied once, refusals buy nothing, a lost
notification is found by querying, and the money issue's races end one way or the other."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.domain.purchase import NOTICE_GRACE, PurchaseService
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.errors import Conflict, Forbidden, InvalidSignature
from carbonneutral.payments.alipay import AlipayProvider
from carbonneutral.payments.alipay import out_trade_no as alipay_trade_no
from carbonneutral.payments.wechatpay import WeChatPayProvider
from carbonneutral.payments.wechatpay import out_trade_no as wechat_trade_no
from carbonneutral.store.footprints import DynamoFootprintRepository
from carbonneutral.store.nonces import Nonces
from carbonneutral.store.scenes import DynamoSceneRepository

from tests.factories import an_order_request
from tests.fake_banks import FakeAlipay, FakeWeChatPay, key_pair
from tests.integration.ledger_support import BASE, counting, inventory, key

pytestmark = pytest.mark.integration


class Clock:
    """The service's clock, near the real one: the fakes refuse payments after the real expiry."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Bank:
    """One provider and its fake, seen the same way by the race tests."""

    name: str
    fake: Any
    provider: Any

    def start(self, service: PurchaseService, order: Order) -> str:
        """The buyer starts paying on a desktop; the provider's trade number."""
        token = service.token_for(order)
        method = "native" if self.name == "wechatpay" else "page"
        step = service.start_payment(
            order.order_id, token, method, base_url=BASE, lang="zh-CN", client_ip="10.0.0.8"
        )
        if self.name == "wechatpay":
            assert step.kind == "qr" and step.url.startswith("weixin://wxpay/bizpayurl?pr=")
            return wechat_trade_no(order.order_id, "native")
        assert step.kind == "redirect" and step.url.startswith(self.fake.gateway + "?")
        import urllib.request

        with urllib.request.urlopen(step.url, timeout=10) as cashier:
            assert "test cashier" in cashier.read().decode()
        return alipay_trade_no(order.order_id)

    def pay(self, trade_no: str, **kw: Any) -> tuple[str, dict[str, str]]:
        """The buyer pays; the provider's notification (body, headers), not yet delivered."""
        if self.name == "wechatpay":
            return self.fake.pay(trade_no, **kw)
        amount = kw.pop("amount_fen", None)
        body = self.fake.pay(trade_no, amount=f"{amount / 100:.2f}" if amount is not None else None, **kw)
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    def refund_notification(self, refund_ref: str) -> tuple[str, dict[str, str]]:
        if self.name == "wechatpay":
            return self.fake.refund_notification(self.refund_no(refund_ref))
        return self.fake.refund_notification(refund_ref), {
            "Content-Type": "application/x-www-form-urlencoded"
        }

    def refund_no(self, refund_ref: str) -> str:
        return next(no for no, r in self.fake.refunds.items() if r.get("refund_id") == refund_ref)


@pytest.fixture(scope="module")
def wechat_fake() -> Iterator[FakeWeChatPay]:
    fake = FakeWeChatPay()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def alipay_fake() -> Iterator[FakeAlipay]:
    fake = FakeAlipay()
    yield fake
    fake.stop()


@pytest.fixture(params=["wechatpay", "alipay"])
def bank(request, stack, wechat_fake, alipay_fake) -> Bank:
    if request.param == "wechatpay":
        nonces = Nonces(stack.table, stack.dynamodb_client())
        provider = WeChatPayProvider(
            wechat_fake.account(),
            lambda n: nonces.claim("wechatpay", n),
            app_secret=lambda: wechat_fake.app_secret,
        )
        return Bank("wechatpay", wechat_fake, provider)
    return Bank("alipay", alipay_fake, AlipayProvider(alipay_fake.account()))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def purchases(stack, ledger, name: str, provider: Any, clock: Clock) -> PurchaseService:
    client = stack.dynamodb_client()
    return PurchaseService(
        ledger,
        DynamoFootprintRepository(stack.table, client),
        DynamoSceneRepository(stack.table, client),
        lambda: {name: provider},
        default_provider=name,
        token_secret=lambda: "token-secret-for-tests-0123",
        reservation=timedelta(minutes=30),
        clock=clock,
    )


@pytest.fixture
def service(stack, ledger, bank, clock) -> PurchaseService:
    return purchases(stack, ledger, bank.name, bank.provider, clock)


def wechat_purchases(
    stack: Any, ledger: Any, fake: FakeWeChatPay, clock: Clock | None = None
) -> tuple[PurchaseService, WeChatPayProvider]:
    """WeChat Pay alone (the tests of what only it has: JSAPI, three trades per order, refund states)."""
    nonces = Nonces(stack.table, stack.dynamodb_client())
    provider = WeChatPayProvider(
        fake.account(), lambda n: nonces.claim("wechatpay", n), app_secret=lambda: fake.app_secret
    )
    return purchases(stack, ledger, "wechatpay", provider, clock or Clock()), provider


def paid_twice(service: PurchaseService, fake: FakeWeChatPay, order: Order) -> None:
    """The buyer paid the QR code and then H5; neither notification has arrived."""
    token = service.token_for(order)
    for method in ("native", "h5"):
        service.start_payment(
            order.order_id, token, method, base_url=BASE, lang="zh-CN", client_ip="10.0.0.8"
        )
        fake.pay(wechat_trade_no(order.order_id, method))


def receive(service: PurchaseService, bank: Bank, notification: tuple[str, dict[str, str]]) -> str:
    body, headers = notification
    return str(service.receive_webhook(bank.name, body, headers, base_url=BASE).outcome)


def balanced(ledger, project_id: str) -> bool:
    return inventory(ledger, project_id).balanced and not [
        b for b in ledger.audit() if b.project_id == project_id
    ]


def test_a_payment_starts_where_the_browser_is_and_its_notification_retires_the_credits_once(
    service, ledger, bank, project
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 30), key(), base_url=BASE)
    assert order.checkout_url is None  # the platform's own checkout page starts the payment
    assert service.methods(order, "Mozilla/5.0 (Windows NT 10.0) Chrome/120")[0] in ("native", "page")
    assert service.methods(order, "Mozilla/5.0 (iPhone) Mobile/15E148 Safari/604.1")[0] in ("h5", "wap")
    assert service.methods(order, "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.50")[0] in (
        "jsapi",
        "wap",
    )
    trade_no = bank.start(service, order)
    # what the provider was asked: the order's amount in fen (yuan for Alipay), expiring with the reservation
    if bank.name == "wechatpay":
        asked = bank.fake.trades[trade_no]["order"]
        assert asked["amount"] == {"total": order.amount.minor_units, "currency": "CNY"}
        assert datetime.fromisoformat(asked["time_expire"]) == order.reserved_until
        assert (
            asked["time_expire"].endswith("+08:00")
            and asked["notify_url"] == f"{BASE}/v1/payments/wechatpay/webhook"
        )
    else:
        asked = bank.fake.trades[trade_no]["biz"]
        assert asked["total_amount"] == f"{order.amount.amount:.2f}"
        beijing = order.reserved_until + timedelta(hours=8)
        assert asked["time_expire"] == beijing.strftime("%Y-%m-%d %H:%M:%S")
    # what retiring the order reads rides with the trade (WeChat's attach, Alipay's passback_params)
    hint = RetirementHint.of(order).encode()
    assert unquote(asked["attach" if bank.name == "wechatpay" else "passback_params"]) == hint
    notification = bank.pay(trade_no)
    sent = counting(ledger.client)
    assert receive(service, bank, notification) == "retired"
    # so the notification reads the order with all its retirement needs in one request (the project's
    # description was read when the order was placed, and is kept a minute)
    assert sent == ["BatchGetItem", "TransactWriteItems"]
    retired = ledger.order(order.order_id)
    assert retired.status is OrderStatus.retired and retired.retirement.payment_ref
    assert inventory(ledger, project_id).retired_kg == 30
    if bank.name == "wechatpay":  # the same notification again: its nonce was used
        with pytest.raises(InvalidSignature, match="nonce"):
            receive(service, bank, notification)
    else:
        assert receive(service, bank, notification) == "duplicate"
    assert receive(service, bank, bank.pay(trade_no)) == "duplicate"  # sent again, signed afresh
    assert ledger.refunds_of(order.order_id) == []  # one payment, kept once
    assert balanced(ledger, project_id)


def test_a_lost_notification_is_found_by_asking_the_provider_and_the_late_one_changes_nothing(
    service, ledger, bank, project
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    token = service.token_for(order)
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.pending_payment
    trade_no = bank.start(service, order)
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.pending_payment
    late = bank.pay(trade_no)  # paid; the notification is lost for now
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.retired
    assert receive(service, bank, late) == "duplicate"
    assert ledger.refunds_of(order.order_id) == [] and inventory(ledger, project_id).retired_kg == 10


def test_refusals_buy_nothing_and_leave_the_order_payable(service, ledger, bank, project) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = bank.start(service, order)
    stranger, _, _ = key_pair()
    refused: list[tuple[str, dict[str, str]]] = []
    if bank.name == "wechatpay":
        refused.append(bank.pay(trade_no, key=stranger))  # signed by someone else
        refused.append(bank.pay(trade_no, timestamp=int(datetime.now(UTC).timestamp()) - 301))  # stale
        refused.append(bank.pay(trade_no, apiv3_key=secrets.token_hex(16)))  # not our APIv3 key
        other = bank.fake.trades[trade_no]
        resource = {**bank.fake._transaction(other), "mchid": "1900000999"}  # another merchant's order
        refused.append(bank.fake.notification("TRANSACTION.SUCCESS", resource))
        body, headers = bank.pay(trade_no)
        refused.append((body.replace('"id":', '"id": ', 1), headers))  # tampered after signing
    else:
        refused.append(bank.pay(trade_no, key=stranger))
        refused.append(bank.pay(trade_no, app_id="2021000000009999"))  # another app's trade
        refused.append(bank.pay(trade_no, seller_id="2088000000009999"))  # another merchant's
        body, headers = bank.pay(trade_no)
        refused.append((body.replace("total_amount=", "total_amount=1", 1), headers))  # tampered
    for notification in refused:
        with pytest.raises(InvalidSignature):
            receive(service, bank, notification)
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment
    assert ledger.refunds_of(order.order_id) == []
    assert receive(service, bank, bank.pay(trade_no)) == "retired"  # the genuine one still buys


def test_a_wrong_amount_is_owed_back_and_never_retires_anything(service, ledger, bank, project) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = bank.start(service, order)
    assert receive(service, bank, bank.pay(trade_no, amount_fen=1)) == "refund_due"
    failed = ledger.order(order.order_id)
    assert failed.status is OrderStatus.failed and failed.refund.amount.minor_units == 1
    assert inventory(ledger, project_id).retired_kg == 0 and balanced(ledger, project_id)


def test_a_notification_for_an_order_this_platform_never_made_is_recorded_and_applies_nothing(
    service, ledger, bank, project
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = bank.start(service, order)
    ghost = "ord_" + secrets.token_urlsafe(16)
    if bank.name == "wechatpay":
        resource = {**bank.fake._transaction(bank.fake.trades[trade_no]), "trade_state": "SUCCESS"}
        resource.update(
            out_trade_no=wechat_trade_no(ghost, "native"),
            transaction_id="4200000000",
            amount={"total": 5, "currency": "CNY"},
        )
        notification = bank.fake.notification("TRANSACTION.SUCCESS", resource)
    else:
        notification = (
            bank.fake.pay(trade_no, out_trade_no=alipay_trade_no(ghost), trade_no="2026" + key()),
            {},
        )
    assert receive(service, bank, notification) == "unknown_order"
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment


def test_cancelling_closes_the_trade_at_the_provider(service, ledger, bank, project) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = bank.start(service, order)
    assert service.cancel(order.order_id, service.token_for(order)).status is OrderStatus.cancelled
    state = bank.fake.trades[trade_no]
    assert state.get("trade_state", state.get("trade_status")) in ("CLOSED", "TRADE_CLOSED")
    with pytest.raises(AssertionError, match="closed"):
        bank.pay(trade_no)
    assert inventory(ledger, project_id).available_kg == 100


def test_a_notification_racing_the_sweepers_last_look_settles_one_way_or_the_other(
    service, ledger, bank, project, clock
) -> None:
    """Paid in time, notified only as the grace runs out, when the sweeper finds the payment itself:
    either the notification retires the order, or the sweeper releases it with the money owed back;
    never both, never neither. The first two rounds are not raced, so both endings are seen."""
    project_id = project((1, 200))
    seen = []
    for round_ in range(8):
        order, _ = service.place(an_order_request(project_id, 5), key(), base_url=BASE)
        notification = bank.pay(bank.start(service, order))  # its notice comes as the grace ends
        clock.now = order.reserved_until + NOTICE_GRACE + timedelta(seconds=1)
        start = threading.Barrier(1 if round_ < 2 else 2)

        def sweep(start=start):
            start.wait()
            return service.sweep()

        def notify(start=start, notification=notification):
            start.wait()
            return receive(service, bank, notification)

        if round_ == 0:
            outcome, swept = notify(), sweep()
        elif round_ == 1:
            swept, outcome = sweep(), notify()
        else:
            with ThreadPoolExecutor(max_workers=2) as pool:
                sweeping, notifying = pool.submit(sweep), pool.submit(notify)
                swept, outcome = sweeping.result(timeout=60), notifying.result(timeout=60)
        final = ledger.order(order.order_id)
        # (the sweeper's count includes other tests' orders in the table: the order itself says it)
        assert (outcome, final.status) in {
            ("retired", OrderStatus.retired),
            ("duplicate", OrderStatus.failed),
        }, (swept, outcome, final.status)
        refunds = ledger.refunds_of(order.order_id)
        if final.status is OrderStatus.failed:
            assert [r.status for r in refunds] == ["due"] and "never notified" in final.refund.reason
        else:
            assert refunds == [] and final.retirement is not None
        seen.append(final.status)
        clock.now = datetime.now(UTC).replace(microsecond=0)
    assert seen[:2] == [OrderStatus.retired, OrderStatus.failed]
    inv = inventory(ledger, project_id)
    assert inv.reserved_kg == 0 and inv.retired_kg == 5 * seen.count(OrderStatus.retired)
    assert balanced(ledger, project_id)


def test_a_late_payment_is_refunded_through_the_provider_once_whatever_arrives_meanwhile(
    service, ledger, bank, project, clock
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    late = bank.pay(bank.start(service, order))  # paid in time; the notification never came
    clock.now = order.reserved_until + timedelta(minutes=1)
    service.sweep()  # the sweeper finds the payment at the provider and waits for its notification
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment
    clock.now = order.reserved_until + NOTICE_GRACE + timedelta(minutes=1)
    service.sweep()  # still none: the credits go back and the money is owed back, never kept
    expired = ledger.order(order.order_id)  # its payment was found too late: failed, money owed back
    assert expired.status is OrderStatus.failed and expired.refund.status == "due"
    assert "never notified" in expired.refund.reason and inventory(ledger, project_id).reserved_kg == 0
    assert receive(service, bank, late) == "duplicate"  # the notification, at last
    again = bank.pay(_trade_no(bank, order))  # the provider sends it again
    [(due_order, refund)] = service.refunds_due(order.order_id)
    start = threading.Barrier(3)

    def refund_it():
        start.wait()
        try:
            return service.pay_refund(due_order, refund).outcome
        except Conflict:
            return "busy"

    def redeliver():
        start.wait()
        return receive(service, bank, again)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = [
            f.result() for f in (pool.submit(refund_it), pool.submit(refund_it), pool.submit(redeliver))
        ]
    assert results[2] == "duplicate"  # the late payment is owed back once
    assert sorted(results[:2]) == ["duplicate", "refunded"]
    [paid_back] = ledger.refunds_of(order.order_id)
    assert paid_back.status == "refunded" and len(bank.fake.refunds) >= 1
    # the provider's own refund notification, arriving after: applied already
    assert receive(service, bank, bank.refund_notification(paid_back.refund_ref)) == "duplicate"
    final = ledger.order(order.order_id)
    assert final.status is OrderStatus.refunded and inventory(ledger, project_id).retired_kg == 0
    assert balanced(ledger, project_id)


def _trade_no(bank: Bank, order: Order) -> str:
    return (
        wechat_trade_no(order.order_id, "native")
        if bank.name == "wechatpay"
        else alipay_trade_no(order.order_id)
    )


def test_the_wechat_jsapi_payment_needs_the_payers_openid_and_signs_the_bridges_request(
    stack, ledger, wechat_fake, project
) -> None:
    service, _ = wechat_purchases(stack, ledger, wechat_fake)
    order, _ = service.place(an_order_request(project((1, 100)), 10), key(), base_url=BASE)
    token = service.token_for(order)
    step = service.start_payment(order.order_id, token, "jsapi", base_url=BASE, lang="zh-CN", client_ip=None)
    asked = urlsplit(step.url)
    assert (
        f"{asked.scheme}://{asked.netloc}{asked.path}"
        == "https://open.weixin.qq.com/connect/oauth2/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(asked.query).items()}
    assert query["appid"] == wechat_fake.appid and query["scope"] == "snsapi_base"
    assert query["redirect_uri"].startswith(f"{BASE}/checkout/{order.order_id}/wechat?")
    assert step.url.endswith("#wechat_redirect") and token not in step.url
    wechat_fake.codes["code-1"] = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    with pytest.raises(Exception, match="not for this order"):
        service.pay_as(order.order_id, token, "code-1", "forged-state", base_url=BASE)
    with pytest.raises(Forbidden):  # any text at all in the query string: refused, never a 500
        service.pay_as(order.order_id, token, "code-1", "état-é-微信", base_url=BASE)
    bridge = service.pay_as(order.order_id, token, "code-1", query["state"], base_url=BASE)
    assert bridge.kind == "jsapi" and wechat_fake.verify_pay_sign(bridge.params)
    assert bridge.params["package"].startswith("prepay_id=wx") and bridge.params["signType"] == "RSA"
    jsapi = wechat_fake.trades[wechat_trade_no(order.order_id, "jsapi")]["order"]
    assert jsapi["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    with pytest.raises(Exception, match="did not confirm"):
        service.pay_as(order.order_id, token, "code-never-issued", query["state"], base_url=BASE)
    # the buyer switched to JSAPI after a QR code: either trade can be paid, and one payment is kept
    assert (
        service.start_payment(order.order_id, token, "native", base_url=BASE, lang="en", client_ip=None).kind
        == "qr"
    )
    body, headers = wechat_fake.pay(wechat_trade_no(order.order_id, "jsapi"))
    assert service.receive_webhook("wechatpay", body, headers, base_url=BASE).outcome == "retired"
    assert json.loads(body)["event_type"] == "TRANSACTION.SUCCESS"


def test_the_sweeper_closes_unpaid_trades_and_leaves_paid_ones_to_their_notification(
    service, ledger, bank, project, clock
) -> None:
    project_id = project((1, 100))
    unpaid, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    unpaid_trade = bank.start(service, unpaid)
    paid, _ = service.place(an_order_request(project_id, 20), key(), base_url=BASE)
    notice = bank.pay(bank.start(service, paid))  # paid; its notification is late
    clock.now = max(unpaid.reserved_until, paid.reserved_until) + timedelta(minutes=1)
    assert service.sweep() == 1
    assert ledger.order(unpaid.order_id).status is OrderStatus.expired
    state = bank.fake.trades[unpaid_trade]
    assert state.get("trade_state", state.get("trade_status")) in ("CLOSED", "TRADE_CLOSED")
    with pytest.raises(AssertionError, match="closed"):
        bank.pay(unpaid_trade)  # the buyer can no longer pay what the sweeper released
    assert ledger.order(paid.order_id).status is OrderStatus.pending_payment  # its credits still held
    assert receive(service, bank, notice) == "retired"
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (80, 0, 20) and balanced(ledger, project_id)


def test_a_payment_found_too_late_is_owed_back_in_one_step_and_a_failed_step_changes_nothing(
    service, ledger, bank, project, clock, monkeypatch
) -> None:
    """Past the grace the order fails, its credits go back and the payment is owed back in one
    transaction: when that transaction cannot be made, the order stays as it was, on the expiry
    index, and the next run settles it."""
    from carbonneutral.errors import Busy

    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    bank.pay(bank.start(service, order))  # paid; its notification never comes
    clock.now = order.reserved_until + NOTICE_GRACE + timedelta(minutes=1)
    real = ledger.apply_payment

    def busy(*args: Any, **kw: Any) -> Any:
        raise Busy("the table is throttled")

    monkeypatch.setattr(ledger, "apply_payment", busy)
    errors: list[tuple[str, Exception]] = []
    service.sweep(on_error=lambda oid, exc: errors.append((oid, exc)))
    assert (order.order_id, Busy) in [(oid, type(exc)) for oid, exc in errors]
    untouched = ledger.order(order.order_id)
    assert untouched.status is OrderStatus.pending_payment and untouched.refund is None
    assert ledger.refunds_of(order.order_id) == [] and inventory(ledger, project_id).reserved_kg == 10
    assert order.order_id in ledger.expired_reservations(clock.now)  # the next run sees it again
    monkeypatch.setattr(ledger, "apply_payment", real)
    assert service.sweep() >= 1
    failed = ledger.order(order.order_id)
    assert failed.status is OrderStatus.failed and [r.status for r in ledger.refunds_of(order.order_id)] == [
        "due"
    ]
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (100, 0, 0) and balanced(ledger, project_id)


def test_a_refusal_from_the_provider_is_never_read_as_unpaid(service, ledger, bank, project, clock) -> None:
    """Throttled or refused, the provider said nothing of the payment: the page's check is a 503, and
    the sweeper keeps the credits until it can ask, so a paid order is not released."""
    from carbonneutral.errors import ServiceUnavailable

    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    bank.pay(bank.start(service, order))  # paid; the notification is lost
    if bank.name == "wechatpay":
        bank.fake.refusal = (429, {"code": "FREQUENCY_LIMITED", "message": "频率超限"})
    else:
        bank.fake.refusal = "ACQ.SYSTEM_ERROR"
    try:
        with pytest.raises(ServiceUnavailable, match=r"FREQUENCY_LIMITED|ACQ\.SYSTEM_ERROR"):
            service.check_payment(order.order_id, service.token_for(order), base_url=BASE)
        clock.now = order.reserved_until + timedelta(minutes=1)
        service.sweep()  # within the grace: asked again next run
        assert ledger.order(order.order_id).status is OrderStatus.pending_payment
        clock.now = order.reserved_until + NOTICE_GRACE + timedelta(minutes=1)
        errors: list[str] = []
        service.sweep(on_error=lambda oid, exc: errors.append(oid))  # still unsure: kept
        assert order.order_id in errors
        assert ledger.order(order.order_id).status is OrderStatus.pending_payment
    finally:
        bank.fake.refusal = None
    clock.now = order.reserved_until + timedelta(minutes=1)
    token = service.token_for(order)
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.retired
    assert inventory(ledger, project_id).retired_kg == 10 and balanced(ledger, project_id)


def test_two_payments_of_one_order_are_both_found_one_buys_and_the_other_is_owed_back(
    stack, ledger, wechat_fake, project
) -> None:
    """A buyer paid the QR code and then H5 (both notifications lost): asking finds both."""
    service, provider = wechat_purchases(stack, ledger, wechat_fake)
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    token = service.token_for(order)
    paid_twice(service, wechat_fake, order)
    assert len(provider.query(order)) == 2
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.retired
    [owed] = ledger.refunds_of(order.order_id)
    assert owed.status == "due" and owed.amount == order.amount and "paid more than once" in owed.reason
    retired = ledger.order(order.order_id)
    assert owed.payment_ref != retired.retirement.payment_ref  # the other payment is the one owed back
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.retired
    assert len(ledger.refunds_of(order.order_id)) == 1  # asking again applies nothing twice


def test_a_wechat_refund_is_recorded_only_when_wechat_pay_says_it_succeeded(
    stack, ledger, wechat_fake, project
) -> None:
    """PROCESSING keeps it due; REFUND.ABNORMAL changes nothing; REFUND.SUCCESS settles it. Each
    WeChat refund notification states that refund's amount alone: two refunds of one payment made
    in the merchant platform are two refunds."""
    service, provider = wechat_purchases(stack, ledger, wechat_fake)
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = Bank("wechatpay", wechat_fake, provider).start(service, order)
    assert (
        service.receive_webhook(
            "wechatpay", *wechat_fake.pay(trade_no, amount_fen=order.amount.minor_units + 200), base_url=BASE
        ).outcome
        == "refund_due"
    )
    [(due_order, refund)] = service.refunds_due(order.order_id)
    wechat_fake.refund_status = "PROCESSING"
    try:
        under_way = service.pay_refund(due_order, refund)
    finally:
        wechat_fake.refund_status = "SUCCESS"
    assert under_way.outcome == "processing"
    assert [r.status for r in ledger.refunds_of(order.order_id)] == ["due"]
    out_refund_no = next(
        no for no, r in wechat_fake.refunds.items() if r["refund_id"] == under_way.refund_ref
    )
    abnormal = wechat_fake.refund_notification(out_refund_no, "ABNORMAL")
    assert service.receive_webhook("wechatpay", *abnormal, base_url=BASE).outcome == "ignored"
    assert [r.status for r in ledger.refunds_of(order.order_id)] == ["due"]
    with pytest.raises(Conflict, match="ABNORMAL"):  # asked again: the same refund, still not paid
        service.pay_refund(due_order, refund)
    success = wechat_fake.refund_notification(out_refund_no, "SUCCESS")
    assert service.receive_webhook("wechatpay", *success, base_url=BASE).outcome == "refunded"
    [back] = ledger.refunds_of(order.order_id)
    assert back.status == "refunded" and back.refund_ref == under_way.refund_ref
    assert ledger.order(order.order_id).status is OrderStatus.refunded
    # two partial refunds of the payment, made in the merchant platform, 1 yuan each
    transaction = back.payment_ref
    for n in (1, 2):
        wechat_fake.refunds[f"dashboard-{n}"] = {
            "refund_id": f"50{n:027d}",
            "out_trade_no": trade_no,
            "transaction_id": transaction,
            "status": "SUCCESS",
            "amount": {"total": order.amount.minor_units + 200, "refund": 100, "currency": "CNY"},
        }
        notice = wechat_fake.refund_notification(f"dashboard-{n}")
        assert service.receive_webhook("wechatpay", *notice, base_url=BASE).outcome == "refunded"
    made_there = [r for r in ledger.refunds_of(order.order_id) if r.refund_ref != back.refund_ref]
    assert sorted((r.refund_ref, r.amount.minor_units) for r in made_there) == [
        (f"50{1:027d}", 100),
        (f"50{2:027d}", 100),
    ]


def test_the_sweeper_goes_on_past_an_order_that_fails_and_stops_in_time(
    service, ledger, bank, project, clock
) -> None:
    project_id = project((1, 100))
    orders = [service.place(an_order_request(project_id, 10), key(), base_url=BASE)[0] for _ in range(3)]
    for order in orders:
        bank.start(service, order)
    clock.now = max(o.reserved_until for o in orders) + timedelta(minutes=1)
    assert service.sweep(time_left=lambda: 39.0) == 0  # too little time left to start one
    assert all(ledger.order(o.order_id).status is OrderStatus.pending_payment for o in orders)
    broken = orders[1]
    close = bank.provider.close

    def close_or_fail(order: Order) -> Any:
        if order.order_id == broken.order_id:
            raise RuntimeError("a bug in one order")
        return close(order)

    bank.provider.close = close_or_fail
    try:
        errors: list[str] = []
        swept = service.sweep(time_left=lambda: 200.0, on_error=lambda oid, exc: errors.append(oid))
    finally:
        del bank.provider.close
    assert swept >= 2 and errors == [broken.order_id]  # (the count may include other tests' orders)
    assert [ledger.order(o.order_id).status for o in orders] == [
        OrderStatus.expired,
        OrderStatus.pending_payment,
        OrderStatus.expired,
    ]
    assert service.sweep() >= 1 and ledger.order(broken.order_id).status is OrderStatus.expired
    assert balanced(ledger, project_id)


def test_a_trade_paid_just_as_the_sweeper_closes_it_is_found_and_left_to_its_notification(
    service, ledger, bank, project, clock
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = bank.start(service, order)
    bank.fake.paid_on_close.add(trade_no)  # the close finds it paid (ORDERPAID / ACQ.TRADE_STATUS_ERROR)
    clock.now = order.reserved_until + timedelta(minutes=1)
    service.sweep()
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment  # credits still held
    token = service.token_for(order)
    assert service.check_payment(order.order_id, token, base_url=BASE).status is OrderStatus.retired
    assert ledger.refunds_of(order.order_id) == [] and balanced(ledger, project_id)


def test_a_wechat_buyer_paying_this_moment_keeps_the_order_until_it_is_decided(
    stack, ledger, wechat_fake, project
) -> None:
    clock = Clock()
    service, provider = wechat_purchases(stack, ledger, wechat_fake, clock)
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = Bank("wechatpay", wechat_fake, provider).start(service, order)
    wechat_fake.trades[trade_no]["trade_state"] = "USERPAYING"  # the buyer is entering a password
    clock.now = order.reserved_until + timedelta(minutes=1)
    service.sweep()
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment
    assert wechat_fake.trades[trade_no]["trade_state"] == "USERPAYING"  # not closed under the buyer
    wechat_fake.trades[trade_no]["trade_state"] = "NOTPAY"  # the buyer gave up
    service.sweep()
    assert ledger.order(order.order_id).status is OrderStatus.expired
    assert wechat_fake.trades[trade_no]["trade_state"] == "CLOSED" and balanced(ledger, project_id)


@pytest.mark.parametrize("fails_at", [1, 2])
def test_two_payments_found_too_late_are_both_owed_back_whichever_step_fails(
    stack, ledger, wechat_fake, project, monkeypatch, fails_at
) -> None:
    """The QR code and H5 both paid, neither notified: the one that does not settle the order is
    owed back first, the order left pending; the other fails the order last. A failure at either
    step leaves the order on the expiry index, and the next run owes both back."""
    from carbonneutral.errors import Busy

    clock = Clock()
    service, _ = wechat_purchases(stack, ledger, wechat_fake, clock)
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    paid_twice(service, wechat_fake, order)
    clock.now = order.reserved_until + NOTICE_GRACE + timedelta(minutes=1)
    real, calls = ledger.apply_payment, []

    def failing(*args: Any, **kw: Any) -> Any:
        calls.append(args[0].order_id)
        if len(calls) == fails_at:
            raise Busy("throttled")
        return real(*args, **kw)

    monkeypatch.setattr(ledger, "apply_payment", failing)
    errors: list[str] = []
    service.sweep(on_error=lambda oid, exc: errors.append(oid))
    assert order.order_id in errors
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment
    assert len(ledger.refunds_of(order.order_id)) == fails_at - 1  # the first one owed back, or none
    assert order.order_id in ledger.expired_reservations(clock.now)  # the next run sees it again
    monkeypatch.setattr(ledger, "apply_payment", real)
    service.sweep()
    assert ledger.order(order.order_id).status is OrderStatus.failed
    owed = ledger.refunds_of(order.order_id)
    assert [r.status for r in owed] == ["due", "due"] and len({r.payment_ref for r in owed}) == 2
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (100, 0, 0) and balanced(ledger, project_id)


def test_cancelling_just_after_paying_owes_the_payment_back_even_if_its_notice_is_lost(
    service, ledger, bank, project
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    late = bank.pay(bank.start(service, order))  # paid; its notification not yet here
    assert service.cancel(order.order_id, service.token_for(order)).status is OrderStatus.cancelled
    [owed] = ledger.refunds_of(order.order_id)
    assert owed.status == "due" and owed.amount == order.amount and "cancelled" in owed.reason
    assert receive(service, bank, late) == "duplicate"  # the notification, when it comes, is the same
    assert inventory(ledger, project_id).available_kg == 100 and balanced(ledger, project_id)


@pytest.mark.parametrize("found_by", ["the page's check", "the sweeper"])
def test_a_payment_refunded_in_the_merchant_platform_before_it_was_applied_never_buys_credits(
    stack, ledger, wechat_fake, project, found_by
) -> None:
    """Paid, its notification lost, then refunded in full in WeChat Pay's merchant platform: asking
    finds the trade in REFUND, so the order fails, its credits go back, and the refund's own
    notification settles what is owed."""
    clock = Clock()
    service, _ = wechat_purchases(stack, ledger, wechat_fake, clock)
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    trade_no = Bank("wechatpay", wechat_fake, None).start(service, order)
    wechat_fake.pay(trade_no)
    trade = wechat_fake.trades[trade_no]
    trade["trade_state"] = "REFUND"
    wechat_fake.refunds[f"dashboard-{order.order_id}"] = {
        "refund_id": "50" + "".join(str(secrets.randbelow(10)) for _ in range(27)),
        "out_trade_no": trade_no,
        "transaction_id": trade["transaction_id"],
        "status": "SUCCESS",
        "amount": {"total": order.amount.minor_units, "refund": order.amount.minor_units, "currency": "CNY"},
    }
    if found_by == "the sweeper":  # within the grace: not left to a notification that would retire it
        clock.now = order.reserved_until + timedelta(minutes=1)
        service.sweep()
    else:
        service.check_payment(order.order_id, service.token_for(order), base_url=BASE)
    failed = ledger.order(order.order_id)
    assert failed.status is OrderStatus.failed and failed.retirement is None
    [owed] = ledger.refunds_of(order.order_id)
    assert owed.status == "due" and "refunded the payment before" in owed.reason
    assert inventory(ledger, project_id).available_kg == 100
    notice = wechat_fake.refund_notification(f"dashboard-{order.order_id}")
    assert service.receive_webhook("wechatpay", *notice, base_url=BASE).outcome == "refunded"
    assert [r.status for r in ledger.refunds_of(order.order_id)] == ["refunded"]
    assert ledger.order(order.order_id).status is OrderStatus.refunded and balanced(ledger, project_id)
