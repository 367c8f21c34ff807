"""The resolver every function uses: validation on, problem+json errors, bounded bodies."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig

from carbonneutral.settings import get_settings
from carbonneutral.web import problems


class ApiResolver(APIGatewayHttpResolver):
    """APIGatewayHttpResolver that refuses oversized bodies before parsing them."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        limit = get_settings().max_body_bytes
        body = event.get("body") or ""
        size = (
            len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", "surrogatepass"))
        )
        if size > limit:
            return _raw_problem(413, "payload-too-large", "The request body is too large",
                                f"The body may hold at most {limit} bytes")  # fmt: skip
        if event.get("isBase64Encoded") and body:
            try:
                base64.b64decode(body, validate=True).decode("utf-8")
            except ValueError:
                return _raw_problem(400, "bad-request", "Bad request", "The body is not valid UTF-8")
        return super().resolve(event, context)


def _raw_problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": problems.PROBLEM_JSON, "Cache-Control": "no-store"},
        "body": problems.problem_body(status, slug, title, detail),
        "isBase64Encoded": False,
    }


def create_app() -> ApiResolver:
    app = ApiResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=["Idempotency-Key", "Authorization"], max_age=600),
        json_body_deserializer=problems.safe_json_loads,
    )
    problems.register(app)
    return app
