"""The checkout page of a WeChat Pay or Alipay stack while the provider cannot be reached: the page
still serves (the way to pay that needed the provider left out, with a notice), the buyer can still
cancel or pick another way, a return from the provider shows the order as it stands, and a stack
missing a merchant secret still answers 503 naming it.

Each stack calls its fake provider through a relay on a loopback port of its own; while the relay
is down nothing listens there, so every call to the provider is refused, as from a provider out of
reach."""

from __future__ import annotations

import html as entities
import json
import re
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack
from tests.deploy.test_chinese_provider_stacks import (
    CSRF,
    DESKTOP,
    PHONE,
    WECHAT,
    _put,
    alipay_stack,
    link,
    page,
    pay_form,
    place,
    status,
    store_alipay_keys,
    store_wechat_keys,
    wechat_stack,
)
from tests.fake_banks import FakeAlipay, FakeWeChatPay
from tests.support import Http

pytestmark = pytest.mark.integration

# What the buyer reads (zh-CN, as the pages are asked for): the provider is out of reach...
AWAY = "暂时无法连接支付机构。请稍后重试，或选择其他支付方式。"
# ...and, back from the provider, the payment could not be confirmed yet.
UNCONFIRMED = "暂时无法确认付款结果：目前无法连接支付机构。如果您已经付款，请勿重复支付，稍后刷新本页即可。"


class _Listener(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # the same port again once the outage is over
    daemon_threads = True


class Relay:
    """A loopback port that relays each connection to a fake provider; `down()` closes it."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: _Listener | None = None
        self.up()

    def up(self) -> None:
        relay = self

        class Pipe(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                relay._pipe(self.request)

        self._listener = _Listener(("127.0.0.1", self.port), Pipe)
        threading.Thread(target=self._listener.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.shutdown()
            self._listener.server_close()
            self._listener = None

    @contextmanager
    def down(self) -> Iterator[None]:
        """The provider out of reach: the port closed, a connection to it refused."""
        self.stop()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        try:
            yield
        finally:
            self.up()

    def _pipe(self, near: socket.socket) -> None:
        with socket.create_connection(self._target, timeout=10) as far:
            other = {near: far, far: near}
            while True:
                ready, _, _ = select.select(list(other), [], [], 10)
                if not ready:
                    return
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    other[end].sendall(data)


@contextmanager
def _running(stack: LocalStack, store_keys: Any, fake: Any, relay: Relay) -> Iterator[None]:
    """The stack started with the merchant's keys stored; then it, the relay and the fake stopped."""
    try:
        stack.start()
        store_keys(stack, fake)
        yield
    finally:
        stack.stop()
        relay.stop()
        fake.stop()


@pytest.fixture(scope="module")
def wechat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, FakeWeChatPay, Relay]]:
    fake = FakeWeChatPay()
    relay = Relay(fake.url)
    stack = wechat_stack(fake, relay.url, tmp_path_factory.mktemp("wechatpay-outage-logs"))
    with _running(stack, store_wechat_keys, fake, relay):
        yield stack, fake, relay


@pytest.fixture(scope="module")
def alipay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, FakeAlipay, Relay]]:
    fake = FakeAlipay()
    relay = Relay(fake.url)
    stack = alipay_stack(fake, f"{relay.url}/gateway.do", tmp_path_factory.mktemp("alipay-outage-logs"))
    with _running(stack, store_alipay_keys, fake, relay):
        yield stack, fake, relay


def warnings(stack: LocalStack, order_id: str) -> list[str]:
    """The purchase function's warnings of the page meeting a provider out of reach, for the order."""
    assert stack.log_dir is not None
    lines = (stack.log_dir / "PurchaseFunction.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    return [
        e["message"]
        for e in entries
        if e.get("level") == "WARNING"
        and e.get("order_id") == order_id
        and e["message"]
        in ("payment provider unreachable", "payment not checked: the provider is unreachable")
    ]


