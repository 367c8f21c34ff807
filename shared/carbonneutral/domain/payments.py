"""Payment events and the interface every payment provider implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

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


@dataclass(frozen=True)
class RefundPaid:
    """What a provider answered when asked to pay a refund back."""

    refund_ref: str
    event: PaymentEvent | None = None  # a signed event to apply (the sandbox), or None (Stripe)


@dataclass(frozen=True)
class CheckoutStart:
    url: str | None  # the provider's payment page; None: the platform's own checkout page
    reference: str


class PaymentProvider(Protocol):
    name: str
    # Origins the buyer's browser is sent to for paying; the pages' CSP lets forms go there.
    checkout_origins: tuple[str, ...]

    def start_checkout(self, order: Order, base_url: str, lang: str | None = None) -> CheckoutStart: ...

    def parse_event(self, body: str, headers: Mapping[str, str]) -> PaymentEvent: ...

    def refund(self, order: Order, refund: Refund, key: str) -> RefundPaid:
        """Pays a refund back to the buyer; the same key never pays twice."""
        ...

    def cancel_checkout(self, order: Order) -> None:
        """Closes the provider's checkout of a cancelled order (best effort: a late payment is refunded)."""
        ...
