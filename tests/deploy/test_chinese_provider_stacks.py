"""Stacks deployed with PaymentProvider=wechatpay and =alipay (their APIs faked on loopback, their
keys in the local SSM, each function in its own role): the checkout page offers the method that
fits the browser, notifications reach the ledger through the gateway and get each provider's own
answer, and a stack whose merchant keys are missing says which."""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack
from tests.fake_banks import FakeAlipay, FakeWeChatPay, post
from tests.support import Http

pytestmark = pytest.mark.integration

FOOTPRINT = {
    "kind": "scene",
    "scene_id": "cdcnf-2021",
    "activities": [{"type": "meal", "count": 2, "diet": "meat"}],
}
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
)
WECHAT = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36 MicroMessenger/8.0.50.2701"
CSRF = secrets.token_urlsafe(32)  # the page's double-submit token, as a browser would hold it


def _stack(provider: str, parameters: dict[str, str], environment: dict[str, str], logs: Any) -> LocalStack:
    return LocalStack(
        port=free_port(),
        quiet=True,
        export=False,
        parameters={"PaymentProvider": provider, **parameters},
        extra_environment={"PurchaseFunction": environment, "SweeperFunction": environment},
        log_dir=logs,
    )


def _put(stack: LocalStack, name: str, value: str) -> None:
    done = stack.admin("put-secret", name, "--path", stack.secrets_path, stdin=value)
    assert done.returncode == 0, done.stderr


def wechat_stack(fake: FakeWeChatPay, api_base: str, logs: Any) -> LocalStack:
    """A stack with PaymentProvider=wechatpay, its merchant's ids from the fake, calling `api_base`."""
    parameters = {
        "WeChatPayMchId": fake.mchid,
        "WeChatPayAppId": fake.appid,
        "WeChatPayMerchantSerial": fake.merchant_serial,
        "WeChatPayPublicKeyId": fake.public_key_id,
    }
    return _stack(
        "wechatpay", parameters, {"WECHATPAY_API_BASE": api_base, "WECHATPAY_OAUTH_BASE": api_base}, logs
    )


def store_wechat_keys(stack: LocalStack, fake: FakeWeChatPay) -> None:
    _put(stack, "wechatpay-private-key", fake.merchant_private_pem)
    _put(stack, "wechatpay-apiv3-key", fake.apiv3_key)
    _put(stack, "wechatpay-public-key", fake.platform_public_pem)
    _put(stack, "wechatpay-app-secret", fake.app_secret)


def alipay_stack(fake: FakeAlipay, gateway: str, logs: Any) -> LocalStack:
    """A stack with PaymentProvider=alipay, the app's ids from the fake, calling `gateway`."""
    parameters = {"AlipayAppId": fake.app_id, "AlipaySellerId": fake.seller_id}
    return _stack("alipay", parameters, {"ALIPAY_GATEWAY": gateway}, logs)


def store_alipay_keys(stack: LocalStack, fake: FakeAlipay) -> None:
    _put(stack, "alipay-private-key", fake.app_private_key)
    _put(stack, "alipay-public-key", fake.alipay_public_key)


@pytest.fixture(scope="module")
def wechat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, FakeWeChatPay, Any]]:
    fake = FakeWeChatPay()
    stack = wechat_stack(fake, fake.url, tmp_path_factory.mktemp("wechatpay-logs"))
    try:
        stack.start()
        # deployed, init-secrets run, the merchant's keys not stored yet
        before = Http(stack.url).post("/v1/payments/wechatpay/webhook", data=b"{}")
        store_wechat_keys(stack, fake)
        yield stack, fake, before
    finally:
        stack.stop()
        fake.stop()


@pytest.fixture(scope="module")
def alipay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, FakeAlipay]]:
    fake = FakeAlipay()
    stack = alipay_stack(fake, fake.gateway, tmp_path_factory.mktemp("alipay-logs"))
    try:
        stack.start()
        store_alipay_keys(stack, fake)
        yield stack, fake
    finally:
        stack.stop()
        fake.stop()


