"""rank's pages: a leaderboard, with the viewer's own row and the scene's rating."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from carbonneutral import services
from carbonneutral.web import texts
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.html import html, language_of, not_found_page, participant_of, render

router = ApiRouter()


@router.get("/leaderboard/<board>", include_in_schema=False)
def leaderboard_page(board: str) -> Response[str]:
    event = router.current_event
    lang, query = language_of(event), event.query_string_parameters or {}
    entity = "organization" if query.get("entity") == "organization" else "individual"
    view = services.ranking_service().board_view(
        board, entity, query.get("period", "all"), participant_of(event)
    )
    if view is None:
        return not_found_page(lang)
    return html(render("leaderboard.html", lang, levels=texts.RATING_LEVELS, **vars(view)), lang=lang)
