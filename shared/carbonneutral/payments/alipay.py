"""Alipay (open platform, RSA2): phone-web (WAP) and computer-web (page) payment, asynchronous
notifications, refunds, queries and closing.

Every request is signed with the app's private key; every notification and every API answer is
verified against Alipay's public key before it is read. A notification is applied once: its event
id is the trade's (a payment) or the refund request's (a refund), whichever way it arrives.

Alipay's out_trade_no takes letters, digits and underscores only, so it is the order's id in hex.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, Refund
from carbonneutral.domain.payments import CheckoutStart, PaymentEvent, PaymentStep, RefundPaid, WebhookReply
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.errors import (
    Conflict,
    InvalidInput,
    InvalidSignature,
    ProviderRefused,
    ProviderUnavailable,
)
from carbonneutral.payments import rsa

GATEWAY = "https://openapi.alipay.com/gateway.do"
BEIJING = timezone(timedelta(hours=8))
PRODUCTS = {
    "wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
    "page": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
}
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


@dataclass(frozen=True)
class AlipayAccount:
    app_id: str
    private_key: str  # alipay-private-key: the app's private key (PEM or bare base64)
    alipay_public_key: str  # alipay-public-key: Alipay's public key for this app
    seller_id: str | None = None  # the merchant's PID (2088…): notifications for another are refused
    gateway: str = GATEWAY


def out_trade_no(order_id: str) -> str:
    return "cn" + order_id.encode().hex()


def order_of(trade_no: str) -> str | None:
    try:
        return bytes.fromhex(trade_no.removeprefix("cn")).decode() if trade_no.startswith("cn") else None
    except (ValueError, UnicodeDecodeError):
        return None


def signing_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if params[k] != "")


def _beijing(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class AlipayProvider:
    name = "alipay"
    methods: tuple[str, ...] = ("wap", "page")
    # the cashier is a link: the gateway redirects on to Alipay's hosts
    checkout_origins: tuple[str, ...] = ()

    def __init__(
        self, account: AlipayAccount, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._account, self._clock = account, clock
        self._private = rsa.private_key(account.private_key, "alipay-private-key")
        self._public = rsa.public_key(account.alipay_public_key, "alipay-public-key")

    def start_checkout(self, order: Order, base_url: str, lang: str | None = None) -> CheckoutStart:
        if order.amount.currency != "CNY":
            raise InvalidInput("Alipay takes payments in CNY only", field="project_id")
        return CheckoutStart(url=None, reference=out_trade_no(order.order_id))

    def method_for(self, user_agent: str) -> str:
        mobile = any(word in user_agent for word in ("Mobile", "Android", "iPhone", "iPad", "MicroMessenger"))
        return "wap" if mobile else "page"

    def needs_payer(self, method: str) -> bool:
        return False

    def payer_url(self, redirect_uri: str, state: str) -> str:
        raise InvalidInput("Alipay needs no payer step", field="method")

    def pay_as(self, order: Order, payer_code: str, *, notify_url: str) -> PaymentStep:
        raise InvalidInput("Alipay needs no payer step", field="method")

    def _signed(self, method: str, biz: dict[str, Any], **extra: str) -> dict[str, str]:
        params = {
            "app_id": self._account.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": _beijing(self._clock()),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **extra,
        }
        return {**params, "sign": rsa.sign(self._private, signing_string(params))}

    def pay(
        self, order: Order, method: str, *, notify_url: str, return_url: str, client_ip: str | None
    ) -> PaymentStep:
        """The cashier's address: the gateway with the signed request (nothing is sent before the
        buyer goes there); Alipay closes the trade when the reservation ends."""
        if method not in PRODUCTS:
            raise InvalidInput(f"Alipay has no method {method!r} here", field="method")
        api, product = PRODUCTS[method]
        biz = {
            "out_trade_no": out_trade_no(order.order_id),
            "total_amount": f"{order.amount.amount:.2f}",
            "subject": f"{order.quantity_kg} kg CO2e: {order.reason}"[:128],
            "product_code": product,
            # to the minute for WAP (as its older documentation has it), cut down: never after the end
            "time_expire": _beijing(order.reserved_until)[: 16 if method == "wap" else 19],
            # the notification brings it back, so retiring the order reads in one request
            "passback_params": quote(RetirementHint.of(order).encode()),
        }
        if method == "wap":
            biz["quit_url"] = return_url
        params = self._signed(api, biz, notify_url=notify_url, return_url=return_url)
        return PaymentStep("redirect", url=f"{self._account.gateway}?{urlencode(params)}")

    # -- notifications --------------------------------------------------------------------------

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent:
        params = dict(parse_qsl(body, keep_blank_values=True))
        signature = params.pop("sign", None)
        params.pop("sign_type", None)
        if not rsa.verified(self._public, signing_string(params), signature):
            raise InvalidSignature("Alipay's signature does not match", field="sign")
        if params.get("app_id") != self._account.app_id:
            raise InvalidSignature(
                f"the notification is for app {params.get('app_id')!r}, not this one", field="app_id"
            )
        if self._account.seller_id and params.get("seller_id") != self._account.seller_id:
            raise InvalidSignature(
                f"the notification is for seller {params.get('seller_id')!r}, not this one", field="seller_id"
            )
        return self._event(params, str(params.get("notify_id") or ""))

    def _event(self, trade: Mapping[str, Any], notice_id: str) -> PaymentEvent:
        trade_no = str(trade.get("out_trade_no") or "")
        order_id, alipay_no = order_of(trade_no), str(trade.get("trade_no") or "")
        status = trade.get("trade_status")
        if trade.get("out_biz_no") and trade.get("refund_fee"):  # a refund: all refunded of the trade
            return PaymentEvent(
                self.name,
                f"alipay-refund:{alipay_no}:{trade['out_biz_no']}",
                "refunded",
                order_id,
                _yuan(trade["refund_fee"], "refund_fee"),
                trade_no,
                payment_ref=alipay_no or None,
                refund_ref=str(trade["out_biz_no"]),
            )
        if status in PAID and alipay_no:
            paid = _yuan(trade.get("total_amount"), "total_amount")
            return PaymentEvent(
                self.name,
                f"alipay:{alipay_no}",
                "succeeded",
                order_id,
                paid,
                trade_no,
                payment_ref=alipay_no,
                hint=unquote(str(trade.get("passback_params") or "")) or None,  # sent URL-encoded
            )
        return PaymentEvent(
            self.name, f"alipay-notice:{notice_id or alipay_no}", "ignored", order_id, None, trade_no
        )

    def reply(self, error: Exception | None) -> WebhookReply:
        """Alipay reads the body only: "success" stops its retries, anything else asks for them."""
        return WebhookReply(
            200 if error is None else 400, "text/plain; charset=utf-8", "fail" if error else "success"
        )

    # -- the API --------------------------------------------------------------------------------

    def _call(self, method: str, biz: dict[str, Any]) -> dict[str, Any]:
        params = self._signed(method, biz)
        answer = rsa.request(
            "Alipay",
            "POST",
            self._account.gateway,
            body=urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
        )
        if answer.status >= 300:
            raise ProviderUnavailable(f"Alipay answered {answer.status}; try again")
        node = method.replace(".", "_") + "_response"
        raw, signature = _response_text(answer.body, node)
        if raw is None:  # a request Alipay could not read at all
            raw, signature = _response_text(answer.body, "error_response")
        if raw is None or not rsa.verified(self._public, raw, signature):
            raise ProviderUnavailable("Alipay's answer is not signed with Alipay's key")
        found = json.loads(raw)
        if found.get("code") != "10000":
            code = str(found.get("sub_code") or found.get("code"))
            raise ProviderRefused(f"Alipay refused it: {code} {found.get('sub_msg', '')}".strip(), code)
        return dict(found)

    def _trade(self, order: Order) -> dict[str, Any] | None:
        """The trade as Alipay has it; None when the buyer never reached the cashier. Any other
        refusal (ACQ.SYSTEM_ERROR, a throttle...) says nothing of the payment: a 503."""
        try:
            return self._call("alipay.trade.query", {"out_trade_no": out_trade_no(order.order_id)})
        except ProviderRefused as exc:
            if exc.code == "ACQ.TRADE_NOT_EXIST":
                return None
            from carbonneutral.observability import logger

            # a lasting refusal (a wrong key, a product not signed) looks like an outage here
            logger.error("Alipay refused a query", extra={"order_id": order.order_id, "code": exc.code})
            raise ProviderUnavailable(f"Alipay could not say how the order stands: {exc.detail}") from exc

    def _payment(self, trade: Mapping[str, Any] | None) -> list[PaymentEvent]:
        if trade is None or trade.get("trade_status") not in PAID:
            return []
        return [
            self._event({k: v for k, v in trade.items() if k not in ("out_biz_no", "refund_fee")}, "query")
        ]

    def query(self, order: Order) -> list[PaymentEvent]:
        """The order's payment at Alipay (one trade serves every method), or [] if unpaid."""
        return self._payment(self._trade(order))

    def close(self, order: Order) -> list[PaymentEvent]:
        """Closes the order's trade if it waits for the buyer, so it can no longer be paid, and
        returns its payment if it was paid. A trade never opened needs nothing: Alipay would refuse
        to open it now, its time_expire being the reservation's end. A 503 when it cannot be sure."""
        trade = self._trade(order)
        if trade is not None and trade.get("trade_status") == "WAIT_BUYER_PAY":
            try:
                self._call("alipay.trade.close", {"out_trade_no": out_trade_no(order.order_id)})
                return []
            except ProviderRefused as exc:  # ACQ.TRADE_STATUS_ERROR: paid this very moment; read it again
                if exc.code != "ACQ.TRADE_STATUS_ERROR":
                    raise ProviderUnavailable(f"Alipay did not close the trade: {exc.detail}") from exc
                trade = self._trade(order)
        return self._payment(trade)

    def refund(self, order: Order, refund: Refund, key: str) -> RefundPaid:
        """The refund API; its out_request_no comes from the key, so a retry is the same refund."""
        if not refund.payment_ref:
            raise Conflict(f"the refund of order {order.order_id} names no Alipay trade")
        request_no = rsa.refund_number(key)
        done = self._call(
            "alipay.trade.refund",
            {
                "trade_no": refund.payment_ref,
                "refund_amount": f"{refund.amount.amount:.2f}",
                "out_request_no": request_no,
            },
        )
        if done.get("fund_change") != "Y":  # no money moved by this call: a retry, or not done yet
            found = self._call(
                "alipay.trade.fastpay.refund.query",
                {"trade_no": refund.payment_ref, "out_request_no": request_no},
            )
            # Alipay's current reference: REFUND_SUCCESS is done; no refund_status means not received or
            # failed. (Older pages read an empty status with data as done: never taken as done here,
            # the refund stays due and this names what to check.)
            if found.get("refund_status") != "REFUND_SUCCESS":
                raise Conflict(
                    f"Alipay has not confirmed refund {request_no} "
                    f"({found.get('refund_status') or 'no refund_status'}): ask again in a minute, "
                    "or look it up in Alipay's merchant platform"
                )
        event = self._event(
            {
                **done,
                "out_biz_no": request_no,
                "refund_fee": done.get("refund_fee") or f"{refund.amount.amount:.2f}",
            },
            "refund",
        )
        return RefundPaid(request_no, event)

    def cancel_checkout(self, order: Order) -> list[PaymentEvent]:
        from carbonneutral.observability import logger

        try:
            return self.close(order)
        except ProviderUnavailable as exc:  # Alipay is away: a payment that still comes is refunded
            logger.info("Alipay trade not closed", extra={"order_id": order.order_id, "error": exc.detail})
            return []


def _yuan(value: Any, field: str) -> Money:
    try:
        return Money(amount=Decimal(str(value)).quantize(Decimal("0.01")), currency="CNY")
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput(f"the notification's {field} is not an amount", field=field) from exc


def _response_text(body: str, node: str) -> tuple[str | None, str | None]:
    """The raw text of the answer's `node` (what Alipay signed, byte for byte) and its signature."""
    try:
        found = json.loads(body)
        start = body.index(f'"{node}"')
        start = body.index(":", start) + 1
        while body[start] in " \t\r\n":
            start += 1
        _, end = json.JSONDecoder().raw_decode(body, start)
    except (ValueError, IndexError):
        return None, None
    return body[start:end], found.get("sign") if isinstance(found, dict) else None
