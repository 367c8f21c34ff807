"""Organizers' browser sessions with an in-memory store and a clock the test holds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from carbonneutral.domain.organizers import ApiKey, new_api_key
from carbonneutral.domain.sessions import OrganizerSession, session_hash
from carbonneutral.web.auth import (
    SESSION_COOKIE,
    organizer_from_session,
    session_cookies,
    sign_in,
    sign_out,
    signed_out_cookies,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class MemoryStore:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.sessions: dict[str, OrganizerSession] = {}

    def key(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    def put_session(self, session: OrganizerSession) -> None:
        assert session.session_hash not in self.sessions
        self.sessions[session.session_hash] = session

    def session(self, session_hash: str) -> OrganizerSession | None:
        return self.sessions.get(session_hash)

    def delete_session(self, session_hash: str) -> None:
        self.sessions.pop(session_hash, None)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def token(store: MemoryStore) -> str:
    token, key = new_api_key("forum-team", "tests", NOW)
    store.keys[key.key_id] = key
    return token


def request(session_id: str) -> SimpleNamespace:
    """What the pages read of an event: its cookies."""
    return SimpleNamespace(get=lambda name, default=None: [f"{SESSION_COOKIE}={session_id}"])


def test_a_session_is_stored_by_the_hash_of_its_id_and_keeps_no_secret(store, token: str) -> None:
    session_id = sign_in(token, store, NOW)
    assert session_id is not None
    (stored,) = store.sessions.values()
    assert stored.session_hash == hashlib.sha256(session_id.encode()).hexdigest() == session_hash(session_id)
    assert (
        session_id not in stored.model_dump_json() and token.split("_", 2)[2] not in stored.model_dump_json()
    )
    assert (stored.organizer_id, stored.expires_at) == ("forum-team", NOW + timedelta(hours=8))


def test_each_sign_in_opens_a_new_session(store, token: str) -> None:
    assert sign_in(token, store, NOW) != sign_in(token, store, NOW)
    assert len(store.sessions) == 2


@pytest.mark.parametrize("bad", ["", "cnk_nope", "cnk_AAAAAAAAAAAA_" + "x" * 43])
def test_a_bad_key_opens_no_session(store, token: str, bad: str) -> None:
    assert sign_in(bad, store, NOW) is None
    wrong_secret = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert sign_in(wrong_secret, store, NOW) is None
    assert store.sessions == {}


def test_a_session_is_good_until_eight_hours_have_passed(store, token: str) -> None:
    session_id = sign_in(token, store, NOW)
    assert session_id is not None
    event = request(session_id)
    assert organizer_from_session(event, store, NOW + timedelta(hours=7, minutes=59)) == "forum-team"
    assert organizer_from_session(event, store, NOW + timedelta(hours=8)) is None
    assert organizer_from_session(event, store, NOW + timedelta(days=3)) is None


def test_revoking_the_key_ends_the_sessions_it_opened(store, token: str) -> None:
    session_id = sign_in(token, store, NOW)
    assert session_id is not None
    key_id = token.split("_")[1]
    store.keys[key_id] = store.keys[key_id].model_copy(update={"revoked": True})
    assert organizer_from_session(request(session_id), store, NOW) is None


def test_a_revoked_key_opens_no_session(store, token: str) -> None:
    key_id = token.split("_")[1]
    store.keys[key_id] = store.keys[key_id].model_copy(update={"revoked": True})
    assert sign_in(token, store, NOW) is None


def test_signing_out_deletes_the_session(store, token: str) -> None:
    session_id = sign_in(token, store, NOW)
    assert session_id is not None
    sign_out(request(session_id), store)
    assert store.sessions == {} and organizer_from_session(request(session_id), store, NOW) is None


@pytest.mark.parametrize("cookie", ["", "short", "x" * 44, "a b" * 20])
def test_a_malformed_session_id_is_never_looked_up(cookie: str) -> None:
    class Untouchable:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"the store was asked: {name}")

    assert organizer_from_session(request(cookie), Untouchable(), NOW) is None  # type: ignore[arg-type]


def test_the_session_cookie_is_httponly_strict_site_wide_for_eight_hours() -> None:
    session, legacy = session_cookies("s" * 43)
    assert str(session) == f"{SESSION_COOKIE}={'s' * 43}; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict"
    assert str(legacy) == "org=; Path=/organizer; Max-Age=0; HttpOnly; SameSite=Strict"
    assert [str(c).split(";")[0] for c in signed_out_cookies()] == [f"{SESSION_COOKIE}=", "org="]
