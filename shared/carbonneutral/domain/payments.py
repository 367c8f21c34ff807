"""Payment events and the interface every payment provider implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order


@dataclass(frozen=True)
class PaymentEvent:
    """A verified event from a provider, reduced to what the ledger needs."""

    provider: str
    event_id: str
    outcome: Literal["succeeded", "failed", "expired", "ignored"]
    order_id: str | None
    amount: Money | None
    reference: str | None = None


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
