"""Payment events and the interface every payment provider implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, TypeGuard

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, Refund


@dataclass(frozen=True)
class PaymentEvent:
    """A verified event from a provider, reduced to what the ledger needs."""

    provider: str
    event_id: str
    # refunded: money went back to the buyer; disputed / dispute_won / dispute_lost: the buyer's bank
    outcome: Literal[
        "succeeded", "failed", "expired", "ignored", "refunded", "disputed", "dispute_won", "dispute_lost"
    ]
    order_id: str | None
    amount: Money | None
    reference: str | None = None  # the provider's checkout (Stripe: the Checkout Session)
    payment_ref: str | None = None  # the provider's payment (Stripe: the PaymentIntent)
    refund_ref: str | None = None  # for "refunded": the provider's refund
    # for "refunded": True when `amount` is all refunded of the payment so far (Stripe, Alipay);
    # False when it is this refund's alone (WeChat Pay)
    refund_total: bool = True
    # for "succeeded" found by asking: the provider has refunded it already (WeChat Pay's trade_state
    # REFUND), so it can no longer buy credits: owed back, and its refund's own event settles that
    returned: bool = False
    # what the checkout said retiring the order reads (domain.ranking.RetirementHint.encode), when the
    # provider's event brings it back: lets the retirement read it with the order in one request
    hint: str | None = None


@dataclass(frozen=True)
class RefundPaid:
    """What a provider answered when asked to pay a refund back."""

    refund_ref: str
    event: PaymentEvent | None = None  # the refund's event to apply; None: still under way (WeChat Pay)


@dataclass(frozen=True)
class CheckoutStart:
    url: str | None  # the provider's payment page; None: the platform's own checkout page
    reference: str


@dataclass(frozen=True)
class PaymentStep:
    """What the buyer's browser does next to pay with one of a provider's methods."""

    kind: Literal["redirect", "qr", "jsapi"]
    url: str | None = None  # redirect: where the browser goes; qr: what the code holds
    params: Mapping[str, str] | None = None  # jsapi: what the page hands WeChat's bridge


@dataclass(frozen=True)
class WebhookReply:
    """A webhook's answer in the form its provider expects."""

    status: int
    content_type: str
    body: str


class PaymentProvider(Protocol):
    name: str
    # Origins the buyer's browser is sent to for paying; the pages' CSP lets forms go there.
    checkout_origins: tuple[str, ...]
    # Ways to pay on the platform's own checkout page (WeChat Pay's jsapi/h5/native, Alipay's
    # wap/page); () when the provider's own page (Stripe) or the test checkout (sandbox) takes them.
    methods: tuple[str, ...]

    def start_checkout(self, order: Order, base_url: str, lang: str | None = None) -> CheckoutStart: ...

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent: ...

    def refund(self, order: Order, refund: Refund, key: str) -> RefundPaid:
        """Pays a refund back to the buyer; the same key never pays twice."""
        ...

    def cancel_checkout(self, order: Order) -> list[PaymentEvent]:
        """Closes the provider's checkout of a cancelled order (best effort: a late payment is
        refunded); the payments it found made already (WeChat Pay, Alipay), to be owed back."""
        ...


class DirectProvider(PaymentProvider, Protocol):
    """A provider whose payments start on the platform's checkout page (WeChat Pay, Alipay): the page
    picks a method for the browser, the provider's order status can be asked for, and its
    notifications are answered in its own form."""

    def method_for(self, user_agent: str) -> str: ...

    def pay(
        self, order: Order, method: str, *, notify_url: str, return_url: str, client_ip: str | None
    ) -> PaymentStep: ...

    def needs_payer(self, method: str) -> bool:
        """True when the method needs the payer's id first (WeChat's JSAPI: the OpenID)."""
        ...

    def payer_url(self, redirect_uri: str, state: str) -> str: ...

    def pay_as(self, order: Order, payer_code: str, *, notify_url: str) -> PaymentStep: ...

    def query(self, order: Order) -> list[PaymentEvent]:
        """Every payment the provider took for the order (a lost notification), [] if unpaid. A
        ProviderUnavailable when the provider cannot say (it is away, or refused the question)."""
        ...

    def close(self, order: Order) -> list[PaymentEvent]:
        """Closes the order's trades still open, so none can be paid any more, and returns every
        payment taken. A ProviderUnavailable when it cannot be sure of either."""
        ...

    def reply(self, error: Exception | None) -> WebhookReply: ...


def is_direct(provider: PaymentProvider) -> TypeGuard[DirectProvider]:
    return bool(provider.methods)
