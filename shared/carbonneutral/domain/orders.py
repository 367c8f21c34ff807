"""Orders: a quantity of credits reserved for a beneficiary, paid, then retired in their name."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from carbonneutral.domain.money import Money
from carbonneutral.domain.projects import SerialRange
from carbonneutral.domain.types import (
    ORDER_ID_PATTERN,
    FootprintId,
    ParticipantId,
    ProjectId,
    SceneId,
    normalize_name,
)

MAX_QUANTITY_KG = 1_000_000  # 1,000 t in one order
# No client holds more than this share of what a project has free (its available credits plus
# what the client itself holds), nor more than the stack's per-client cap, in unpaid orders.
CLIENT_SHARE_PERCENT = 20


def hold_limit(cap_kg: int, available_kg: int, held_kg: int) -> int:
    """The most one client may hold unpaid in one project; cap_kg 0: the share alone bounds it."""
    share = (available_kg + held_kg) * CLIENT_SHARE_PERCENT // 100
    return min(cap_kg, share) if cap_kg else share


def is_order_id(value: str) -> bool:
    import re

    return re.fullmatch(ORDER_ID_PATTERN, value) is not None


# participants: a footprint claim of the scene; held: one too large to count until the organizer
# accepts it; organizer: the scene owner's own order; boards: an explicit amount, on the boards only.
CountsAs = Literal["participants", "held", "organizer", "boards"]


class OrderStatus(StrEnum):
    pending_payment = "pending_payment"
    paid = "paid"
    retired = "retired"
    expired = "expired"
    failed = "failed"  # a payment came that could not buy the credits: it is due back
    cancelled = "cancelled"  # by its buyer, before paying
    refunded = "refunded"  # a failed or cancelled order whose payment went back to the buyer


def mask_name(name: str) -> str:
    """A person's name as public lists show it by default: its first character, the rest starred
    (张三 → 张*, 欧阳娜娜 → 欧**, Alice → A**)."""
    text = normalize_name(name)
    return text[:1] + "*" * min(max(len(text) - 1, 1), 2)


class Beneficiary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80, description="Display name shown on the certificate")
    kind: Literal["individual", "organization"] = "individual"
    hidden: bool = Field(default=False, description="Hide the name on public leaderboards and the registry")
    full_name: bool = Field(
        default=False,
        description="A person's name shows in full on public leaderboards and the registry; by default "
        "only its first character (张*). An organization's name always shows in full.",
    )

    def public_name(self) -> str | None:
        """The name as public lists show it: none when hidden, masked unless shown in full."""
        if self.hidden:
            return None
        if self.kind == "organization" or self.full_name:
            return self.name
        return mask_name(self.name)

    @model_validator(mode="after")
    def _printable(self) -> Beneficiary:
        if not self.name.strip() or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in self.name):
            raise ValueError("name must be printable text")
        return self


class OrderRequest(BaseModel):
    """POST /v1/orders: a footprint to neutralize, or an explicit quantity."""

    model_config = ConfigDict(extra="forbid")

    footprint_id: FootprintId | None = Field(default=None, description="The footprint to neutralize")
    quantity_kg: int | None = Field(
        default=None, ge=1, le=MAX_QUANTITY_KG, description="Or an explicit quantity"
    )
    project_id: ProjectId
    beneficiary: Beneficiary
    role: Literal["participant", "organizer"] = "participant"
    participant_id: ParticipantId | None = None
    scene_id: SceneId | None = Field(
        default=None, description="For an explicit quantity: the scene it neutralizes"
    )

    @field_validator("beneficiary", mode="before")
    @classmethod
    def _normalized_name(cls, value: object) -> object:
        """Names are normalized as they come in (orders stored earlier are read as they were)."""
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            name = value["name"]
            if not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name):  # else refused as it is
                return {**value, "name": normalize_name(name)}
        return value

    @model_validator(mode="after")
    def _one_quantity(self) -> OrderRequest:
        if (self.footprint_id is None) == (self.quantity_kg is None):
            raise ValueError("give either footprint_id or quantity_kg")
        return self

    def fingerprint(self) -> str:
        """What an idempotency key is bound to: the same key with another body is refused."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class Retirement(BaseModel):
    """What was retired, for whom and why: everything a certificate needs."""

    serials: list[SerialRange]
    labels: list[str]
    beneficiary: Beneficiary
    reason: str
    retired_at: datetime
    payment_event_id: str
    payment_ref: str | None = None  # the provider's payment (Stripe: the PaymentIntent)


class Refund(BaseModel):
    """Money a payment brought that the order cannot keep, until it is back with the buyer."""

    status: Literal["due", "refunded"] = "due"
    amount: Money
    reason: str
    event_id: str  # the payment's event: a refund is keyed by the payment it returns
    provider: str | None = None  # the provider the money came through, and goes back through
    payment_ref: str | None = None  # the provider's payment (Stripe: the PaymentIntent)
    refund_ref: str | None = None  # the provider's refund, once paid
    refunded_at: datetime | None = None


class Dispute(BaseModel):
    """A buyer's bank disputes a payment; retired credits stay retired whatever its outcome."""

    status: Literal["open", "won", "lost"]
    event_id: str
    amount: Money | None = None


class Order(BaseModel):
    order_id: str
    status: OrderStatus
    project_id: str
    developer_id: str
    quantity_kg: int
    amount: Money
    beneficiary: Beneficiary
    role: Literal["participant", "organizer"]
    footprint_id: str | None = None
    scene_id: str | None = None
    factor_set: str | None = None
    participant_id: str | None = None
    reason: str
    reserved: list[SerialRange]
    reserved_until: datetime
    created_at: datetime
    token_hash: str
    provider: str
    checkout_url: str | None = None
    checkout_reference: str | None = None
    retirement: Retirement | None = None
    refund: Refund | None = None
    dispute: Dispute | None = None
    certificate_id: str | None = None
    hold: str | None = Field(default=None, description="The client hold the reservation counts in")
    counter: int | None = Field(
        default=None,
        description="The shard of its project's counters it counts in: 16-31 shard n-16 under a key of its "
        "own, with the order's blocks; 0-15 under the project's key, as before; None: placed before shards",
    )
    taken_from: list[int] = Field(
        default_factory=list,
        description="For each reserved block, the pool of its project's available credits it came from "
        "and goes back to if released; empty: all from pool 0, the project's own key",
    )
    footprint_g: int | None = Field(default=None, description="The claimed footprint's own grams")
    organizer_id: str | None = Field(default=None, description="The scene owner who placed it, if one did")
    counts_as: CountsAs | None = Field(
        default=None, description="What the order adds to its scene's rating once retired"
    )

    def counted_g(self) -> int:
        """A footprint claim counts up to the footprint it neutralizes, never the rounding above it."""
        return min(self.quantity_kg * 1000, self.footprint_g or 0)

    def token_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.token_hash, hash_token(token or ""))


def new_order_id() -> str:
    return "ord_" + secrets.token_urlsafe(16)


def order_token(secret: str, order_id: str) -> str:
    """The buyer's capability to read an order: derived, so an idempotent replay can return it again."""
    mac = hmac.new(secret.encode(), f"order-token:{order_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def kg_to_neutralize(total_g: int) -> int:
    """Whole credits: a footprint is rounded up to the next kilogram (at least one)."""
    return max(1, math.ceil(total_g / 1000))
