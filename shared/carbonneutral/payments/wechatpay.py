"""WeChat Pay, API v3: JSAPI inside WeChat (after the OpenID step), H5 in other phone browsers,
Native (a QR code) on a desktop; signed and encrypted notifications; refunds, queries, closing.

Requests are signed with the merchant's private key (WECHATPAY2-SHA256-RSA2048); every answer and
notification is verified against WeChat Pay's public key (or platform certificate) before it is
read, a notification's resource is decrypted with the APIv3 key (AEAD_AES_256_GCM), and a
notification whose timestamp is over five minutes off or whose nonce was seen is refused.

One order may be paid by any of the three methods, so each has its own out_trade_no: the order's
id and a letter (J, H, N). Closing or querying an order asks after all three.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, Refund
from carbonneutral.domain.payments import CheckoutStart, PaymentEvent, PaymentStep, RefundPaid, WebhookReply
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    InvalidSignature,
    ProviderRefused,
    ProviderUnavailable,
)
from carbonneutral.payments import rsa

API = "https://api.mch.weixin.qq.com"
OAUTH_API = "https://api.weixin.qq.com"
OAUTH_PAGE = "https://open.weixin.qq.com/connect/oauth2/authorize"
TOLERANCE_S = 300
SUFFIXES = {"jsapi": "J", "h5": "H", "native": "N"}
BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class WeChatPayAccount:
    """The merchant's ids (template parameters) and keys (SSM parameters, named in errors)."""

    mchid: str
    appid: str
    merchant_serial: str  # the serial number of the merchant's API certificate
    private_key: str  # wechatpay-private-key: the merchant's API private key (PEM)
    apiv3_key: str  # wechatpay-apiv3-key: 32 characters
    public_key: str  # wechatpay-public-key: WeChat Pay's public key or platform certificate (PEM)
    public_key_id: str  # its id (PUB_KEY_ID_…) or the certificate's serial number
    api_base: str = API
    oauth_base: str = OAUTH_API


ATTACH_MAX = 128


def out_trade_no(order_id: str, method: str) -> str:
    return f"{order_id}-{SUFFIXES[method]}"


def order_of(trade_no: str) -> str | None:
    order_id, dash, letter = trade_no.rpartition("-")
    return order_id if dash and letter in SUFFIXES.values() else None


