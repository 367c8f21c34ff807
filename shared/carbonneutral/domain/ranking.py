"""Leaderboards and ratings: pure arithmetic, and the ranking service pages and the API use.

Exact ranks come from score histograms kept beside each board: a coarse one over bucketed
scores and, per bucket, a fine one over exact scores. An entry's rank is one plus the number
of entries with a strictly higher score, so ties share a rank ("1224" ranking).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, Field

from carbonneutral.domain.types import (
    BOARD_PATTERN,
    ENTRY_ID_PATTERN,
    PERIOD_PATTERN,
    PROJECT_ID_PATTERN,
    SCENE_ID_PATTERN,
    is_id,
    normalize_name,
)
from carbonneutral.errors import NotFound

if TYPE_CHECKING:
    from carbonneutral.domain.orders import CountsAs, Order
    from carbonneutral.domain.ports import SceneRepository
    from carbonneutral.domain.scenes import Scene

Entity = Literal["individual", "organization"]
BUCKETS_PER_DOUBLING = 8
SHARDS = 8


def bucket_of(score_kg: int) -> int:
    """Buckets about 9 % wide: bounded in number, and each small enough to hold its exact scores."""
    return 0 if score_kg <= 0 else 1 + int(math.log2(score_kg) * BUCKETS_PER_DOUBLING)


def shard_of(entry_id: str) -> int:
    """A person's entries (one per name) share the shard of their owner part: one query finds them."""
    return int(hashlib.sha256(owner_part(entry_id).encode()).hexdigest(), 16) % SHARDS


def owner_part(entry_id: str) -> str:
    return entry_id.split("-", 1)[0]


def viewer_prefix(participant_id: str) -> str:
    """The owner part of every entry a participant's orders made: 'p_' and 24 hex digits."""
    return "p_" + hashlib.sha256(participant_id.encode()).hexdigest()[:24]


