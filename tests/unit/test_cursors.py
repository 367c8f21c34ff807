"""Page cursors: sealed and authenticated, bound to their listing, refused as a 400 when altered."""

from __future__ import annotations

import base64

import pytest
from carbonneutral.errors import InvalidCursor, NotConfigured
from carbonneutral.store.cursors import CursorCodec

KEY = "k" * 43
LAST_KEY = {
    "PK": {"S": "SCENE#cdcnf-2021"},
    "SK": {"S": "SCENE"},
    "GSI1PK": {"S": "SCENES"},
    "GSI1SK": {"S": "conference#cdcnf-2021"},
}
EXPECTED = set(LAST_KEY)
LISTING = ("conference", "")


def codec(key: str = KEY) -> CursorCodec:
    return CursorCodec(lambda: key, purpose="scenes")


def sealed() -> str:
    cursor = codec().seal(LAST_KEY, binding=LISTING)
    assert cursor is not None
    return cursor


def refused(cursor: str, *, binding: tuple[str, str] = LISTING, key: str = KEY) -> InvalidCursor:
    with pytest.raises(InvalidCursor) as caught:
        codec(key).open(cursor, binding=binding, expected_keys=EXPECTED)
    return caught.value


def test_a_sealed_cursor_opens_to_the_key_it_was_made_from() -> None:
    assert codec().open(sealed(), binding=LISTING, expected_keys=EXPECTED) == LAST_KEY


def test_no_cursor_and_the_last_page_need_no_key() -> None:
    nothing = CursorCodec(lambda: pytest.fail("the key was asked for"), purpose="scenes")
    assert nothing.seal(None, binding=LISTING) is None
    assert nothing.open(None, binding=LISTING, expected_keys=EXPECTED) is None
    assert nothing.open("", binding=LISTING, expected_keys=EXPECTED) is None


def test_a_cursor_reveals_nothing_of_the_tables_keys() -> None:
    cursor = sealed()
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for text in (b"PK", b"SCENE#", b"SCENES", b"GSI1", b"conference", b"cdcnf"):
        assert text not in raw
    assert cursor.isascii() and "=" not in cursor


def test_the_same_key_seals_to_a_different_cursor_each_time() -> None:
    assert sealed() != sealed()


@pytest.mark.parametrize("position", [0, 1, 5, 20, -1])
def test_a_cursor_with_one_character_changed_is_refused(position: int) -> None:
    cursor = sealed()
    at = position % len(cursor)
    changed = cursor[:at] + ("A" if cursor[at] != "A" else "B") + cursor[at + 1 :]
    problem = refused(changed)
    assert (problem.status, problem.field, problem.location) == (400, "cursor", "query")


@pytest.mark.parametrize("keep", [1, 10, 30, -4, -1])
def test_a_truncated_cursor_is_refused(keep: int) -> None:
    refused(sealed()[:keep])


def test_a_re_encoded_cursor_is_refused() -> None:
    cursor = sealed()
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for spelling in (
        base64.b64encode(raw).decode(),  # standard alphabet, padded
        base64.urlsafe_b64encode(raw).decode(),  # padded
        cursor + "==",
        " " + cursor,
        raw.hex(),
    ):
        if spelling != cursor:
            refused(spelling)


@pytest.mark.parametrize(
    "forged",
    [
        "eyJQSyI6IDF9",  # base64 of {"PK": 1}, what a cursor used to look like
        base64.urlsafe_b64encode(b'{"PK":{"S":"SCENE#x"},"SK":{"S":"SCENE"}}').decode().rstrip("="),
        "A" * 200,
        "AQ" + "A" * 60,
        "!!!!",
        "x",
        "a" * 2049,
    ],
)
def test_a_forged_cursor_is_refused(forged: str) -> None:
    refused(forged)


def test_a_cursor_sealed_under_another_key_is_refused() -> None:
    refused(sealed(), key="o" * 43)


@pytest.mark.parametrize("other", [("", ""), ("hotel", ""), ("conference", "panda"), ("", "conference")])
def test_a_cursor_of_another_listing_is_refused(other: tuple[str, str]) -> None:
    refused(sealed(), binding=other)


def test_a_cursor_of_another_kind_of_listing_is_refused() -> None:
    other = CursorCodec(lambda: KEY, purpose="retirements").seal(LAST_KEY, binding=LISTING)
    assert other is not None
    refused(other)


def test_a_short_cursor_key_is_a_503_naming_it() -> None:
    with pytest.raises(NotConfigured, match="cursor-key"):
        codec("short").seal(LAST_KEY, binding=LISTING)
