"""Offset projects and their credits: serial-numbered kilograms in issued blocks."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from carbonneutral.domain.types import Currency, LocalizedText, ProjectId


class Standard(StrEnum):
    CDCER = "CDCER"  # Chengdu carbon-inclusion scheme
    CCER = "CCER"
    VCS = "VCS"


class Developer(BaseModel):
    """The company that cut the emissions: the payee of every sale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")
    name: LocalizedText


class Project(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    name: LocalizedText
    developer: Developer
    kind: str = Field(
        min_length=2, max_length=40, description="forestry, solar, biogas, low_carbon_commuting, …"
    )
    standard: Standard
    location: LocalizedText
    vintage: int = Field(ge=2000, le=2100)
    price_per_tonne: Decimal = Field(gt=0, max_digits=10, decimal_places=2, description="CNY per tonne CO2e")
    currency: Currency = "CNY"
    description: LocalizedText
    demo: bool = Field(default=False, description="Demo data, not real credits")


class Inventory(BaseModel):
    """A project's credit counters, in kg; issued = available + reserved + retired always."""

    issued_kg: int = 0
    available_kg: int = 0
    reserved_kg: int = 0
    retired_kg: int = 0
    pools: tuple[int, ...] = Field(
        default=(0,), description="Which of the project's pools hold its available credits (0: its own key)"
    )

    @property
    def balanced(self) -> bool:
        return self.issued_kg == self.available_kg + self.reserved_kg + self.retired_kg


class SerialRange(BaseModel):
    """Serials first..last inclusive: last - first + 1 credits of 1 kg each."""

    model_config = ConfigDict(frozen=True)

    first: int = Field(ge=1, le=10**11)
    last: int = Field(ge=1, le=10**11)

    @model_validator(mode="after")
    def _ordered(self) -> SerialRange:
        if self.last < self.first:
            raise ValueError("last serial is before the first")
        return self

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def overlaps(self, other: SerialRange) -> bool:
        return self.first <= other.last and other.first <= self.last


def serial_label(standard: str, project_id: str, vintage: int, serials: SerialRange) -> str:
    """The registry-style name of a retired range, e.g. CDCER-chengdu-bus-2023-1-120."""
    return f"{standard}-{project_id}-{vintage}-{serials.first}-{serials.last}"


def overlapping(new: list[SerialRange], existing: list[SerialRange]) -> list[tuple[SerialRange, SerialRange]]:
    """Every clash between new blocks and existing ones, and among the new blocks themselves."""
    clashes = []
    ordered = sorted(new, key=lambda r: r.first)
    for a, b in itertools.pairwise(ordered):
        if a.overlaps(b):
            clashes.append((a, b))
    for block in new:
        clashes.extend((block, old) for old in existing if block.overlaps(old))
    return clashes


def take(available: list[SerialRange], quantity: int) -> list[tuple[SerialRange, SerialRange]]:
    """Which serials to take, lowest first: (the block, the part of it taken)."""
    return _take_in_order(sorted(available, key=lambda r: r.first), quantity)


def take_largest(
    available: list[SerialRange], quantity: int, max_blocks: int
) -> list[tuple[SerialRange, SerialRange]]:
    """For an order the lowest serials are too fragmented for: the largest blocks first (the lowest
    of equal ones), at most `max_blocks` of them; none when even those fall short."""
    return _take_in_order(sorted(available, key=lambda r: (-r.size, r.first))[:max_blocks], quantity)


def _take_in_order(blocks: list[SerialRange], quantity: int) -> list[tuple[SerialRange, SerialRange]]:
    picked, needed = [], quantity
    for block in blocks:
        if needed == 0:
            break
        part = SerialRange(first=block.first, last=block.first + min(needed, block.size) - 1)
        picked.append((block, part))
        needed -= part.size
    return picked if needed == 0 else []


SPREAD_BLOCKS = 16  # enough separate blocks for buyers colliding on one project to spread over
# A stretch taken inside a block starts within this many orders' worth of its lowest serial: far
# enough apart for colliding buyers, near enough that lowest-first reaches what is left around it.
SPREAD_WINDOW = 64


def take_spread(
    available: list[SerialRange], quantity: int, rng: random.Random
) -> list[tuple[SerialRange, SerialRange]]:
    """Under contention: buyers competing for the same project touch different items. With enough
    blocks, the start of a random block big enough (the block shrinks, no new block is made); with
    fewer, a random stretch near the start of one (splitting it, to make more blocks to spread
    over; within SPREAD_WINDOW orders' worth of its lowest serial, so that what is left around the
    stretch is soon taken again, lowest first, rather than stranded in the middle of a large block).
    Paid stretches split blocks for good, so splitting stops once there are enough of them.
    Falls back to lowest-first."""
    candidates = [block for block in available if block.size >= quantity]
    if not candidates:
        return take(available, quantity)
    block = rng.choice(candidates)
    if len(available) >= SPREAD_BLOCKS:
        return [(block, SerialRange(first=block.first, last=block.first + quantity - 1))]
    start = rng.randint(
        block.first, min(block.last, block.first + SPREAD_WINDOW * quantity - 1) - quantity + 1
    )
    return [(block, SerialRange(first=start, last=start + quantity - 1))]


def pooled(blocks: list[SerialRange], pools: int, min_kg: int) -> list[tuple[int, SerialRange]]:
    """Issued blocks shared out over `pools` pools of about equal kg (fewer, so that each holds at
    least `min_kg`; one for a small issuance): (pool, piece) in serial order, the blocks cut only
    where a share ends, so at most len(blocks) + pools - 1 pieces."""
    total = sum(block.size for block in blocks)
    shares = max(1, min(pools, total // min_kg))
    out, done = [], 0
    for block in blocks:
        first = block.first
        while first <= block.last:
            pool = done * shares // total
            share_end = -(-(pool + 1) * total // shares)  # the kg done once this share is full
            size = min(block.last - first + 1, share_end - done)
            out.append((pool, SerialRange(first=first, last=first + size - 1)))
            first, done = first + size, done + size
    return out


def spans(ranges: list[SerialRange]) -> list[tuple[int, int]]:
    """The serials the ranges cover, as disjoint (first, last) spans, lowest first: ranges that
    overlap or meet become one span."""
    out: list[tuple[int, int]] = []
    for r in sorted(ranges, key=lambda r: r.first):
        if out and r.first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], r.last))
        else:
            out.append((r.first, r.last))
    return out


def merged(
    released: list[SerialRange], available: list[SerialRange]
) -> list[tuple[SerialRange, list[SerialRange]]]:
    """Released serials made available again, joined with the available blocks they touch: each
    (joined range, the available blocks it absorbs). The released ranges never overlap the
    available blocks; ranges that only meet (one ends where the next begins) become one."""
    parts = sorted([(r, False) for r in released] + [(b, True) for b in available], key=lambda p: p[0].first)
    out: list[tuple[SerialRange, list[SerialRange], bool]] = []
    for block, existing in parts:
        if out and out[-1][0].last + 1 == block.first:
            joined, absorbed, has_released = out[-1]
            out[-1] = (
                SerialRange(first=joined.first, last=block.last),
                [*absorbed, *([block] if existing else [])],
                has_released or not existing,
            )
        else:
            out.append((block, [block] if existing else [], not existing))
    return [(joined, absorbed) for joined, absorbed, has_released in out if has_released]
