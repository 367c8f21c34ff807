"""Organizers' browser sessions: signing in with an API key opens one for eight hours.

The browser holds only a random session id; what is stored is found by the id's SHA-256 hash, so
neither the key nor a usable session id is ever in the table. A session is good while it has not
expired and the key that opened it is not revoked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel

SESSION_LIFETIME = timedelta(hours=8)
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class OrganizerSession(BaseModel):
    session_hash: str
    organizer_id: str
    key_id: str
    created_at: datetime
    expires_at: datetime

    def active(self, now: datetime) -> bool:
        return now < self.expires_at


def session_hash(session_id: str) -> str:
    # The id is 256 random bits: one unsalted SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(session_id.encode()).hexdigest()


def is_session_id(value: str) -> bool:
    return bool(_SESSION_ID.fullmatch(value))


def new_session(organizer_id: str, key_id: str, now: datetime) -> tuple[str, OrganizerSession]:
    """(the id for the browser's cookie, what is stored)."""
    session_id = secrets.token_urlsafe(32)
    return session_id, OrganizerSession(
        session_hash=session_hash(session_id),
        organizer_id=organizer_id,
        key_id=key_id,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