def place(http: Http) -> dict[str, Any]:
    footprint = http.post("/v1/footprints", json_body=FOOTPRINT).json()["footprint_id"]
    answer = http.post(
        "/v1/orders",
        json_body={
            "footprint_id": footprint,
            "project_id": "cdcer-sichuan-biogas",
            "beneficiary": {"name": "王小明"},
        },
        headers={"Idempotency-Key": "cn-" + secrets.token_hex(6)},
    )
    assert answer.status == 201, answer.body
    return dict(answer.json())


def page(http: Http, order: dict[str, Any], agent: str, query: str = "") -> Any:
    path = f"/checkout/{order['order_id']}?lang=zh-CN{query}"
    return http.get(
        path, headers={"User-Agent": agent, "Cookie": f"order_token={order['order_token']}; csrf={CSRF}"}
    )


def pay_form(http: Http, order: dict[str, Any], method: str, agent: str) -> Any:
    form = urlencode({"csrf": CSRF, "token": order["order_token"], "method": method}).encode()
    return http.post(
        f"/checkout/{order['order_id']}/pay?lang=zh-CN",
        data=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": agent,
            "Cookie": f"csrf={CSRF}",
        },
    )


def link(html: str, prefix: str) -> str:
    """The page's link that starts with `prefix`, as the browser reads it."""
    import html as entities

    found = re.search(r'href="(' + re.escape(prefix) + r'[^"]*)"', html)
    assert found, f"no link to {prefix} on the page"
    return entities.unescape(found.group(1))


def status(http: Http, order: dict[str, Any]) -> str:
    found = http.get(
        f"/v1/orders/{order['order_id']}", headers={"Authorization": f"Bearer {order['order_token']}"}
    )
    return str(found.json()["status"])


def test_a_stack_without_its_merchant_keys_says_which_are_missing(wechat) -> None:
    _, _, before = wechat
    assert before.status == 503
    problem = before.json()
    assert "wechatpay-private-key" in problem["detail"] and "wechatpay-apiv3-key" in problem["detail"]


