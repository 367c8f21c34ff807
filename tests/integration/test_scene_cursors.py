"""GET /v1/scenes page by page through the calculate function: cursors are sealed, reveal no key
of the table, and any cursor this listing did not issue is a 400 naming it, never a 500."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from carbonneutral.store.cursors import CursorCodec

pytestmark = pytest.mark.integration

A_REAL_KEY = {
    "PK": {"S": "SCENE#cdcnf-2021"},
    "SK": {"S": "SCENE"},
    "GSI1PK": {"S": "SCENES"},
    "GSI1SK": {"S": "conference#cdcnf-2021"},
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def listing(invoke, query: str) -> dict:
    answer = invoke("GET", f"/v1/scenes?{query}")
    assert answer.status == 200, answer.body
    return answer.json()


def first_cursor(invoke, query: str = "limit=1") -> str:
    cursor = listing(invoke, query)["cursor"]
    assert cursor
    return str(cursor)


def assert_refused(answer) -> None:
    assert answer.status == 400, answer.body
    assert answer.content_type == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/problems/invalid-cursor"
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("cursor", "query")]


@pytest.mark.parametrize("query", ["", "kind=restaurant", "q=chengdu"])
def test_pages_cover_the_listing_once_and_in_order(invoke, query: str) -> None:
    everything = [s["scene_id"] for s in listing(invoke, f"limit=100&{query}")["items"]]
    seen: list[str] = []
    cursor = None
    while True:
        page = listing(invoke, f"limit=1&{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["items"]) <= 1
        seen += [s["scene_id"] for s in page["items"]]
        cursor = page.get("cursor")
        if not cursor:
            break
    assert seen == everything and everything


def test_a_cursor_reveals_nothing_of_the_tables_keys(invoke) -> None:
    cursor = first_cursor(invoke)
    raw = unb64(cursor)
    for text in (b"PK", b"SK", b"SCENE#", b"SCENES", b"GSI1"):
        assert text not in raw
    assert cursor.replace("-", "").replace("_", "").isalnum()  # safe in a URL as it is


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda c: b64(json.dumps(A_REAL_KEY).encode()), id="the-old-plain-form-of-a-real-key"),
        pytest.param(
            lambda c: b64(json.dumps({**A_REAL_KEY, "GSI1PK": {"S": "NOT-THE-CATALOGUE"}}).encode()),
            id="a-crafted-key-dynamodb-refuses",
        ),
        pytest.param(lambda c: "eyJQSyI6IDF9", id="base64-json"),
        pytest.param(lambda c: c[: len(c) // 2], id="truncated"),
        pytest.param(lambda c: c[:-1], id="last-character-cut"),
        pytest.param(lambda c: c[:12] + ("A" if c[12] != "A" else "B") + c[13:], id="one-character-changed"),
        pytest.param(lambda c: base64.b64encode(unb64(c)).decode(), id="re-encoded-standard-padded"),
        pytest.param(lambda c: c + "==", id="re-encoded-padded"),
        pytest.param(lambda c: c + "A", id="lengthened"),
        pytest.param(lambda c: "%00%ff" + c, id="binary"),
        pytest.param(lambda c: "x" * 2048, id="long-garbage"),
    ],
)
def test_a_tampered_or_forged_cursor_is_a_400_naming_it(invoke, forge) -> None:
    forged = forge(first_cursor(invoke))
    target = f"/v1/scenes?limit=1&cursor={forged if '%' in forged else quote(forged, safe='')}"
    assert_refused(invoke("GET", target))


def test_a_cursor_sealed_under_another_key_is_a_400(invoke) -> None:
    other = CursorCodec(lambda: "another-stack-" + "k" * 40, purpose="scenes").seal(
        A_REAL_KEY, binding=("", "")
    )
    assert_refused(invoke("GET", f"/v1/scenes?limit=1&cursor={other}"))


@pytest.mark.parametrize(
    ("issued_for", "used_on"),
    [
        ("kind=conference", ""),
        ("", "kind=conference"),
        ("kind=restaurant", "kind=hotel"),
        ("q=chengdu", "q=panda"),
        ("q=chengdu", ""),
    ],
)
def test_a_cursor_of_another_listing_is_a_400(invoke, issued_for: str, used_on: str) -> None:
    cursor = first_cursor(invoke, f"limit=1&{issued_for}")
    assert_refused(invoke("GET", f"/v1/scenes?limit=1&{used_on}&cursor={cursor}"))


def test_the_limit_may_change_from_page_to_page(invoke) -> None:
    cursor = first_cursor(invoke, "limit=1")
    assert listing(invoke, f"limit=3&cursor={cursor}")["items"]
