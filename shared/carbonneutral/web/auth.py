"""Organizer authentication: Authorization: Bearer cnk_<key id>_<secret>, or the pages' cookie."""

from __future__ import annotations

from typing import Any

from carbonneutral.domain.organizers import parse_token
from carbonneutral.errors import Unauthorized

ORGANIZER_COOKIE = "org"


def organizer_for_token(token: str, keys: Any) -> str | None:
    """The organizer an API key belongs to, or None for a malformed, unknown or revoked key."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    key = keys.key(parsed[0])
    return str(key.organizer_id) if key and not key.revoked and key.matches(parsed[1]) else None


def organizer_of(event: Any, keys: Any) -> str:
    """The organizer of an API request; 401 for a missing, bad or revoked key."""
    scheme, _, token = (event.headers.get("authorization") or "").partition(" ")
    organizer = organizer_for_token(token, keys) if scheme.lower() == "bearer" else None
    if organizer is None:
        raise Unauthorized("send a valid organizer API key: Authorization: Bearer cnk_…")
    return organizer


def organizer_from_cookie(event: Any, keys: Any) -> str | None:
    """The signed-in organizer of the organizer pages, or None."""
    from carbonneutral.web.html import cookies_of

    return organizer_for_token(cookies_of(event).get(ORGANIZER_COOKIE, ""), keys)