class WeChatPayProvider:
    name = "wechatpay"
    methods: tuple[str, ...] = ("jsapi", "h5", "native")
    # The H5 cashier is reached from a posted form (the OpenID step is a link, which CSP leaves be).
    checkout_origins: tuple[str, ...] = ("https://wx.tenpay.com",)

    def __init__(
        self,
        account: WeChatPayAccount,
        nonces: Callable[[str], bool],
        *,
        app_secret: Callable[[], str] | None = None,  # wechatpay-app-secret, asked for at JSAPI only
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._account, self._nonces, self._clock = account, nonces, clock
        self._app_secret = app_secret
        if len(account.apiv3_key.encode()) != 32:
            from carbonneutral.errors import NotConfigured

            raise NotConfigured("the wechatpay-apiv3-key parameter must be the 32-character APIv3 key")
        self._private = rsa.private_key(account.private_key, "wechatpay-private-key")
        self._public = rsa.public_key(account.public_key, "wechatpay-public-key")

    # -- starting a payment ------------------------------------------------------------------

    def start_checkout(self, order: Order, base_url: str, lang: str | None = None) -> CheckoutStart:
        """The platform's own checkout page starts the payment, with the method that fits the browser."""
        if order.amount.currency != "CNY":
            raise InvalidInput("WeChat Pay takes payments in CNY only", field="project_id")
        return CheckoutStart(url=None, reference=order.order_id)

    def method_for(self, user_agent: str) -> str:
        if "MicroMessenger" in user_agent:
            return "jsapi"
        mobile = any(word in user_agent for word in ("Mobile", "Android", "iPhone", "iPad"))
        return "h5" if mobile else "native"

    def needs_payer(self, method: str) -> bool:
        return method == "jsapi"

    def payer_url(self, redirect_uri: str, state: str) -> str:
        """WeChat's page that hands the visitor's OpenID code back (silently, scope snsapi_base)."""
        query = urlencode(
            {
                "appid": self._account.appid,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
            },
            quote_via=quote,
        )
        return f"{OAUTH_PAGE}?{query}#wechat_redirect"

    def _order_body(self, order: Order, method: str, notify_url: str) -> dict[str, Any]:
        body = {
            "appid": self._account.appid,
            "mchid": self._account.mchid,
            "description": f"{order.quantity_kg} kg CO2e: {order.reason}"[:127],
            "out_trade_no": out_trade_no(order.order_id, method),
            # WeChat Pay refuses payment once the reservation ends
            "time_expire": order.reserved_until.astimezone(BEIJING).isoformat(timespec="seconds"),
            "notify_url": notify_url,
            "amount": {"total": order.amount.minor_units, "currency": "CNY"},
        }
        # brought back with the payment, so retiring the order reads in one request; attach holds at
        # most 128 characters, and a longer hint is left out (the retirement then reads the order first)
        hint = RetirementHint.of(order).encode()
        return {**body, "attach": hint} if len(hint) <= ATTACH_MAX else body

    def pay(
        self, order: Order, method: str, *, notify_url: str, return_url: str, client_ip: str | None
    ) -> PaymentStep:
        body = self._order_body(order, method, notify_url)
        if method == "native":
            return PaymentStep(
                "qr", url=str(self._call("POST", "/v3/pay/transactions/native", body)["code_url"])
            )
        if method == "h5":
            body["scene_info"] = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
            h5_url = str(self._call("POST", "/v3/pay/transactions/h5", body)["h5_url"])
            return PaymentStep("redirect", url=f"{h5_url}&redirect_url={quote(return_url, safe='')}")
        raise InvalidInput(f"WeChat Pay has no method {method!r} here", field="method")

    def pay_as(self, order: Order, payer_code: str, *, notify_url: str) -> PaymentStep:
        """JSAPI: the OpenID for WeChat's code, the prepay id for it, and the bridge's signed request."""
        openid = self._openid(payer_code)
        body = {**self._order_body(order, "jsapi", notify_url), "payer": {"openid": openid}}
        prepay = str(self._call("POST", "/v3/pay/transactions/jsapi", body)["prepay_id"])
        params = {
            "appId": self._account.appid,
            "timeStamp": str(int(self._clock())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay}",
            "signType": "RSA",
        }
        message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
        return PaymentStep("jsapi", params={**params, "paySign": rsa.sign(self._private, message)})

    def _openid(self, code: str) -> str:
        if self._app_secret is None:
            from carbonneutral.errors import NotConfigured

            raise NotConfigured("the wechatpay-app-secret parameter is needed for payments inside WeChat")
        query = urlencode(
            {
                "appid": self._account.appid,
                "secret": self._app_secret(),
                "code": code,
                "grant_type": "authorization_code",
            }
        )
        answer = rsa.request("WeChat", "GET", f"{self._account.oauth_base}/sns/oauth2/access_token?{query}")
        found = answer.json()
        if answer.status != 200 or not isinstance(found, dict) or not found.get("openid"):
            raise InvalidInput("WeChat did not confirm who is paying; open the page again", field="code")
        return str(found["openid"])

    # -- the API ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A signed request; its answer's signature checked before it is read. 4xx: a Conflict
        naming WeChat Pay's code; 5xx or an unsigned answer: a 503."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
        timestamp, nonce = str(int(self._clock())), secrets.token_hex(16)
        signature = rsa.sign(self._private, f"{method}\n{path}\n{timestamp}\n{nonce}\n{raw}\n")
        authorization = (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self._account.mchid}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{timestamp}",serial_no="{self._account.merchant_serial}"'
        )
        headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            "User-Agent": "carbon-neutral",
            "Wechatpay-Serial": self._account.public_key_id,  # the key its answer is to be signed with
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        answer = rsa.request(
            "WeChat Pay",
            method,
            self._account.api_base + path,
            body=raw.encode() if body is not None else None,
            headers=headers,
        )
        if answer.status >= 500:
            raise ProviderUnavailable(f"WeChat Pay answered {answer.status}; try again")
        if answer.status == 202:  # USER_PAYING: the buyer is paying this moment; nothing is settled yet
            raise ProviderUnavailable("WeChat Pay: the buyer is paying this moment (202); ask again")
        if answer.status < 300 and (answer.body or answer.headers.get("wechatpay-signature")):
            self._check_signed(answer.headers, answer.body, unsigned=ProviderUnavailable)
        found = answer.json()
        if answer.status >= 400:
            code = str(found.get("code", answer.status) if isinstance(found, dict) else answer.status)
            message = found.get("message", "") if isinstance(found, dict) else ""
            raise ProviderRefused(f"WeChat Pay refused it: {code} {message}".strip(), code, field="payment")
        return found if isinstance(found, dict) else {}

    def _check_signed(
        self, headers: Mapping[str, str], body: str, *, unsigned: type[DomainError] = InvalidSignature
    ) -> str:
        """Verifies WeChat Pay's signature of an answer or a notification; returns its nonce."""
        get = {k.lower(): v for k, v in headers.items()}.get
        timestamp, nonce = get("wechatpay-timestamp", ""), get("wechatpay-nonce", "")
        serial = get("wechatpay-serial", "")
        if not (timestamp and nonce and get("wechatpay-signature")):
            raise unsigned("WeChat Pay's signature headers are missing", field="signature", location="header")
        if serial != self._account.public_key_id:
            raise unsigned(
                f"signed with key {serial!r}, not WeChat Pay's key for this merchant",
                field="signature",
                location="header",
            )
        if not rsa.verified(self._public, f"{timestamp}\n{nonce}\n{body}\n", get("wechatpay-signature")):
            raise unsigned("WeChat Pay's signature does not match", field="signature", location="header")
        try:
            age = abs(self._clock() - int(timestamp))
        except ValueError:
            age = TOLERANCE_S + 1
        if age > TOLERANCE_S:
            raise unsigned(
                "the signature is too old or from the future", field="signature", location="header"
            )
        return nonce

    # -- notifications --------------------------------------------------------------------------

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent:
        nonce = self._check_signed(headers, body)
        if not self._nonces(nonce):  # signed, in time, and seen before: a replay
            raise InvalidSignature(
                "this notification's nonce was used before", field="signature", location="header"
            )
        try:
            notice = json.loads(body)
            resource = notice["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError(resource.get("algorithm"))
            plain = self._decrypt(resource)
            return self._event(str(notice["event_type"]), str(notice["id"]), plain)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:  # never a 500: WeChat Pay resends
            raise InvalidSignature("the notification is signed but cannot be read", field="resource") from exc

    def _decrypt(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            data = AESGCM(self._account.apiv3_key.encode()).decrypt(
                str(resource["nonce"]).encode(),
                base64.b64decode(resource["ciphertext"]),
                str(resource.get("associated_data") or "").encode(),
            )
        except InvalidTag as exc:
            raise ValueError("the resource does not decrypt with the APIv3 key") from exc
        found = json.loads(data)
        if not isinstance(found, dict):
            raise ValueError("the resource is not an object")
        return found

    def _event(self, kind: str, notice_id: str, plain: dict[str, Any]) -> PaymentEvent:
        if plain.get("mchid") != self._account.mchid or plain.get("appid", self._account.appid) != (
            self._account.appid
        ):
            raise InvalidSignature(
                f"the notification is for merchant {plain.get('mchid')!r}, not this one", field="mchid"
            )
        trade_no = str(plain.get("out_trade_no", ""))
        order_id = order_of(trade_no)
        amount = plain.get("amount") or {}
        if kind == "TRANSACTION.SUCCESS" and plain.get("trade_state") == "SUCCESS":
            return self._paid(plain, order_id, trade_no)
        if kind == "REFUND.SUCCESS" and plain.get("refund_status") == "SUCCESS":
            refund_id = str(plain["refund_id"])
            return PaymentEvent(
                self.name,
                f"wxrefund:{refund_id}",
                "refunded",
                order_id,
                _fen(amount.get("refund"), "CNY"),  # this refund's amount, not all refunded so far
                trade_no,
                payment_ref=str(plain.get("transaction_id") or "") or None,
                refund_ref=refund_id,
                refund_total=False,
            )
        # REFUND.ABNORMAL, REFUND.CLOSED: no money went back; the refund stays due (recorded only)
        return PaymentEvent(self.name, f"wxnotice:{notice_id}", "ignored", order_id, None, trade_no)

    def _paid(self, tx: Mapping[str, Any], order_id: str | None, trade_no: str) -> PaymentEvent:
        """A payment: one event id per WeChat Pay transaction, so its notification and a query
        that finds it are applied once between them."""
        amount = tx.get("amount") or {}
        paid = _fen(amount.get("total"), str(amount.get("currency") or "CNY"))
        if paid is None:
            raise InvalidInput("the payment must state its amount", field="amount")
        transaction = str(tx["transaction_id"])
        return PaymentEvent(
            self.name,
            f"wxpay:{transaction}",
            "succeeded",
            order_id,
            paid,
            trade_no,
            payment_ref=transaction,
            hint=str(tx.get("attach") or "") or None,
        )

    def reply(self, error: Exception | None) -> WebhookReply:
        """WeChat Pay's expected answer: 204 when received; otherwise 4xx/5xx with code FAIL, and
        WeChat Pay sends the notification again later."""
        if error is None:
            return WebhookReply(204, "application/json", "")
        status = error.status if isinstance(error, DomainError) else 500
        message = error.detail if isinstance(error, DomainError) else "not received"
        body = json.dumps({"code": "FAIL", "message": message[:200]}, ensure_ascii=False)
        return WebhookReply(status if status >= 400 else 500, "application/json", body)

    # -- after the payment --------------------------------------------------------------------

    def _trade(self, trade_no: str) -> dict[str, Any] | None:
        """The trade as WeChat Pay has it; None when it was never opened (that method never started).
        Any other refusal (FREQUENCY_LIMITED, SIGN_ERROR...) says nothing of the payment: a 503."""
        try:
            return self._call(
                "GET", f"/v3/pay/transactions/out-trade-no/{trade_no}?mchid={self._account.mchid}"
            )
        except ProviderRefused as exc:
            if exc.code == "ORDER_NOT_EXIST":
                return None
            from carbonneutral.observability import logger

            # a lasting refusal (SIGN_ERROR, NO_AUTH: the merchant's setup) looks like an outage here
            logger.error("WeChat Pay refused a query", extra={"trade_no": trade_no, "code": exc.code})
            raise ProviderUnavailable(f"WeChat Pay could not say how the order stands: {exc.detail}") from exc

    def _payment(self, tx: Mapping[str, Any] | None) -> PaymentEvent | None:
        if tx is None or tx.get("trade_state") not in ("SUCCESS", "REFUND"):
            return None
        event = self._event("TRANSACTION.SUCCESS", "query", {**tx, "trade_state": "SUCCESS"})
        # REFUND: paid, then refunded in the merchant platform: never buys credits, owed back
        return replace(event, returned=True) if tx.get("trade_state") == "REFUND" else event

    def query(self, order: Order) -> list[PaymentEvent]:
        """Every payment WeChat Pay took for the order: one per method that was paid."""
        found = (self._payment(self._trade(out_trade_no(order.order_id, m))) for m in self.methods)
        return [event for event in found if event is not None]

    def close(self, order: Order) -> list[PaymentEvent]:
        """Closes each of the order's trades still open, so none can be paid any more, and returns
        every payment taken. A trade never opened needs nothing: WeChat Pay would refuse to open
        it now, its time_expire being the reservation's end. Every trade is seen to; then a 503 if
        any could not be made sure of (WeChat Pay is away, or a buyer is paying this moment)."""
        paid, unsure = [], list[ProviderUnavailable]()
        for method in self.methods:
            try:
                event = self._close_trade(out_trade_no(order.order_id, method))
            except ProviderUnavailable as exc:
                unsure.append(exc)
                continue
            if event is not None:
                paid.append(event)
        if unsure:
            raise unsure[0]
        return paid

    def _close_trade(self, trade_no: str) -> PaymentEvent | None:
        tx = self._trade(trade_no)
        state = tx.get("trade_state") if tx else None
        if state == "USERPAYING":
            raise ProviderUnavailable(f"a payment of {trade_no} is under way at WeChat Pay")
        if state == "NOTPAY":
            try:  # 204 closed; 202 USER_PAYING comes as a 503 from _call
                self._call(
                    "POST",
                    f"/v3/pay/transactions/out-trade-no/{trade_no}/close",
                    {"mchid": self._account.mchid},
                )
                return None
            except ProviderRefused as exc:
                if exc.code == "ORDER_CLOSED":
                    return None
                if exc.code != "ORDERPAID":
                    raise ProviderUnavailable(f"WeChat Pay did not close {trade_no}: {exc.detail}") from exc
                tx = self._trade(trade_no)  # paid this very moment: read it again
        return self._payment(tx)

    def refund(self, order: Order, refund: Refund, key: str) -> RefundPaid:
        """The refund API; its out_refund_no comes from the key, so a retry is the same refund."""
        if not refund.payment_ref:
            raise Conflict(f"the refund of order {order.order_id} names no WeChat Pay transaction")
        out_refund_no = rsa.refund_number(key)
        fen = refund.amount.minor_units
        done = self._call(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "transaction_id": refund.payment_ref,
                "out_refund_no": out_refund_no,
                "reason": "carbon-neutral: money owed back"[:80],
                "amount": {"refund": fen, "total": fen, "currency": "CNY"},
            },
        )
        refund_id, status = str(done["refund_id"]), done.get("status")
        if status == "PROCESSING":  # on its way: REFUND.SUCCESS settles it; until then it stays due
            return RefundPaid(refund_id)
        if status != "SUCCESS":  # ABNORMAL (the buyer's account cannot take it) or CLOSED
            raise Conflict(
                f"WeChat Pay did not refund it ({status}): settle refund {refund_id} in the merchant platform"
            )
        event = PaymentEvent(
            self.name,
            f"wxrefund:{refund_id}",
            "refunded",
            order.order_id,
            refund.amount,
            payment_ref=refund.payment_ref,
            refund_ref=refund_id,
            refund_total=False,
        )
        return RefundPaid(refund_id, event)

    def cancel_checkout(self, order: Order) -> list[PaymentEvent]:
        """Closes the order's payments at WeChat Pay, so none can be paid any more, and returns those
        made already (best effort: a payment that still comes is refunded)."""
        from carbonneutral.observability import logger

        try:
            return self.close(order)
        except ProviderUnavailable as exc:
            logger.info(
                "WeChat Pay order not closed", extra={"order_id": order.order_id, "error": exc.detail}
            )
            return []


def _fen(value: Any, currency: str) -> Money | None:
    if value is None or isinstance(value, bool):
        return None
    return Money(amount=Decimal(int(value)) / 100, currency=currency)
