"""Organizer authentication: Authorization: Bearer cnk_<key id>_<secret>."""

from __future__ import annotations

from typing import Any

from carbonneutral.domain.organizers import parse_token
from carbonneutral.errors import Unauthorized


def organizer_of(event: Any, keys: Any) -> str:
    """The organizer the request's API key belongs to; 401 for a missing, bad or revoked key."""
    header = event.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    parsed = parse_token(token) if scheme.lower() == "bearer" else None
    if parsed is None:
        raise Unauthorized("send an organizer API key: Authorization: Bearer cnk_…")
    key = keys.key(parsed[0])
    if key is None or key.revoked or not key.matches(parsed[1]):
        raise Unauthorized("the API key is not valid or was revoked")
    return str(key.organizer_id)


ORGANIZER_COOKIE = "org"


def organizer_from_cookie(event: Any, keys: Any) -> str | None:
    """The signed-in organizer of the organizer pages, or None."""
    from carbonneutral.web.pages import cookies_of

    token = cookies_of(event).get(ORGANIZER_COOKIE, "")
    parsed = parse_token(token)
    if parsed is None:
        return None
    key = keys.key(parsed[0])
    return str(key.organizer_id) if key and not key.revoked and key.matches(parsed[1]) else None