def entry_id_for(kind: Entity, name: str, participant_id: str | None, order_id: str) -> str:
    """Who an entry belongs to: an organization by its name; a person by their participant id and the
    name they bought under, so what one browser buys under two names stays two entries, each under
    the name it was bought with."""
    normalized = normalize_name(name).casefold()
    if kind == "organization":
        return "org_" + hashlib.sha256(normalized.encode()).hexdigest()[:24]
    if participant_id:
        return f"{viewer_prefix(participant_id)}-{hashlib.sha256(normalized.encode()).hexdigest()[:8]}"
    return "o_" + hashlib.sha256(order_id.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class RetirementHint:
    """What retiring an order reads besides the order itself (its project's registry head, its scene
    and its leaderboard entries), named when its checkout starts so that the payment's event can
    carry it and the retirement read it all with the order in one request. Only a hint: the
    retirement uses what it read only when the order it found needs exactly those items."""

    project_id: str
    scene_id: str | None
    entity: Entity
    entry_id: str

    @classmethod
    def of(cls, order: Order) -> RetirementHint:
        kind = order.beneficiary.kind
        entry = entry_id_for(kind, order.beneficiary.name, order.participant_id, order.order_id)
        return cls(order.project_id, order.scene_id, kind, entry)

    def encode(self) -> str:
        """Ids hold no spaces: `project scene entity entry`, '-' for no scene (at most 176 characters)."""
        return " ".join((self.project_id, self.scene_id or "-", self.entity[0], self.entry_id))

    @classmethod
    def decode(cls, text: object) -> RetirementHint | None:
        """The hint an event brought back, or None for anything else (a hint is never an error)."""
        parts = text.split(" ") if isinstance(text, str) else []
        if len(parts) != 4 or parts[2] not in ("i", "o"):
            return None
        project, scene, entity, entry = parts
        entity_kind: Entity = "individual" if entity == "i" else "organization"
        if not (is_id(PROJECT_ID_PATTERN, project) and is_id(ENTRY_ID_PATTERN, entry)):
            return None
        if scene != "-" and not is_id(SCENE_ID_PATTERN, scene):
            return None
        return cls(project, None if scene == "-" else scene, entity_kind, entry)


def buyer_of(order: Order) -> str | None:
    """Who placed an order, as far as the platform can tell: the organizer, or the participant."""
    if order.organizer_id:
        return "o_" + hashlib.sha256(order.organizer_id.encode()).hexdigest()[:24]
    if order.participant_id:
        return "p_" + hashlib.sha256(order.participant_id.encode()).hexdigest()[:24]
    return None


def counts_as(order: Order) -> CountsAs:
    """What a retired order adds to its scene's figures (decided when it was placed)."""
    if order.counts_as:
        return order.counts_as
    if order.role == "organizer":  # an order placed before the rule: as it was counted then
        return "organizer"
    return "participants" if order.footprint_id else "boards"


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
    """A scene's carbon-neutral rating: paid neutralization against what its organizer declared.

    target = expected attendance x per-participant estimate + the event's own footprint.
    Participants' footprint claims count up to their footprint and, together, up to the
    participants' part of the target; the organizer's orders up to the event's footprint. What
    goes beyond is reported as uncounted, never dropped silently; calculations count for nothing.
    """

    scene_id: str
    declared: bool = Field(description="Whether the organizer declared attendance and the event footprint")
    expected_attendance: int | None
    per_participant_kg: int
    event_footprint_kg: int | None
    target_kg: float = Field(description="attendance x per-participant estimate + event footprint")
    footprints: int = Field(description="Footprints calculated at the scene (not part of the rating)")
    footprint_kg: float = Field(description="Their total (not part of the rating)")
    participants_kg: float = Field(description="Participants' neutralized footprints, as counted")
    participants_uncounted_kg: float = Field(description="Participants' part beyond attendance x estimate")
    organizer_kg: float = Field(description="The organizer's neutralization, as counted")
    organizer_uncounted_kg: float = Field(description="The organizer's part beyond the event footprint")
    held_kg: float = Field(description="Implausibly large footprints neutralized, awaiting the organizer")
    explicit_kg: float = Field(description="Explicit amounts bought for the scene: on the boards, not here")
    neutralized_kg: float = Field(description="participants_kg + organizer_kg: never above target_kg")
    share: float = Field(description="neutralized_kg / target_kg")
    level: Literal["none", "bronze", "silver", "gold", "carbon_neutral"]


LEVELS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(1), "carbon_neutral"),
    (Decimal("0.75"), "gold"),
    (Decimal("0.5"), "silver"),
    (Decimal("0.25"), "bronze"),
)


# A scene's figures by activity and by day live beside its totals, for the organizer's charts.
ACTIVITY_PREFIX = "g_"  # g_flight: grams of the scene's footprints that are flights
DAY_FOOTPRINTS = "fp_"  # fp_2026-11-26: footprints calculated that day (Beijing time)
DAY_NEUTRALIZED_KG = "nkg_"  # nkg_2026-11-26: kg retired for the scene that day (Beijing time)
SERIES_PREFIXES = (ACTIVITY_PREFIX, DAY_FOOTPRINTS, DAY_NEUTRALIZED_KG)


