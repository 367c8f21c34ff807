"""Organizer authentication: Authorization: Bearer cnk_<key id>_<secret> for the API, and for the
pages a server-side session opened by signing in with the key.

The session cookie holds only a random id (never the key, never what is stored); it is HttpOnly,
SameSite=Strict, Path=/ so that any function's pages can recognize a signed-in organizer with
`organizer_from_session`, and Secure over HTTPS (the resolver adds it: web/api.py). Each request
checks the session's expiry and that its key is not revoked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from carbonneutral.domain.organizers import parse_token
from carbonneutral.domain.sessions import SESSION_LIFETIME, is_session_id, new_session, session_hash
from carbonneutral.errors import Unauthorized

if TYPE_CHECKING:
    from carbonneutral.store.organizers import OrganizerStore

SESSION_COOKIE = "organizer_session"
# Before sessions, this cookie held the API key itself (Path=/organizer): signing in or out clears it.
LEGACY_COOKIE, LEGACY_PATH = "org", "/organizer"


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


def sign_in(token: str, store: OrganizerStore, now: datetime | None = None) -> str | None:
    """Opens a session for the organizer whose key this is: its id, for the cookie; None for a
    malformed, unknown or revoked key."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    key = store.key(parsed[0])
    if key is None or key.revoked or not key.matches(parsed[1]):
        return None
    session_id, session = new_session(key.organizer_id, key.key_id, now or datetime.now(UTC))
    store.put_session(session)
    return session_id


def organizer_from_session(event: Any, store: OrganizerStore, now: datetime | None = None) -> str | None:
    """The signed-in organizer of a page request, or None: no session cookie, a session id never
    issued or ended, an expired session (whatever the browser still sends), or a revoked key."""
    from carbonneutral.web.html import cookies_of

    session_id = cookies_of(event).get(SESSION_COOKIE, "")
    if not is_session_id(session_id):
        return None
    session = store.session(session_hash(session_id))
    if session is None or not session.active(now or datetime.now(UTC)):
        return None
    key = store.key(session.key_id)
    if key is None or key.revoked or key.organizer_id != session.organizer_id:
        return None
    return session.organizer_id


def sign_out(event: Any, store: OrganizerStore) -> None:
    """Ends the request's session, if it has one (the cookie is cleared by `signed_out_cookies`)."""
    from carbonneutral.web.html import cookies_of

    session_id = cookies_of(event).get(SESSION_COOKIE, "")
    if is_session_id(session_id):
        store.delete_session(session_hash(session_id))


def session_cookies(session_id: str) -> list[Cookie]:
    """The cookies of a new session: its id, and the old key cookie cleared."""
    from carbonneutral.web.html import page_cookie

    lifetime = int(SESSION_LIFETIME.total_seconds())
    return [
        page_cookie(SESSION_COOKIE, session_id, max_age=lifetime, same_site=SameSite.STRICT_MODE),
        _cleared(LEGACY_COOKIE, LEGACY_PATH),
    ]


def signed_out_cookies() -> list[Cookie]:
    return [_cleared(SESSION_COOKIE, "/"), _cleared(LEGACY_COOKIE, LEGACY_PATH)]


def _cleared(name: str, path: str) -> Cookie:
    from carbonneutral.web.html import page_cookie

    return page_cookie(name, "", max_age=0, path=path, same_site=SameSite.STRICT_MODE)
