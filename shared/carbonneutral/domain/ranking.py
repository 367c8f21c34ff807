"""Leaderboards and ratings, as pure arithmetic.

Exact ranks come from score histograms kept beside each board: a coarse one over bucketed
scores and, per bucket, a fine one over exact scores. An entry's rank is one plus the number
of entries with a strictly higher score, so ties share a rank ("1224" ranking).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

Entity = Literal["individual", "organization"]
BUCKETS_PER_DOUBLING = 8
SHARDS = 8
BOARD_PATTERN = r"^(global|scene:[a-z0-9][a-z0-9-]{2,63})$"
PERIOD_PATTERN = r"^(all|\d{4}-(0[1-9]|1[0-2]))$"
ENTRY_ID_PATTERN = r"^(p|o|org)_[A-Za-z0-9_-]{8,40}$"
PARTICIPANT_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def bucket_of(score_kg: int) -> int:
    """Buckets about 9 % wide: bounded in number, and each small enough to hold its exact scores."""
    return 0 if score_kg <= 0 else 1 + int(math.log2(score_kg) * BUCKETS_PER_DOUBLING)


def shard_of(entry_id: str) -> int:
    return int(hashlib.sha256(entry_id.encode()).hexdigest(), 16) % SHARDS


def entry_id_for(kind: Entity, name: str, participant_id: str | None, order_id: str) -> str:
    """Who an entry belongs to: an organization by its name, a person by their participant id."""
    if kind == "organization":
        normalized = re.sub(r"\s+", " ", name).strip().casefold()
        return "org_" + hashlib.sha256(normalized.encode()).hexdigest()[:24]
    if participant_id:
        return "p_" + hashlib.sha256(participant_id.encode()).hexdigest()[:24]
    return "o_" + hashlib.sha256(order_id.encode()).hexdigest()[:24]


def boards_for(scene_id: str | None) -> list[str]:
    return ["global", *([f"scene:{scene_id}"] if scene_id else [])]


def rank_from_histograms(
    score_kg: int, coarse: Iterable[Mapping[int, int]], fine: Iterable[Mapping[int, int]]
) -> int:
    """1 + entries in higher buckets + entries with a higher exact score in the same bucket."""
    mine = bucket_of(score_kg)
    above = sum(count for shard in coarse for bucket, count in shard.items() if bucket > mine)
    above += sum(count for shard in fine for score, count in shard.items() if score > score_kg)
    return 1 + above


def competition_ranks(scores: list[int]) -> list[int]:
    """Ranks for scores sorted high to low; equal scores share a rank."""
    ranks: list[int] = []
    for i, score in enumerate(scores):
        ranks.append(ranks[-1] if i and score == scores[i - 1] else i + 1)
    return ranks


class Rating(BaseModel):
    scene_id: str
    footprint_kg: float
    neutralized_kg: float
    participants_kg: float
    organizer_kg: float
    share: float
    level: Literal["none", "bronze", "silver", "gold", "carbon_neutral"]


LEVELS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(1), "carbon_neutral"),
    (Decimal("0.75"), "gold"),
    (Decimal("0.5"), "silver"),
    (Decimal("0.25"), "bronze"),
)


def rating(scene_id: str, footprint_g: int, participants_kg: int, organizer_kg: int) -> Rating:
    """The share of a scene's calculated footprint that has been neutralized, and its level."""
    neutralized = participants_kg + organizer_kg
    share = Decimal(neutralized * 1000) / Decimal(footprint_g) if footprint_g else Decimal(0)
    level = next((name for threshold, name in LEVELS if share >= threshold), "none")
    return Rating(
        scene_id=scene_id,
        footprint_kg=footprint_g / 1000,
        neutralized_kg=float(neutralized),
        participants_kg=float(participants_kg),
        organizer_kg=float(organizer_kg),
        share=float(min(share, Decimal(1))),
        level=level,
    )
