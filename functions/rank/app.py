"""rank: leaderboards (top entries and an entry's exact rank), scene ratings, the leaderboard page."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from carbonneutral import services
from carbonneutral.domain.ranking import BOARD_PATTERN, ENTRY_ID_PATTERN, PERIOD_PATTERN, Rating
from carbonneutral.domain.scenes import SCENE_ID_PATTERN
from carbonneutral.errors import NotFound
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.web.api import create_app
from carbonneutral.web.models import EntryOut, LeaderboardOut, RankedEntryOut
from carbonneutral.web.pages import cookies_of, html, language_of, not_found_page, render
from carbonneutral.web.problems import problem_responses

app = create_app()
Board = Annotated[str, Path(pattern=BOARD_PATTERN, description="global or scene:{scene_id}")]
EntityQuery = Annotated[Literal["individual", "organization"], Query()]
PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, description="all, or a calendar month YYYY-MM")]


@app.get("/v1/leaderboards/<board>", tags=["rank"], responses=problem_responses())
def leaderboard(
    board: Board,
    entity: EntityQuery = "individual",
    period: PeriodQuery = "all",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> LeaderboardOut:
    entries = services.leaderboards().top(board, entity, period, limit)
    return LeaderboardOut(
        board=board, entity=entity, period=period, entries=[EntryOut.of(e) for e in entries]
    )


@app.get("/v1/leaderboards/<board>/entries/<entry_id>", tags=["rank"], responses=problem_responses(404))
def leaderboard_entry(
    board: Board,
    entry_id: Annotated[str, Path(pattern=ENTRY_ID_PATTERN)],
    entity: EntityQuery = "individual",
    period: PeriodQuery = "all",
) -> RankedEntryOut:
    found = services.leaderboards().ranked_with_neighbours(board, entity, period, entry_id)
    if found is None:
        raise NotFound(f"no entry {entry_id!r} on {board} ({entity}, {period})")
    entry, above, below = found
    return RankedEntryOut(
        board=board,
        entity=entity,
        period=period,
        entry=EntryOut.of(entry),
        above=EntryOut.of(above) if above else None,
        below=EntryOut.of(below) if below else None,
    )


@app.get("/v1/scenes/<scene_id>/rating", tags=["rank"], responses=problem_responses(404))
def scene_rating(scene_id: Annotated[str, Path(pattern=SCENE_ID_PATTERN)]) -> Rating:
    if services.scene_repository().get(scene_id) is None:
        raise NotFound(f"no scene {scene_id!r}")
    return services.leaderboards().rating(scene_id)


@app.get("/leaderboard/<board>", include_in_schema=False)
def leaderboard_page(board: str) -> Response[str]:
    import re

    from carbonneutral.domain.ranking import entry_id_for
    from carbonneutral.web import forms

    lang = language_of(app.current_event)
    query = app.current_event.query_string_parameters or {}
    entity = "organization" if query.get("entity") == "organization" else "individual"
    period = query.get("period", "all")
    if not re.fullmatch(BOARD_PATTERN, board) or not re.fullmatch(PERIOD_PATTERN, period):
        return not_found_page(lang)  # type: ignore[no-any-return]
    boards = services.leaderboards()
    entries = boards.top(board, entity, period, 20)
    pid = cookies_of(app.current_event).get("pid")
    mine = None
    if pid and entity == "individual":
        my_id = entry_id_for("individual", "", pid, "")
        found = boards.entry(board, entity, period, my_id)
        if found and all(e.entry_id != my_id for e in entries):
            mine = replace(found, rank=boards.rank(board, entity, period, found))
        viewer = my_id
    else:
        viewer = None
    scene = services.scene_repository().get(board.split(":", 1)[1]) if board.startswith("scene:") else None
    rating = boards.rating(scene.scene_id) if scene else None
    body = render(
        "leaderboard.html",
        lang,
        board=board,
        entity=entity,
        period=period,
        entries=entries,
        mine=mine,
        viewer=viewer,
        scene=scene,
        rating=rating,
        levels=forms.RATING_LEVELS,
    )
    return html(body, lang=lang)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
