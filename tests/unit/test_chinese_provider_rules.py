"""What WeChat Pay and Alipay demand of a merchant, checked without a network: trade numbers in their
alphabets and lengths, answers in their forms, keys and ids that are missing or wrong named in a
503, and the browser's method picked from its user agent."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from carbonneutral.errors import InvalidSignature, NotConfigured
from carbonneutral.payments import alipay, wechatpay
from carbonneutral.payments.alipay import AlipayAccount, AlipayProvider
from carbonneutral.payments.wechatpay import WeChatPayAccount, WeChatPayProvider
from carbonneutral.settings import Settings

from tests.factories import an_order
from tests.fake_banks import bare, key_pair

_, PRIVATE, PUBLIC = key_pair()
_, _, OTHER_PUBLIC = key_pair()


def wechat_account(**changes: str) -> WeChatPayAccount:
    values = {
        "mchid": "1900000109",
        "appid": "wx8888888888888888",
        "merchant_serial": "5157F09EFDC096DE15EBE81A47057A72",
        "private_key": PRIVATE,
        "apiv3_key": secrets.token_hex(16),
        "public_key": PUBLIC,
        "public_key_id": "PUB_KEY_ID_0114232134912410000000000000",
        **changes,
    }
    return WeChatPayAccount(**values)


def test_trade_numbers_fit_each_providers_alphabet_and_lead_back_to_the_order() -> None:
    order_id = "ord_" + secrets.token_urlsafe(16)  # as orders are made: '-' and '_' included
    for method in ("jsapi", "h5", "native"):
        number = wechatpay.out_trade_no(order_id, method)
        assert re.fullmatch(r"[0-9A-Za-z_\-*]{6,32}", number) and wechatpay.order_of(number) == order_id
    assert wechatpay.order_of("somebody-elses-trade") is None
    number = alipay.out_trade_no(order_id)
    assert re.fullmatch(r"[0-9A-Za-z_]{1,64}", number) and alipay.order_of(number) == order_id
    assert alipay.order_of("2026112622001") is None and alipay.order_of("cnzz") is None


def test_each_provider_is_answered_in_its_own_form() -> None:
    provider = WeChatPayProvider(wechat_account(), lambda nonce: True)
    assert provider.reply(None).status == 204 and provider.reply(None).body == ""
    refused = provider.reply(InvalidSignature("WeChat Pay's signature does not match"))
    assert refused.status == 400 and json.loads(refused.body) == {
        "code": "FAIL",
        "message": "WeChat Pay's signature does not match",
    }
    assert provider.reply(RuntimeError("boom")).status == 500  # never a success for a failure
    ali = AlipayProvider(
        AlipayAccount(app_id="2021000000000001", private_key=bare(PRIVATE), alipay_public_key=bare(PUBLIC))
    )
    assert (ali.reply(None).body, ali.reply(InvalidSignature("x")).body) == ("success", "fail")
    assert ali.reply(None).content_type.startswith("text/plain")


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"apiv3_key": "too-short"}, "wechatpay-apiv3-key"),
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"},
            "wechatpay-private-key",
        ),
        ({"public_key": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"}, "wechatpay-public-key"),
    ],
)
def test_a_wrong_merchant_key_is_a_503_naming_its_parameter(changes: dict[str, str], named: str) -> None:
    with pytest.raises(NotConfigured, match=named):
        WeChatPayProvider(wechat_account(**changes), lambda nonce: True)


def test_alipay_keys_are_taken_as_its_console_gives_them_and_a_wrong_one_is_named() -> None:
    AlipayProvider(
        AlipayAccount(app_id="2021000000000001", private_key=bare(PRIVATE), alipay_public_key=bare(PUBLIC))
    )
    with pytest.raises(NotConfigured, match="alipay-private-key"):
        AlipayProvider(AlipayAccount(app_id="2021000000000001", private_key="MIIE", alipay_public_key=PUBLIC))


def test_a_missing_merchant_id_is_a_503_naming_the_template_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAYMENT_PROVIDER", "wechatpay")
    settings = Settings.from_env()
    with pytest.raises(NotConfigured, match="WeChatPayMchId"):
        settings.required("wechatpay_mchid")
    monkeypatch.setenv("WECHATPAY_MCHID", "not-digits")
    with pytest.raises(NotConfigured, match="WECHATPAY_MCHID is not valid"):
        Settings.from_env()


def test_a_notification_signed_with_another_key_or_serial_is_refused_before_its_nonce_is_spent() -> None:
    spent: list[str] = []
    provider = WeChatPayProvider(
        wechat_account(public_key=OTHER_PUBLIC), lambda nonce: spent.append(nonce) or True
    )
    from tests.fake_banks import FakeWeChatPay

    fake = FakeWeChatPay()
    try:
        body, headers = fake.notification("TRANSACTION.SUCCESS", {"mchid": "1900000109"})
        with pytest.raises(InvalidSignature, match="not WeChat Pay's key"):
            provider.parse_event(body, headers)  # the fake's key id is not this merchant's
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_0114232134912410000000000000"
        with pytest.raises(InvalidSignature, match="does not match"):
            provider.parse_event(body, headers)  # the right id, the wrong key
        assert spent == []  # a forger cannot use up nonces
    finally:
        fake.stop()


def test_a_signed_notification_missing_what_it_must_state_is_refused_not_a_500() -> None:
    from tests.fake_banks import FakeWeChatPay

    fake = FakeWeChatPay()
    try:
        provider = WeChatPayProvider(fake.account(), lambda nonce: True)
        for kind, resource in (
            ("REFUND.SUCCESS", {"mchid": fake.mchid, "refund_status": "SUCCESS"}),  # no refund_id
            (
                "TRANSACTION.SUCCESS",
                {"mchid": fake.mchid, "trade_state": "SUCCESS", "amount": {"total": 5}},
            ),  # no id
            (
                "TRANSACTION.SUCCESS",
                {
                    "mchid": fake.mchid,
                    "trade_state": "SUCCESS",
                    "transaction_id": "4",
                    "amount": {"total": "lots"},
                },
            ),
        ):
            with pytest.raises(InvalidSignature, match="cannot be read"):
                provider.parse_event(*fake.notification(kind, resource))
    finally:
        fake.stop()


def test_the_method_fits_the_browser() -> None:
    provider = WeChatPayProvider(wechat_account(), lambda nonce: True)
    ali = AlipayProvider(
        AlipayAccount(app_id="2021000000000001", private_key=PRIVATE, alipay_public_key=PUBLIC)
    )
    agents = {
        "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 MicroMessenger/8.0.50": ("jsapi", "wap"),
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148": ("h5", "wap"),
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36": ("native", "page"),
    }
    for agent, (wechat_method, alipay_method) in agents.items():
        assert (provider.method_for(agent), ali.method_for(agent)) == (wechat_method, alipay_method)


def test_alipays_signed_text_is_the_answer_node_byte_for_byte() -> None:
    node = '{"code":"10000","msg":"Success","subject":"含 {括号} 的,\\"标题\\""}'
    body = f'{{"alipay_trade_query_response":{node},"sign":"c2lnbg=="}}'
    assert alipay._response_text(body, "alipay_trade_query_response") == (node, "c2lnbg==")
    assert alipay._response_text("<html>gateway error</html>", "alipay_trade_query_response") == (None, None)
    # a WeChat Pay order the platform starts: its amount in fen, its expiry the reservation's
    order = an_order(amount="12.30")
    asked = WeChatPayProvider(wechat_account(), lambda nonce: True)._order_body(
        order, "native", "https://x/n"
    )
    assert asked["amount"] == {"total": 1230, "currency": "CNY"} and len(asked["description"]) <= 127
    assert asked["time_expire"].endswith("+08:00")


def test_alipays_signing_content_matches_its_documented_example() -> None:
    """The example in Alipay's signing guide: every parameter with a value, sorted by name, as
    name=value joined by &, nothing encoded; a notification's sign and sign_type are left out
    before (alipay.AlipayProvider.parse_event)."""
    params = {
        "app_id": "2014072300007148",
        "method": "alipay.mobile.public.menu.add",
        "charset": "GBK",
        "sign_type": "RSA2",
        "timestamp": "2014-07-24 03:07:50",
        "biz_content": '{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}',
        "version": "1.0",
        "empty": "",
    }
    assert alipay.signing_string(params) == (
        "app_id=2014072300007148"
        '&biz_content={"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}'
        "&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2"
        "&timestamp=2014-07-24 03:07:50&version=1.0"
    )
