"""Leaderboards and ratings: pure arithmetic, and the ranking service pages and the API use.

Exact ranks come from score histograms kept beside each board: a coarse one over bucketed
scores and, per bucket, a fine one over exact scores. An entry's rank is one plus the number
of entries with a strictly higher score, so ties share a rank ("1224" ranking).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel

from carbonneutral.domain.types import BOARD_PATTERN, PERIOD_PATTERN, is_id
from carbonneutral.errors import NotFound

if TYPE_CHECKING:
    from carbonneutral.domain.ports import SceneRepository
    from carbonneutral.domain.scenes import Scene

Entity = Literal["individual", "organization"]
BUCKETS_PER_DOUBLING = 8
SHARDS = 8


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


@dataclass(frozen=True)
class Entry:
    """A beneficiary's place on a board."""

    entry_id: str
    name: str | None  # None when hidden
    kg: int
    rank: int | None = None


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


class Boards(Protocol):
    """What ranking needs of the leaderboards (implemented in store.leaderboards)."""

    def top(self, board: str, entity: str, period: str, limit: int) -> list[Entry]: ...
    def entry(self, board: str, entity: str, period: str, entry_id: str) -> Entry | None: ...
    def rank(self, board: str, entity: str, period: str, entry: Entry) -> int: ...
    def ranked_with_neighbours(
        self, board: str, entity: str, period: str, entry_id: str
    ) -> tuple[Entry, Entry | None, Entry | None] | None: ...
    def rating(self, scene_id: str) -> Rating: ...


@dataclass(frozen=True)
class BoardView:
    """A leaderboard as its page shows it: the top entries, the viewer's own row, the scene's rating."""

    board: str
    entity: str
    period: str
    entries: list[Entry]
    mine: Entry | None  # the viewer's entry when it is not among the top ones
    viewer: str | None  # the viewer's entry id, to highlight
    scene: Scene | None
    rating: Rating | None


class RankingService:
    def __init__(self, boards: Boards, scenes: SceneRepository) -> None:
        self._boards, self._scenes = boards, scenes

    def top(self, board: str, entity: str, period: str, limit: int) -> list[Entry]:
        return self._boards.top(board, entity, period, limit)

    def entry(
        self, board: str, entity: str, period: str, entry_id: str
    ) -> tuple[Entry, Entry | None, Entry | None]:
        found = self._boards.ranked_with_neighbours(board, entity, period, entry_id)
        if found is None:
            raise NotFound(f"no entry {entry_id!r} on {board} ({entity}, {period})")
        return found

    def scene_rating(self, scene_id: str) -> Rating:
        if self._scenes.get(scene_id) is None:
            raise NotFound(f"no scene {scene_id!r}")
        return self._boards.rating(scene_id)

    def board_view(
        self, board: str, entity: str, period: str, participant_id: str | None, limit: int = 20
    ) -> BoardView | None:
        """None when the board or the period does not exist."""
        if not is_id(BOARD_PATTERN, board) or not is_id(PERIOD_PATTERN, period):
            return None
        entries = self._boards.top(board, entity, period, limit)
        mine, viewer = None, None
        if participant_id and entity == "individual":
            viewer = entry_id_for("individual", "", participant_id, "")
            found = self._boards.entry(board, entity, period, viewer)
            if found and all(e.entry_id != viewer for e in entries):
                mine = replace(found, rank=self._boards.rank(board, entity, period, found))
        scene = self._scenes.get(board.split(":", 1)[1]) if board.startswith("scene:") else None
        rating = self._boards.rating(scene.scene_id) if scene else None
        return BoardView(board, entity, period, entries, mine, viewer, scene, rating)
