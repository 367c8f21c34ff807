"""RFC 9457 problem details: the one place where exceptions become HTTP answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from carbonneutral.domain.activities import ACTIVITY_TYPES
from carbonneutral.errors import DomainError
from carbonneutral.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

PROBLEM_JSON = "application/problem+json"
_TAGS = frozenset(ACTIVITY_TYPES)


class FieldError(BaseModel):
    field: str = Field(description="The offending field, e.g. activities[0].from")
    location: str = Field(description="body, query, path or header")
    message: str
    type: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation error: the fields that are wrong are named",
    429: "Too many requests from this client",
    503: "Temporarily unavailable",
}


def problem_responses(*codes: int, ok: int | None = 200) -> dict[int, Any]:
    """OpenAPI documentation of an operation's answers: success (its schema comes from the
    route's return type) and the problems it can answer with."""
    documented: dict[int, Any] = {ok: {"description": "Success"}} if ok else {}
    for code in sorted({*codes, 413, 422, 503}):
        documented[code] = {"description": _DESCRIPTIONS[code], "content": {PROBLEM_JSON: {"model": Problem}}}
    return documented


def problem_body(
    status: int, slug: str, title: str, detail: str, errors: list[FieldError] | None = None
) -> str:
    problem = Problem(type=f"/problems/{slug}", title=title, status=status, detail=detail, errors=errors)
    return problem.model_dump_json(exclude_none=True)


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=problem_body(status, slug, title, detail, errors),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def field_path(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    """('body', 'activities', 0, 'flight', 'from') -> ('body', 'activities[0].from')."""
    parts = list(loc)
    location = (
        str(parts.pop(0)) if parts and parts[0] in {"body", "query", "path", "header", "cookie"} else "body"
    )
    path = ""
    previous: Any = None
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(previous, int) and part in _TAGS:
            pass  # pydantic names the union member chosen by "type"; it is not a field
        elif isinstance(part, str) and not part.startswith(("function-", "json-or-python")):
            path += f".{part}" if path else part
        previous = part
    return location, path or location


def field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    out = []
    for error in errors:
        kind = str(error.get("type"))
        if kind == "json_invalid":
            position = next((p for p in error.get("loc", ()) if isinstance(p, int)), 0)
            reason = (error.get("ctx") or {}).get("error", "malformed")
            out.append(
                FieldError(
                    field="body",
                    location="body",
                    message=f"not valid JSON at character {position}: {reason}",
                    type=kind,
                )
            )
            continue
        location, path = field_path(error.get("loc", ()))
        if kind == "union_tag_invalid":
            path += ".type"
        message = str(error.get("msg") or kind).removeprefix("Value error, ")
        out.append(FieldError(field=path, location=location, message=message, type=kind))
    return out


def register(app: Any) -> None:
    """Map every failure to problem+json; unknown failures are logged and answered 500."""
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from aws_lambda_powertools.event_handler.openapi.exceptions import (
        RequestUnsupportedContentType,
        RequestValidationError,
    )

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[Any]:
        errors = None
        if exc.field:
            errors = [FieldError(field=exc.field, location=exc.location, message=exc.detail, type=exc.slug)]
        if exc.log_level:
            getattr(logger, exc.log_level)("dependency unavailable", extra={"problem": exc.slug})
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return problem_response(exc.status, exc.slug, exc.title, exc.detail, errors, headers)

    @app.exception_handler(RequestValidationError)
    def _validation(exc: RequestValidationError) -> Response[Any]:
        errors = field_errors(list(exc.errors()))
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        return problem_response(
            422, "validation-error", "The request is not valid", f"Invalid fields: {names}", errors
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType) -> Response[Any]:
        return problem_response(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the body as application/json",
            [
                FieldError(
                    field="content-type",
                    location="header",
                    message="expected application/json",
                    type="media_type",
                )
            ],
        )

    @app.exception_handler(NotFoundError)
    def _not_found(exc: NotFoundError) -> Response[Any]:
        event = app.current_event
        accept = (event.headers or {}).get("accept", "")
        if event.http_method in {"GET", "HEAD"} and "text/html" in accept:
            # A person who followed a bad link gets a page in their language, not JSON.
            from carbonneutral.web.html import language_of, not_found_page

            return not_found_page(language_of(event))
        return problem_response(404, "not-found", "Not found", "No such resource or route")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return problem_response(500, "internal-error", "Internal error", "Something went wrong on our side")


def safe_json_loads(text: str | bytes) -> Any:
    """json.loads that turns every malformed document into a JSONDecodeError (a 422).

    Python's parser otherwise raises RecursionError on deep nesting, ValueError on huge
    integers, and accepts NaN and Infinity, which JSON does not have.
    """

    def _reject_constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not valid JSON", str(text), 0)

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as exc:
        raise json.JSONDecodeError(f"unreadable JSON: {type(exc).__name__}", str(text)[:64], 0) from exc
