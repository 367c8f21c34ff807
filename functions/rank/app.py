"""rank: leaderboards (top entries and an entry's exact rank), scene ratings, the leaderboard page."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from carbonneutral import services
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.web.api import create_app

from rank import api, pages

app = create_app(api.router, pages.router)
services.clients_at_init("dynamodb")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