def test_wechat_checkout_fits_the_browser_and_a_notification_retires_the_order(wechat) -> None:
    stack, fake, _ = wechat
    http = Http(stack.url)
    order = place(http)
    assert order["payment"]["provider"] == "wechatpay"
    assert order["payment"]["checkout_url"].startswith(f"{stack.url}/checkout/{order['order_id']}?")
    # a desktop: WeChat Pay's Native QR code on the page, and the other ways to pay
    desktop = page(http, order, DESKTOP)
    assert desktop.status == 200 and 'data-method="native"' in desktop.text and "<svg" in desktop.text
    assert "https://wx.tenpay.com" in desktop.headers["content-security-policy"]
    assert desktop.headers["referrer-policy"] == "strict-origin"  # H5 checks the domain; the token stays
    native = fake.trades[f"{order['order_id']}-N"]["order"]
    assert native["amount"]["total"] == round(float(order["amount"]["amount"]) * 100)
    # a phone browser: H5, whose form takes the buyer to WeChat Pay's cashier and back to the order
    assert 'data-method="h5"' in page(http, order, PHONE).text
    h5 = pay_form(http, order, "h5", PHONE)
    assert h5.status == 303 and h5.headers["location"].startswith(
        "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?"
    )
    back = unquote(h5.headers["location"].split("&redirect_url=", 1)[1])
    assert back.startswith(f"{stack.url}/checkout/{order['order_id']}?") and "check=1" in back
    assert order["order_token"] not in h5.headers["location"]
    # inside WeChat: the OpenID step first, then the bridge's signed request on the page
    inside = page(http, order, WECHAT).text
    assert 'data-method="jsapi"' in inside
    oauth = link(inside, "https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert oauth.endswith("#wechat_redirect") and order["order_token"] not in oauth
    state = parse_qs(urlsplit(oauth).query)["state"][0]
    fake.codes["wx-code-1"] = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    returned = http.get(
        f"/checkout/{order['order_id']}/wechat?"
        + urlencode({"code": "wx-code-1", "state": state, "lang": "zh-CN"}),
        headers={"User-Agent": WECHAT, "Cookie": f"order_token={order['order_token']}; csrf={CSRF}"},
    )
    assert returned.status == 200, returned.text
    bridge = (
        returned.text.split('data-bridge="', 1)[1]
        .split('"', 1)[0]
        .replace("&#34;", '"')
        .replace("&quot;", '"')
    )
    assert fake.verify_pay_sign(json.loads(bridge)) and '<script src="/static/wechat-pay.js"' in returned.text
    # WeChat Pay notifies the payment through the gateway: 204, and the credits are retired
    trade_no = f"{order['order_id']}-J"
    body, headers = fake.pay(trade_no)
    assert fake.notify_url(trade_no) == f"{stack.url}/v1/payments/wechatpay/webhook"
    assert post(fake.notify_url(trade_no), body, headers)[0] == 204
    assert status(http, order) == "retired"
    # a forged notification: WeChat Pay's failure answer, and nothing applied
    forged_body, forged_headers = fake.pay(trade_no)
    forged_headers["Wechatpay-Signature"] = forged_headers["Wechatpay-Signature"][::-1]
    code, kind, text = post(fake.notify_url(trade_no), forged_body, forged_headers)
    assert code == 400 and kind.startswith("application/json") and json.loads(text)["code"] == "FAIL"


def test_alipay_checkout_sends_the_browser_to_the_cashier_and_the_return_finds_the_payment(alipay) -> None:
    stack, fake = alipay
    http = Http(stack.url)
    order = place(http)
    desktop = page(http, order, DESKTOP)
    assert 'data-method="page"' in desktop.text
    assert "method=alipay.trade.wap.pay" in link(page(http, order, PHONE).text, fake.gateway + "?")
    to_cashier = link(desktop.text, fake.gateway + "?")  # a link: Alipay's gateway redirects on
    assert "method=alipay.trade.page.pay" in to_cashier
    cashier = Http("").get(to_cashier)  # the fake checks the request's RSA2 signature
    assert cashier.status == 200 and "test cashier" in cashier.text
    trade_no = "cn" + order["order_id"].encode().hex()
    late = fake.pay(trade_no)  # paid; Alipay's notification has not arrived yet
    assert status(http, order) == "pending_payment"
    back = page(http, order, DESKTOP, "&check=1")  # Alipay's return_url: the page asks Alipay
    assert back.status == 200 and status(http, order) == "retired"
    answer = post(fake.notify_url(trade_no), late, {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer[0] == 200 and answer[2] == "success"  # received (applied already)
    forged = late.replace("total_amount=", "total_amount=9", 1)
    code, _, text = post(
        fake.notify_url(trade_no), forged, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert code == 400 and text == "fail"


@pytest.mark.browser
def test_the_desktop_checkout_shows_a_wechat_pay_code_that_scans(wechat, browser) -> None:
    import zxingcpp
    from PIL import Image

    stack, fake, _ = wechat
    order = place(Http(stack.url))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=DESKTOP)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        tab.goto(order["payment"]["checkout_url"] + "&lang=zh-CN")
        shot = tab.locator(".pay-code svg").screenshot()
        (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        code_url = fake.trades[f"{order['order_id']}-N"]
        assert decoded.text.startswith("weixin://wxpay/bizpayurl?pr=") and decoded.text.endswith(
            code_url["prepay_id"][-8:]
        )
        assert tab.locator("a", has_text="微信").count() >= 1  # the other ways to pay, by name
        assert errors == []  # no Content Security Policy violation
    finally:
        context.close()


def test_the_sweeper_closes_an_expired_orders_trade_at_wechat_pay_in_its_own_role(wechat) -> None:
    from tests.journeys import run_out

    stack, fake, _ = wechat
    http = Http(stack.url)
    order = place(http)
    assert page(http, order, DESKTOP).status == 200  # the QR code opened a Native trade
    run_out(stack, order["order_id"])
    assert stack.invoke("SweeperFunction", {"source": "aws.scheduler"})["released"] >= 1
    assert status(http, order) == "expired"
    assert fake.trades[f"{order['order_id']}-N"]["trade_state"] == "CLOSED"


def test_an_order_the_sweeper_cannot_ask_wechat_pay_about_is_kept_and_counted_by_the_stacks_alarm(
    wechat,
) -> None:
    """Past the grace a payment notice may take, an order WeChat Pay does not answer about is logged and
    kept; the run succeeds (the dead-letter alarm stays quiet), so the template turns that log line
    into the metric an alarm watches: the template's filter pattern is matched against the line logged."""
    from datetime import timedelta

    from carbonneutral.domain.purchase import NOTICE_GRACE

    from infrastructure.local import logs
    from tests.journeys import run_out

    stack, fake, _ = wechat
    http = Http(stack.url)
    order = place(http)
    assert page(http, order, DESKTOP).status == 200  # a Native trade the sweeper must ask about
    run_out(stack, order["order_id"], ago=NOTICE_GRACE + timedelta(minutes=1))
    log = stack.log_dir / "SweeperFunction.log"
    logged_before = log.stat().st_size
    fake.refusal = (500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
    try:
        stack.invoke("SweeperFunction", {"source": "aws.scheduler"})
    finally:
        fake.refusal = None
    assert status(http, order) == "pending_payment"  # kept, for the next run
    cfn = stack.cfn
    resources = cfn.template["Resources"]
    metric = cfn.value(resources["OrdersNotSweptMetric"]["Properties"])
    alarm = cfn.value(resources["OrdersNotSweptAlarm"]["Properties"])
    assert metric["LogGroupName"] == f"/aws/lambda/{stack.functions['SweeperFunction'].spec.name}"
    (counted,) = metric["MetricTransformations"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (counted["MetricNamespace"], counted["MetricName"])
    assert (
        alarm["AlarmActions"] == [cfn.ref("AlarmTopic")] and cfn.ref("AWS::StackName") in alarm["Namespace"]
    )
    lines = log.read_bytes()[logged_before:].decode().splitlines()
    matched = [line for line in lines if logs.matches(metric["FilterPattern"], line)]
    assert [order["order_id"] in line for line in matched].count(True) == 1
    logged_before = log.stat().st_size
    assert stack.invoke("SweeperFunction", {"source": "aws.scheduler"})["released"] >= 1  # WeChat Pay is back
    assert status(http, order) == "expired"
    lines = log.read_bytes()[logged_before:].decode().splitlines()
    assert lines and not [line for line in lines if logs.matches(metric["FilterPattern"], line)]


@pytest.mark.browser
def test_inside_wechat_the_page_hands_the_signed_request_to_wechats_bridge_and_finds_the_payment(
    wechat, browser
) -> None:
    stack, fake, _ = wechat
    order = place(Http(stack.url))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, user_agent=WECHAT)
    # WeChat's browser injects WeixinJSBridge; this one records the request and says it was paid
    context.add_init_script(
        "window.WeixinJSBridge = {invoke: function (name, request, done) {"
        " sessionStorage.setItem('bridgeCall', JSON.stringify({name: name, request: request}));"
        " done({err_msg: 'get_brand_wcpay_request:ok'}); }};"
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        tab.goto(order["payment"]["checkout_url"] + "&lang=zh-CN")
        oauth = tab.locator('a[href^="https://open.weixin.qq.com/"]').get_attribute("href")
        state = parse_qs(urlsplit(oauth).query)["state"][0]
        fake.codes["wx-code-browser"] = "oBrowser0000000000000000000"
        # WeChat hands the visitor back with a code (the page keeps the order token in its cookie)
        tab.goto(
            f"{stack.url}/checkout/{order['order_id']}/wechat?code=wx-code-browser&state={state}&lang=zh-CN"
        )
        fake.pay(f"{order['order_id']}-J")  # paid in WeChat; the notification is late
        with tab.expect_navigation(url=re.compile(r".*check=1.*")):
            tab.click("#wechat-pay")
        call = tab.evaluate("JSON.parse(sessionStorage.getItem('bridgeCall'))")
        assert call["name"] == "getBrandWCPayRequest" and fake.verify_pay_sign(call["request"])
        assert tab.locator(".notice.success").count() == 1  # the page asked WeChat Pay: retired
        assert status(Http(stack.url), order) == "retired"
        assert errors == []  # no Content Security Policy violation
    finally:
        context.close()
