"""WeChat Pay (API v3) and Alipay (RSA2) on loopback, for tests: each holds keys the tests generate,
checks the merchant's signature on every request as the provider does, signs every answer and
notification with its own key, and encrypts WeChat Pay's resources with the APIv3 key. Paying is a
method of the fake (the buyer at the provider's cashier); its notification is handed back to the
test to deliver, or posted to the order's notify_url."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from carbonneutral.payments import rsa as rsa_sign
from carbonneutral.payments.alipay import AlipayAccount
from carbonneutral.payments.wechatpay import WeChatPayAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BEIJING = timezone(timedelta(hours=8))


def key_pair() -> tuple[rsa.RSAPrivateKey, str, str]:
    """(key, its private PEM, its public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, private, public


def alipay_content(params: Mapping[str, str]) -> str:
    """What Alipay signs, as its documentation describes it (written here apart from the provider's
    own, so a mistake there does not sign itself): every parameter with a value, sorted by name
    in ASCII order, as name=value joined by &, values neither encoded nor trimmed."""
    pairs = sorted((name, value) for name, value in params.items() if value)
    return "&".join(name + "=" + value for name, value in pairs)


def bare(pem: str) -> str:
    """A PEM key as Alipay's console shows it: base64 only, one line."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def post(url: str, body: str, headers: Mapping[str, str]) -> tuple[int, str, str]:
    """Delivers a notification as the provider does: (status, content type, body)."""
    call = urllib.request.Request(url, data=body.encode(), headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(call, timeout=15) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


class FakeWeChatPay:
    """api.mch.weixin.qq.com and api.weixin.qq.com's OpenID exchange, as far as this platform uses them."""

    def __init__(self) -> None:
        self.mchid, self.appid = "1900000109", "wx8888888888888888"
        self.merchant_serial = secrets.token_hex(20).upper()
        self.public_key_id = "PUB_KEY_ID_" + "".join(str(secrets.randbelow(10)) for _ in range(32))
        self.apiv3_key = secrets.token_hex(16)  # 32 characters
        self.app_secret = secrets.token_hex(16)
        _, self.merchant_private_pem, merchant_public = key_pair()
        self._merchant_public = rsa_sign.public_key(merchant_public, "merchant")
        self._platform, _, self.platform_public_pem = key_pair()
        self.trades: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, str] = {}  # OpenID codes WeChat handed out -> openid
        self.requests: list[dict[str, Any]] = []
        # set by a test: WeChat Pay refuses every API request with it (e.g. 429 FREQUENCY_LIMITED)
        self.refusal: tuple[int, dict[str, str]] | None = None
        self.refund_status = "SUCCESS"  # what the refund API answers a new refund with
        self.paid_on_close: set[str] = set()  # trades the buyer pays just as the merchant closes them
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, "GET", "")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fake._handle(self, "POST", body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(Handler)
        self.url = self._server.url

    def stop(self) -> None:
        self._server.stop()

    def account(self, *, private_key: str | None = None) -> WeChatPayAccount:
        return WeChatPayAccount(
            mchid=self.mchid,
            appid=self.appid,
            merchant_serial=self.merchant_serial,
            private_key=private_key or self.merchant_private_pem,
            apiv3_key=self.apiv3_key,
            public_key=self.platform_public_pem,
            public_key_id=self.public_key_id,
            api_base=self.url,
            oauth_base=self.url,
        )

    def verify_pay_sign(self, params: Mapping[str, str]) -> bool:
        """What WeChat's bridge checks of a JSAPI request: the merchant's signature."""
        message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
        return rsa_sign.verified(self._merchant_public, message, params.get("paySign"))

    # -- the HTTP side ----------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, found: Any = None) -> None:
        body = "" if found is None else json.dumps(found, ensure_ascii=False, separators=(",", ":"))
        headers = self.signed(body)
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if body:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body.encode())))
        handler.end_headers()
        handler.wfile.write(body.encode())

    def _authorized(self, handler: BaseHTTPRequestHandler, method: str, body: str) -> bool:
        scheme, _, rest = (handler.headers.get("Authorization") or "").partition(" ")
        fields = dict((k, v.strip('"')) for k, _, v in (part.partition("=") for part in rest.split(",")) if k)
        message = f"{method}\n{handler.path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        return (
            scheme == "WECHATPAY2-SHA256-RSA2048"
            and fields.get("mchid") == self.mchid
            and fields.get("serial_no") == self.merchant_serial
            and abs(time.time() - int(fields.get("timestamp") or 0)) <= 300
            and rsa_sign.verified(self._merchant_public, message, fields.get("signature"))
        )

    def _handle(self, handler: BaseHTTPRequestHandler, method: str, body: str) -> None:
        path = urlsplit(handler.path)
        self.requests.append({"method": method, "path": handler.path, "body": body})
        if path.path == "/sns/oauth2/access_token":
            query = {k: v[0] for k, v in parse_qs(path.query).items()}
            openid = self.codes.get(query.get("code", ""))
            if query.get("appid") != self.appid or query.get("secret") != self.app_secret or not openid:
                return self._answer(handler, 200, {"errcode": 40029, "errmsg": "invalid code"})
            return self._answer(handler, 200, {"access_token": "at", "expires_in": 7200, "openid": openid})
        if not self._authorized(handler, method, body):
            return self._answer(handler, 401, {"code": "SIGN_ERROR", "message": "签名错误"})
        if self.refusal is not None:
            return self._answer(handler, *self.refusal)
        with self._lock:
            status, found = self._route(method, path.path, json.loads(body) if body else {})
        self._answer(handler, status, found)

    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        kind = path.rsplit("/", 1)[-1]
        if (
            method == "POST"
            and path.startswith("/v3/pay/transactions/")
            and kind in ("native", "h5", "jsapi")
        ):
            return self._open(kind, body)
        if path.startswith("/v3/pay/transactions/out-trade-no/"):
            trade_no = path.split("/")[5]
            trade = self.trades.get(trade_no)
            if trade is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if method == "POST":  # close
                if trade_no in self.paid_on_close and trade["trade_state"] == "NOTPAY":
                    self._paid(trade)
                if trade["trade_state"] in ("SUCCESS", "REFUND"):
                    return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
                trade["trade_state"] = "CLOSED"
                return 204, None
            return 200, self._transaction(trade)
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(body)
        return 404, {"code": "NOT_FOUND", "message": path}

    def _open(self, kind: str, body: dict[str, Any]) -> tuple[int, Any]:
        trade_no = str(body.get("out_trade_no", ""))
        problems = [
            body.get("mchid") != self.mchid and "mchid",
            body.get("appid") != self.appid and "appid",
            not 6 <= len(trade_no) <= 32 and "out_trade_no",
            body.get("amount", {}).get("currency") != "CNY" and "amount.currency",
            not isinstance(body.get("amount", {}).get("total"), int) and "amount.total",
            not str(body.get("notify_url", "")).startswith("http") and "notify_url",
            kind == "jsapi" and not body.get("payer", {}).get("openid") and "payer.openid",
            kind == "h5" and not body.get("scene_info", {}).get("payer_client_ip") and "scene_info",
        ]
        datetime.fromisoformat(body["time_expire"])  # RFC 3339, or the handler fails loudly
        if any(problems):
            return 400, {"code": "PARAM_ERROR", "message": f"invalid: {[p for p in problems if p]}"}
        trade = self.trades.setdefault(trade_no, {"trade_state": "NOTPAY", "kind": kind, "order": body})
        if trade["order"]["amount"] != body["amount"]:
            return 400, {"code": "INVALID_REQUEST", "message": "商户订单号重复"}
        prepay = trade.setdefault("prepay_id", "wx" + secrets.token_hex(14))
        if kind == "native":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay[-8:]}"}
        if kind == "h5":
            return 200, {
                "h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay}&package=1"
            }
        return 200, {"prepay_id": prepay}

    def _transaction(self, trade: dict[str, Any]) -> dict[str, Any]:
        order = trade["order"]
        found = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": order["out_trade_no"],
            "trade_state": trade["trade_state"],
            "trade_type": trade["kind"].upper(),
            "attach": order.get("attach", ""),
        }
        if trade["trade_state"] in ("SUCCESS", "REFUND"):
            paid = trade.get("paid", order["amount"]["total"])
            found.update(
                transaction_id=trade["transaction_id"],
                success_time=trade["success_time"],
                amount={"total": paid, "payer_total": paid, "currency": "CNY", "payer_currency": "CNY"},
                payer={"openid": "o" + secrets.token_hex(8)},
            )
        return found

    def _refund(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body["out_refund_no"] in self.refunds:
            return 200, self.refunds[body["out_refund_no"]]
        trade = next(
            (t for t in self.trades.values() if t.get("transaction_id") == body.get("transaction_id")), None
        )
        if trade is None:
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        if body["amount"]["refund"] > trade.get("paid", trade["order"]["amount"]["total"]):
            return 400, {"code": "INVALID_REQUEST", "message": "退款金额超过订单金额"}
        trade["trade_state"] = "REFUND"
        refund = {
            "refund_id": "50" + "".join(str(secrets.randbelow(10)) for _ in range(27)),
            "out_refund_no": body["out_refund_no"],
            "transaction_id": body["transaction_id"],
            "out_trade_no": trade["order"]["out_trade_no"],
            "status": self.refund_status,
            "amount": {
                "total": body["amount"]["total"],
                "refund": body["amount"]["refund"],
                "currency": "CNY",
            },
        }
        self.refunds[body["out_refund_no"]] = refund
        return 200, refund

    # -- signing and notifications -----------------------------------------------------------------

    def signed(
        self, body: str, *, timestamp: int | None = None, nonce: str | None = None, key: Any = None
    ) -> dict[str, str]:
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = nonce or secrets.token_hex(16)
        private = key or self._platform
        message = f"{timestamp}\n{nonce}\n{body}\n"
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign.sign(private, message),
            "Wechatpay-Serial": self.public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def notification(
        self, event_type: str, resource: dict[str, Any], *, apiv3_key: str | None = None, **signing: Any
    ) -> tuple[str, dict[str, str]]:
        nonce, associated = (
            secrets.token_hex(6),
            "transaction" if event_type.startswith("TRANS") else "refund",
        )
        ciphertext = AESGCM((apiv3_key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode()
        )
        body = json.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功" if event_type == "TRANSACTION.SUCCESS" else "退款成功",
                "resource": {
                    "original_type": associated,
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": associated,
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        return body, {"Content-Type": "application/json", **self.signed(body, **signing)}

    def pay(
        self, trade_no: str, *, amount_fen: int | None = None, **signing: Any
    ) -> tuple[str, dict[str, str]]:
        """The buyer pays the trade at WeChat Pay's cashier; its TRANSACTION.SUCCESS notification."""
        with self._lock:
            trade = self.trades[trade_no]
            expires = datetime.fromisoformat(trade["order"]["time_expire"])
            if trade["trade_state"] == "NOTPAY" and datetime.now(BEIJING) > expires:
                raise AssertionError(f"WeChat Pay refuses to take a payment after {expires}")
            if trade["trade_state"] == "CLOSED":
                raise AssertionError("WeChat Pay refuses to take a payment of a closed order")
            if trade["trade_state"] == "NOTPAY":
                self._paid(trade)
            if amount_fen is not None:
                trade["paid"] = amount_fen
            resource = self._transaction(trade)
        return self.notification("TRANSACTION.SUCCESS", resource, **signing)

    @staticmethod
    def _paid(trade: dict[str, Any]) -> None:
        trade.update(
            trade_state="SUCCESS",
            transaction_id="42" + "".join(str(secrets.randbelow(10)) for _ in range(26)),
            success_time=datetime.now(BEIJING).isoformat(timespec="seconds"),
        )

    def refund_notification(self, out_refund_no: str, status: str = "SUCCESS") -> tuple[str, dict[str, str]]:
        """REFUND.SUCCESS (or REFUND.ABNORMAL, REFUND.CLOSED) of a refund, which it then is."""
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        resource = {
            "mchid": self.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": status,
            "success_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
            "amount": {
                **refund["amount"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
            },
        }
        return self.notification(f"REFUND.{status}", resource)

    def notify_url(self, trade_no: str) -> str:
        return str(self.trades[trade_no]["order"]["notify_url"])


class FakeAlipay:
    """openapi.alipay.com/gateway.do: the cashier a browser is sent to, and the trade API."""

    def __init__(self) -> None:
        self.app_id, self.seller_id = "2021000000000001", "2088000000000001"
        _, app_private, app_public = key_pair()
        self.app_private_key = bare(app_private)  # as the console hands it out
        self._app_public = rsa_sign.public_key(app_public, "app")
        self._alipay, _, alipay_public = key_pair()
        self.alipay_public_key = bare(alipay_public)
        self.trades: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, str]] = []
        # set by a test: Alipay refuses every API call with this sub_code (e.g. ACQ.SYSTEM_ERROR)
        self.refusal: str | None = None
        self.paid_on_close: set[str] = set()  # trades the buyer pays just as the merchant closes them
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fake._handle(self, dict(parse_qsl(body, keep_blank_values=True)))

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(Handler)
        self.url = self._server.url
        self.gateway = f"{self.url}/gateway.do"

    def stop(self) -> None:
        self._server.stop()

    def account(self, *, seller_id: str | None = None) -> AlipayAccount:
        return AlipayAccount(
            app_id=self.app_id,
            private_key=self.app_private_key,
            alipay_public_key=self.alipay_public_key,
            seller_id=seller_id or self.seller_id,
            gateway=self.gateway,
        )

    def _handle(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        self.requests.append(params)
        signature = params.pop("sign", "")
        ok = params.get("app_id") == self.app_id and rsa_sign.verified(
            self._app_public, alipay_content(params), signature
        )
        method = params.get("method", "")
        with self._lock:
            if not ok:
                found: dict[str, Any] = {
                    "code": "40002",
                    "msg": "Invalid Arguments",
                    "sub_code": "isv.invalid-signature",
                }
            elif method in ("alipay.trade.wap.pay", "alipay.trade.page.pay"):
                return self._cashier(handler, params)
            elif self.refusal is not None:
                found = {"code": "40004", "msg": "Business Failed", "sub_code": self.refusal}
            elif method == "alipay.trade.query":
                found = self._query(json.loads(params["biz_content"]))
            elif method == "alipay.trade.refund":
                found = self._refund(json.loads(params["biz_content"]))
            elif method == "alipay.trade.fastpay.refund.query":
                biz = json.loads(params["biz_content"])
                done = self.refunds.get(biz["out_request_no"])
                found = {"code": "10000", "msg": "Success", "out_request_no": biz["out_request_no"]}
                if done:
                    found.update(refund_status="REFUND_SUCCESS", refund_amount=done["amount"])
            elif method == "alipay.trade.close":
                found = self._close(json.loads(params["biz_content"]))
            else:
                found = {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"}
        node = json.dumps(found, ensure_ascii=False, separators=(",", ":"))
        name = method.replace(".", "_") + "_response" if method else "error_response"
        body = f'{{"{name}":{node},"sign":"{rsa_sign.sign(self._alipay, node)}"}}'.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html;charset=utf-8")  # as Alipay labels it
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _cashier(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        biz = json.loads(params["biz_content"])
        expected = {
            "alipay.trade.wap.pay": "QUICK_WAP_WAY",
            "alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY",
        }
        assert biz["product_code"] == expected[params["method"]], biz
        trade = self.trades.setdefault(biz["out_trade_no"], {"trade_status": "WAIT_BUYER_PAY"})
        trade.update(biz=biz, notify_url=params["notify_url"], return_url=params["return_url"])
        page = f"<!doctype html><title>支付宝 test cashier</title><h1>¥{biz['total_amount']}</h1>".encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)

    def _missing(self) -> dict[str, Any]:
        return {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_NOT_EXIST",
            "sub_msg": "交易不存在",
        }

    def _query(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:  # the buyer never reached the cashier
            return self._missing()
        return {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": trade["biz"]["out_trade_no"],
            "trade_no": trade.get("trade_no", ""),
            "trade_status": trade["trade_status"],
            "total_amount": trade.get("paid", trade["biz"]["total_amount"]),
            "buyer_logon_id": "159****5620",
        }

    def _refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = next((t for t in self.trades.values() if t.get("trade_no") == biz.get("trade_no")), None)
        if trade is None:
            return self._missing()
        again = biz["out_request_no"] in self.refunds  # Alipay moves no money the second time
        if not again:
            trade["refunded"] = f"{float(trade.get('refunded', '0')) + float(biz['refund_amount']):.2f}"
            self.refunds[biz["out_request_no"]] = {
                "trade": trade,
                "refund_fee": trade["refunded"],
                "amount": biz["refund_amount"],
            }
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["biz"]["out_trade_no"],
            "refund_fee": trade["refunded"],
            "fund_change": "N" if again else "Y",
        }

    def _close(self, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._missing()
        if biz.get("out_trade_no") in self.paid_on_close and "trade_no" not in trade:
            trade.update(
                trade_status="TRADE_SUCCESS",
                trade_no=datetime.now(BEIJING).strftime("%Y%m%d") + secrets.token_hex(8),
            )
        if trade["trade_status"] != "WAIT_BUYER_PAY":
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
        trade["trade_status"] = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"]}

    def signed_form(self, params: dict[str, str], *, key: Any = None) -> str:
        """A notification's body: the parameters signed as Alipay signs them (sign and sign_type out)."""
        signature = rsa_sign.sign(key or self._alipay, alipay_content(params))
        return urlencode({**params, "sign_type": "RSA2", "sign": signature})

    def pay(self, trade_no: str, /, *, amount: str | None = None, key: Any = None, **changes: str) -> str:
        """The buyer pays at the cashier; the asynchronous notification's form body."""
        with self._lock:
            trade = self.trades[trade_no]
            stamp = trade["biz"]["time_expire"]
            shape = "%Y-%m-%d %H:%M:%S" if len(stamp) == 19 else "%Y-%m-%d %H:%M"
            expires = datetime.strptime(stamp, shape).replace(tzinfo=BEIJING)
            if trade["trade_status"] == "WAIT_BUYER_PAY" and datetime.now(BEIJING) > expires:
                raise AssertionError(f"Alipay refuses to take a payment after {expires}")
            if trade["trade_status"] == "TRADE_CLOSED":
                raise AssertionError("Alipay refuses to take a payment of a closed trade")
            if "trade_no" not in trade:
                trade.update(
                    trade_status="TRADE_SUCCESS",
                    trade_no=datetime.now(BEIJING).strftime("%Y%m%d") + secrets.token_hex(8),
                )
            if amount is not None:
                trade["paid"] = amount
            params = {
                "notify_time": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                "notify_type": "trade_status_sync",
                "notify_id": secrets.token_hex(16),
                "charset": "utf-8",
                "version": "1.0",
                "app_id": self.app_id,
                "seller_id": self.seller_id,
                "trade_no": trade["trade_no"],
                "out_trade_no": trade_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": trade.get("paid", trade["biz"]["total_amount"]),
                "receipt_amount": trade.get("paid", trade["biz"]["total_amount"]),
                "gmt_payment": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                **(
                    {"passback_params": trade["biz"]["passback_params"]}
                    if "passback_params" in trade["biz"]
                    else {}
                ),
                **changes,
            }
        return self.signed_form(params, key=key)

    def refund_notification(self, out_request_no: str) -> str:
        refund = self.refunds[out_request_no]
        trade = refund["trade"]
        return self.signed_form(
            {
                "notify_time": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                "notify_type": "trade_status_sync",
                "notify_id": secrets.token_hex(16),
                "app_id": self.app_id,
                "seller_id": self.seller_id,
                "trade_no": trade["trade_no"],
                "out_trade_no": trade["biz"]["out_trade_no"],
                "out_biz_no": out_request_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": trade["biz"]["total_amount"],
                "refund_fee": refund["refund_fee"],
                "gmt_refund": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S.000"),
            }
        )

    def notify_url(self, trade_no: str) -> str:
        return str(self.trades[trade_no]["notify_url"])
