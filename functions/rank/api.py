"""rank's API: leaderboards, an entry's exact rank, and a scene's carbon-neutral rating."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from carbonneutral import services
from carbonneutral.domain.ranking import Rating
from carbonneutral.domain.types import BOARD_PATTERN, ENTRY_ID_PATTERN, PERIOD_PATTERN, SCENE_ID_PATTERN
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.models import EntryOut, LeaderboardOut, RankedEntryOut
from carbonneutral.web.problems import problem_responses

router = ApiRouter()
Board = Annotated[str, Path(pattern=BOARD_PATTERN, description="global or scene:{scene_id}")]
EntityQuery = Annotated[Literal["individual", "organization"], Query(description="people or organizations")]
PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, description="all, or a calendar month YYYY-MM")]


@router.get(
    "/v1/leaderboards/<board>",
    tags=["rank"],
    summary="The top of a leaderboard",
    description="The entries with the most kg neutralized, highest first; ties share a rank. Hidden "
    "names are null. A scene's board exists only while its scene does (else 404).",
    responses=problem_responses(404),
)
def leaderboard(
    board: Board,
    entity: EntityQuery = "individual",
    period: PeriodQuery = "all",
    limit: Annotated[int, Query(ge=1, le=100, description="How many entries")] = 10,
) -> LeaderboardOut:
    entries = services.ranking_service().top(board, entity, period, limit)
    return LeaderboardOut(
        board=board, entity=entity, period=period, entries=[EntryOut.of(e) for e in entries]
    )


@router.get(
    "/v1/leaderboards/<board>/entries/<entry_id>",
    tags=["rank"],
    summary="One entry with its exact rank",
    description="The entry, its exact rank on the board, and its neighbours above and below.",
    responses=problem_responses(404),
)
def leaderboard_entry(
    board: Board,
    entry_id: Annotated[str, Path(pattern=ENTRY_ID_PATTERN, description="The entry's id")],
    entity: EntityQuery = "individual",
    period: PeriodQuery = "all",
) -> RankedEntryOut:
    entry, above, below = services.ranking_service().entry(board, entity, period, entry_id)
    return RankedEntryOut.of(board, entity, period, entry, above, below)


@router.get(
    "/v1/scenes/<scene_id>/rating",
    tags=["rank"],
    summary="A scene's carbon-neutral rating",
    description="Paid neutralization against what the organizer declared: target = expected attendance x "
    "per-participant estimate + the event's own footprint; participants' footprint claims count up to their "
    "footprint and together up to their part, the organizer's own orders up to the event footprint, the rest "
    "is reported as uncounted. Calculations are not part of it. Levels: bronze 25 %, silver 50 %, gold 75 %, "
    "carbon neutral 100 % of the target; a scene without declarations is not rated.",
    responses=problem_responses(404),
)
def scene_rating(
    scene_id: Annotated[str, Path(pattern=SCENE_ID_PATTERN, description="The scene's id")],
) -> Rating:
    return services.ranking_service().scene_rating(scene_id)