def cancel_form(text: str) -> tuple[str, dict[str, str]]:
    """The page's cancel form as a browser sends it: (its action, its fields)."""
    found = re.search(
        r'<form method="post" action="([^"]*/cancel\?[^"]*)" class="cancel">(.*?)</form>', text, re.S
    )
    assert found, "no cancel form on the page"
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', found.group(2))
    return entities.unescape(found.group(1)), {name: entities.unescape(value) for name, value in fields}


def test_with_wechat_pay_out_of_reach_the_desktop_page_serves_without_the_code_and_cancels(wechat) -> None:
    stack, fake, relay = wechat
    http = Http(stack.url)
    order = place(http)
    asked = len(fake.requests)
    with relay.down():
        desktop = page(http, order, DESKTOP)
        assert desktop.status == 200, desktop.text
        text = desktop.text
        # the way that fits a desktop, without its QR code, and a notice saying why
        assert 'data-method="native"' in text and "<svg" not in text and AWAY in text
        retry = link(text, f"/checkout/{order['order_id']}?lang=zh-CN&amp;method=native")
        assert retry.endswith("method=native") and ">重试</a>" in text  # to try again
        assert UNCONFIRMED not in text  # nothing was paid here to check
        # the other ways to pay are still on offer
        assert f"/checkout/{order['order_id']}?lang=zh-CN&amp;method=h5" in text
        assert f"/checkout/{order['order_id']}?lang=zh-CN&amp;method=jsapi" in text
        assert f"{order['order_id']}-N" not in fake.trades  # WeChat Pay opened no trade
        assert warnings(stack, order["order_id"]) == ["payment provider unreachable"]
        # and so is the cancel form, which cancels the order while WeChat Pay is still away
        action, fields = cancel_form(text)
        assert action == f"/checkout/{order['order_id']}/cancel?lang=zh-CN"
        assert fields == {"csrf": CSRF, "token": order["order_token"]}
        cancelled = http.post(
            action,
            data=urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": DESKTOP,
                "Cookie": f"csrf={CSRF}",
            },
        )
        assert cancelled.status == 303 and cancelled.headers["location"] == (
            f"/checkout/{order['order_id']}?lang=zh-CN"
        )
        assert status(http, order) == "cancelled"
        after = page(http, order, DESKTOP)
        assert after.status == 200 and "status-cancelled" in after.text and AWAY not in after.text
    assert len(fake.requests) == asked  # nothing reached WeChat Pay during the outage
    # WeChat Pay back: a new order's page has its QR code again, and no notice
    again = page(http, place(http), DESKTOP)
    assert again.status == 200 and "<svg" in again.text and AWAY not in again.text


def test_a_return_from_wechat_pay_while_it_is_out_of_reach_shows_the_order_still_pending(wechat) -> None:
    stack, fake, relay = wechat
    http = Http(stack.url)
    order = place(http)
    assert "<svg" in page(http, order, DESKTOP).text  # the QR code opened a Native trade
    fake.pay(f"{order['order_id']}-N")  # paid; the notification has not arrived
    with relay.down():
        back = page(http, order, DESKTOP, "&method=native&check=1")  # "I have paid"
        assert back.status == 200, back.text
        text = back.text
        assert UNCONFIRMED in text and "status-pending_payment" in text
        check = link(text, f"/checkout/{order['order_id']}?lang=zh-CN&amp;method=native&amp;check=1")
        assert check.endswith("check=1")  # to check again, as the notice says
        assert "<svg" not in text and AWAY not in text  # not asked for a code, nor to pay again
        assert 'class="cancel"' in text
        assert status(http, order) == "pending_payment"
        # WeChat Pay was asked once (how the payment stands), not again for a code: two of its
        # timeouts would overrun the function's time
        assert warnings(stack, order["order_id"]) == ["payment not checked: the provider is unreachable"]
    # WeChat Pay back: the same return finds the payment
    found = page(http, order, DESKTOP, "&method=native&check=1")
    assert found.status == 200 and 'class="notice success"' in found.text and UNCONFIRMED not in found.text
    assert status(http, order) == "retired"