def beijing_day(moment: datetime) -> str:
    """The calendar day in China (UTC+8, no summer time) of a moment."""
    return (moment.astimezone(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d")


SCENE_TOTALS = (
    "footprints",
    "footprint_g",
    "participants_orders",
    "participants_g",
    "organizer_orders",
    "organizer_kg",
    "held_orders",
    "held_g",
    "explicit_orders",
    "explicit_kg",
)


def rating(scene: Scene, totals: Mapping[str, int]) -> Rating:
    """The rule of the README's "How a scene is rated", in one place."""
    attendance, estimate, event = (
        scene.expected_attendance,
        scene.participant_estimate_kg(),
        scene.event_footprint_kg,
    )
    declared = attendance is not None and event is not None
    participants_target_g = (attendance or 0) * estimate * 1000
    organizer_target_g = (event or 0) * 1000
    participants_g = min(totals.get("participants_g", 0), participants_target_g)
    organizer_g = min(totals.get("organizer_kg", 0) * 1000, organizer_target_g)
    target_g = participants_target_g + organizer_target_g
    counted_g = participants_g + organizer_g
    share = Decimal(counted_g) / Decimal(target_g) if declared and target_g else Decimal(0)
    level = next((name for threshold, name in LEVELS if share >= threshold), "none")
    return Rating(
        scene_id=scene.scene_id,
        declared=declared,
        expected_attendance=attendance,
        per_participant_kg=estimate,
        event_footprint_kg=event,
        target_kg=target_g / 1000,
        footprints=totals.get("footprints", 0),
        footprint_kg=totals.get("footprint_g", 0) / 1000,
        participants_kg=participants_g / 1000,
        participants_uncounted_kg=(totals.get("participants_g", 0) - participants_g) / 1000,
        organizer_kg=organizer_g / 1000,
        organizer_uncounted_kg=totals.get("organizer_kg", 0) - organizer_g / 1000,
        held_kg=totals.get("held_g", 0) / 1000,
        explicit_kg=float(totals.get("explicit_kg", 0)),
        neutralized_kg=counted_g / 1000,
        share=float(share),
        level=level,
    )


class Boards(Protocol):
    """What ranking needs of the leaderboards (implemented in store.leaderboards)."""

    def top(self, board: str, entity: str, period: str, limit: int) -> list[Entry]: ...
    def entry(self, board: str, entity: str, period: str, entry_id: str) -> Entry | None: ...

    def entries_of(self, board: str, entity: str, period: str, owner: str) -> list[Entry]: ...
    def rank(self, board: str, entity: str, period: str, entry: Entry) -> int: ...
    def standing(self, board: str, entity: str, period: str, entry: Entry | None) -> tuple[int, int, int]: ...
    def ranked_with_neighbours(
        self, board: str, entity: str, period: str, entry_id: str
    ) -> tuple[Entry, Entry | None, Entry | None] | None: ...
    def scene_totals(self, scene_id: str) -> dict[str, int]: ...


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
    participants: int = 0  # entries on this board
    ahead_percent: int | None = None  # the viewer is ahead of this share of the others
    next_level: tuple[str, float] | None = None  # the scene's next rating level, and the kg it needs


def next_level(rated: Rating) -> tuple[str, float] | None:
    """The rating level above the scene's, and how many kg more reach it (None at the top)."""
    if not rated.declared or rated.target_kg <= 0:
        return None
    higher = [(threshold, name) for threshold, name in LEVELS if rated.share < threshold]
    if not higher:
        return None
    threshold, name = higher[-1]
    return name, max(round(float(threshold) * rated.target_kg - rated.neutralized_kg, 1), 0.1)


class RankingService:
    def __init__(self, boards: Boards, scenes: SceneRepository) -> None:
        self._boards, self._scenes = boards, scenes

    def top(self, board: str, entity: str, period: str, limit: int) -> list[Entry]:
        """A board's top; a scene's board exists only while its scene does."""
        self._scene_of(board)
        return self._boards.top(board, entity, period, limit)

    def _scene_of(self, board: str) -> Scene | None:
        if not board.startswith("scene:"):
            return None
        scene_id = board.split(":", 1)[1]
        scene = self._scenes.get(scene_id)
        if scene is None:
            raise NotFound(f"no scene {scene_id!r}, so no board {board!r}")
        return scene

    def entry(
        self, board: str, entity: str, period: str, entry_id: str
    ) -> tuple[Entry, Entry | None, Entry | None]:
        found = self._boards.ranked_with_neighbours(board, entity, period, entry_id)
        # A hidden entry is not looked up by its id: an organization's id is derived from its name,
        # so answering would tell whoever guesses the name that it is there, and with how much.
        if found is None or found[0].name is None:
            raise NotFound(f"no entry {entry_id!r} on {board} ({entity}, {period})")
        return found

    def scene_rating(self, scene_id: str) -> Rating:
        scene = self._scenes.get(scene_id)
        if scene is None:
            raise NotFound(f"no scene {scene_id!r}")
        return rating(scene, self._boards.scene_totals(scene_id))

    def board_view(
        self, board: str, entity: str, period: str, participant_id: str | None, limit: int = 20
    ) -> BoardView | None:
        """None when the board or the period does not exist."""
        if not is_id(BOARD_PATTERN, board) or not is_id(PERIOD_PATTERN, period):
            return None
        try:
            scene = self._scene_of(board)
        except NotFound:
            return None
        entries = self._boards.top(board, entity, period, limit)
        mine, viewer, found = None, None, None
        if participant_id and entity == "individual":
            # The viewer's entries, one per name they bought under: where the biggest one stands.
            own = self._boards.entries_of(board, entity, period, viewer_prefix(participant_id))
            found = max(own, key=lambda e: (e.kg, e.entry_id), default=None)
            viewer = found.entry_id if found else None
        # How many are on the board, and where the viewer stands among them: one read of the counts.
        total, rank, below = self._boards.standing(board, entity, period, found)
        if found and all(e.entry_id != viewer for e in entries):
            mine = replace(found, rank=rank)
        ahead = round(100 * below / (total - 1)) if found and total > 1 else None
        rated = rating(scene, self._boards.scene_totals(scene.scene_id)) if scene else None
        upcoming = next_level(rated) if rated else None
        return BoardView(board, entity, period, entries, mine, viewer, scene, rated, total, ahead, upcoming)


def scene_breaches(
    scene: Scene,
    totals: Mapping[str, int],
    retired: list[Order],
    held_orders: set[str],
    footprint_g: Mapping[str, int],
) -> list[str]:
    """What `admin audit` finds wrong with a scene's figures, recomputed from its retired orders:
    a footprint neutralized twice, a claim above its footprint, an organizer's part that another
    organizer bought, figures that disagree with the orders, more neutralized than the target."""
    problems: list[str] = []
    by_footprint: dict[str, list[str]] = {}
    expected = dict.fromkeys(SCENE_TOTALS[2:], 0)
    for order in retired:
        part = counts_as(order)
        if order.footprint_id:
            by_footprint.setdefault(order.footprint_id, []).append(order.order_id)
            stored = footprint_g.get(order.footprint_id)
            if stored is not None and order.counted_g() > stored:
                problems.append(
                    f"order {order.order_id} counts {order.counted_g()} g of a {stored} g footprint"
                )
        if part == "organizer" and order.organizer_id != scene.organizer_id:  # None: placed by anyone
            problems.append(f"order {order.order_id} counts as organizer but {order.organizer_id} is not")
        if part == "held" and order.order_id not in held_orders:
            part = "participants"  # the organizer accepted it
        if part in ("participants", "held"):
            expected[f"{part}_g"] += order.counted_g()
        elif part == "organizer":
            expected["organizer_kg"] += order.quantity_kg
        else:
            expected["explicit_kg"] += order.quantity_kg
        expected["explicit_orders" if part == "boards" else f"{part}_orders"] += 1
    for footprint_id, orders in sorted(by_footprint.items()):
        if len(orders) > 1:
            problems.append(f"footprint {footprint_id} was neutralized {len(orders)} times: {sorted(orders)}")
    for name, value in expected.items():
        if totals.get(name, 0) != value:
            problems.append(f"{name} is {totals.get(name, 0)}, its retired orders add up to {value}")
    rated = rating(scene, totals)
    if rated.neutralized_kg > rated.target_kg:
        problems.append(f"neutralized {rated.neutralized_kg} kg is above the target {rated.target_kg} kg")
    return [f"scene {scene.scene_id}: {p}" for p in problems]