def test_a_return_from_alipay_while_it_is_out_of_reach_shows_the_order_still_pending(alipay) -> None:
    stack, fake, relay = alipay
    http = Http(stack.url)
    order = place(http)
    cashier = Http("").get(link(page(http, order, DESKTOP).text, f"{relay.url}/gateway.do?"))
    assert cashier.status == 200 and "test cashier" in cashier.text
    fake.pay("cn" + order["order_id"].encode().hex())  # paid at the cashier; the notification is late
    with relay.down():
        back = page(http, order, DESKTOP, "&check=1")  # Alipay's return_url
        assert back.status == 200, back.text
        assert UNCONFIRMED in back.text and "status-pending_payment" in back.text
        assert 'class="cancel"' in back.text
        # the cashier's link is made without a call to Alipay: it is still there
        assert "method=alipay.trade.page.pay" in link(back.text, f"{relay.url}/gateway.do?")
        assert status(http, order) == "pending_payment"
    found = page(http, order, DESKTOP, "&check=1")
    assert found.status == 200 and 'class="notice success"' in found.text
    assert status(http, order) == "retired"


def test_a_checkout_missing_a_secret_still_answers_503_naming_it(wechat) -> None:
    """A missing secret is no outage: not a page with a notice, but a 503 saying what is missing.
    Inside WeChat the page's first step (WeChat's OpenID link) is signed with order-token-secret."""
    stack, _, _ = wechat
    http = Http(stack.url)
    order = place(http)
    name = f"{stack.secrets_path}/order-token-secret"
    kept = stack.secret("order-token-secret")
    purchase = stack.functions["PurchaseFunction"]
    stack.ssm_client().delete_parameter(Name=name)
    purchase.stop()  # a cold start: the secrets read again
    try:
        inside = page(http, order, WECHAT)
        assert inside.status == 503, inside.text
        problem: dict[str, Any] = inside.json()
        assert problem["title"] == "The service is not configured yet"
        assert "order-token-secret" in problem["detail"]
    finally:
        _put(stack, "order-token-secret", kept)
        purchase.stop()
    assert page(http, order, WECHAT).status == 200


def test_wechat_pays_h5_form_and_wechats_return_while_it_is_out_of_reach_lead_back_to_the_page(
    wechat,
) -> None:
    """The two calls to WeChat Pay a buyer's step makes (H5's form, JSAPI's return from the OpenID
    step): out of reach, each leads back to the checkout page saying so, never to a 503."""
    stack, fake, relay = wechat
    http = Http(stack.url)
    order = place(http)
    state = parse_qs(urlsplit(link(page(http, order, WECHAT).text, "https://open.weixin.qq.com/")).query)[
        "state"
    ][0]
    fake.codes["wx-code-away"] = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    with relay.down():
        h5 = pay_form(http, order, "h5", PHONE)
        assert h5.status == 303 and h5.headers["location"] == (
            f"/checkout/{order['order_id']}?lang=zh-CN&method=h5&away=1"
        )
        back = page(http, order, PHONE, "&method=h5&away=1")
        assert back.status == 200 and AWAY in back.text and 'class="cancel"' in back.text
        returned = http.get(
            f"/checkout/{order['order_id']}/wechat?"
            + urlencode({"code": "wx-code-away", "state": state, "lang": "zh-CN"}),
            headers={"User-Agent": WECHAT, "Cookie": f"order_token={order['order_token']}; csrf={CSRF}"},
        )
        assert returned.status == 303 and returned.headers["location"] == (
            f"/checkout/{order['order_id']}?lang=zh-CN&method=jsapi&away=1"
        )
        inside = page(http, order, WECHAT, "&method=jsapi&away=1")
        assert inside.status == 200 and AWAY in inside.text
        assert warnings(stack, order["order_id"]).count("payment provider unreachable") == 2
    assert status(http, order) == "pending_payment"
    # WeChat Pay back: the same form takes the buyer to its cashier
    assert pay_form(http, order, "h5", PHONE).headers["location"].startswith("https://wx.tenpay.com/")
