"""Organizers' browser sessions through the organize function: the cookie holds a random session
id (never the key), sessions end on sign-out, on expiry and with their key; over HTTPS every
cookie is Secure and every answer carries HSTS, over plain HTTP neither."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from tests.journeys import make_key

pytestmark = pytest.mark.integration

HSTS = "max-age=31536000; includeSubDomains"
FORM = "application/x-www-form-urlencoded"


def set_cookies(answer) -> dict[str, str]:
    """Each Set-Cookie of an answer by cookie name: the whole header line."""
    lines = [line for line in answer.headers.get("set-cookie", "").split("\n") if line]
    return {line.split("=", 1)[0]: line for line in lines}


def value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


def attributes(line: str) -> set[str]:
    return {part.strip().lower() for part in line.split(";")[1:]}


def csrf(invoke, headers: dict[str, str] | None = None) -> str:
    page = invoke("GET", "/organizer?lang=en", headers=headers)
    return value(set_cookies(page)["csrf"])


def sign_in(invoke, key: str, headers: dict[str, str] | None = None):
    token = csrf(invoke, headers)
    return invoke(
        "POST",
        "/organizer?lang=en",
        body=urlencode({"csrf": token, "key": key}).encode(),
        headers={**(headers or {}), "content-type": FORM, "cookie": f"csrf={token}"},
    ), token


def session_of(answer) -> str:
    assert answer.status == 303, answer.body
    return value(set_cookies(answer)["organizer_session"])


def new_scene_page(invoke, cookie: str):
    return invoke("GET", "/organizer/scenes/new?lang=en", headers={"cookie": cookie})


def assert_signed_out(answer) -> None:
    assert answer.status == 303 and answer.headers["location"].startswith("/organizer?")


def session_item(stack, session_id: str) -> dict | None:
    key = {"PK": {"S": f"SESSION#{hashlib.sha256(session_id.encode()).hexdigest()}"}, "SK": {"S": "SESSION"}}
    return stack.dynamodb_client().get_item(TableName=stack.table, Key=key, ConsistentRead=True).get("Item")


@pytest.fixture
def key(stack, capsys) -> str:
    return make_key("session-org", capsys)


def test_the_session_cookie_holds_neither_the_key_nor_any_hash_of_it(invoke, stack, key: str) -> None:
    answer, _ = sign_in(invoke, key)
    session_id = session_of(answer)
    key_id, secret = key.split("_")[1], key.split("_", 2)[2]
    stored_key = stack.dynamodb_client().get_item(
        TableName=stack.table, Key={"PK": {"S": f"APIKEY#{key_id}"}, "SK": {"S": "APIKEY"}}
    )["Item"]["body"]["S"]
    everything_sent = answer.headers.get("set-cookie", "") + answer.headers.get("location", "")
    for part in (key, secret, key_id, *(hashlib.sha256(p.encode()).hexdigest() for p in (key, secret))):
        assert part not in everything_sent
    assert session_id not in stored_key
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id)
    line = set_cookies(answer)["organizer_session"]
    assert {"httponly", "samesite=strict", "path=/", "max-age=28800"} <= attributes(line)
    assert "secure" not in attributes(line)  # plain http on 127.0.0.1
    # the old cookie, which held the key itself, is cleared
    assert {"max-age=0", "path=/organizer"} <= attributes(set_cookies(answer)["org"])
    assert new_scene_page(invoke, f"organizer_session={session_id}").status == 200


def test_the_session_is_stored_by_the_hash_of_its_id_and_expires_in_eight_hours(
    invoke, stack, key: str
) -> None:
    before = datetime.now(UTC)
    session_id = session_of(sign_in(invoke, key)[0])
    item = session_item(stack, session_id)
    assert item is not None and session_id not in str(item)
    assert item["organizer_id"]["S"] == "session-org" and item["key_id"]["S"] == key.split("_")[1]
    expires_at = datetime.fromtimestamp(int(item["expires_at"]["N"]), UTC)  # the table's TTL attribute
    assert timedelta(hours=8) - timedelta(seconds=5) <= expires_at - before <= timedelta(hours=8, seconds=5)


@pytest.mark.parametrize(
    "cookie",
    [
        "organizer_session=" + secrets.token_urlsafe(32),  # a well-formed id never issued
        "organizer_session=not-a-session",
        "organizer_session=",
        "",
    ],
)
def test_a_session_never_issued_is_sent_to_sign_in(invoke, cookie: str) -> None:
    assert_signed_out(new_scene_page(invoke, cookie))


def test_the_key_itself_in_a_cookie_signs_nobody_in(invoke, key: str) -> None:
    for cookie in (f"org={key}", f"organizer_session={key}"):
        assert_signed_out(new_scene_page(invoke, cookie))


def test_signing_out_ends_the_session_and_clears_the_cookie(invoke, stack, key: str) -> None:
    answer, token = sign_in(invoke, key)
    session_id = session_of(answer)
    cookie = f"organizer_session={session_id}; csrf={token}"
    assert new_scene_page(invoke, cookie).status == 200
    assert 'action="/organizer/sign-out?lang=en"' in new_scene_page(invoke, cookie).text
    out = invoke(
        "POST",
        "/organizer/sign-out?lang=en",
        body=urlencode({"csrf": token}).encode(),
        headers={"content-type": FORM, "cookie": cookie},
    )
    assert out.status == 303 and out.headers["location"] == "/organizer?lang=en"
    cleared = set_cookies(out)["organizer_session"]
    assert value(cleared) == "" and {"max-age=0", "path=/"} <= attributes(cleared)
    assert session_item(stack, session_id) is None
    assert_signed_out(new_scene_page(invoke, cookie))  # the old cookie, sent again, no longer works


def test_signing_out_needs_the_forms_csrf_token(invoke, stack, key: str) -> None:
    answer, token = sign_in(invoke, key)
    session_id = session_of(answer)
    cookie = f"organizer_session={session_id}; csrf={token}"
    forged = invoke(
        "POST",
        "/organizer/sign-out?lang=en",
        body=urlencode({"csrf": "x" * 43}).encode(),
        headers={"content-type": FORM, "cookie": cookie},
    )
    assert forged.status == 303 and "organizer_session" not in set_cookies(forged)
    assert session_item(stack, session_id) is not None
    assert new_scene_page(invoke, cookie).status == 200


def test_signing_in_again_ends_the_browsers_earlier_session(invoke, stack, key: str) -> None:
    first = session_of(sign_in(invoke, key)[0])
    token = csrf(invoke)
    again = invoke(
        "POST",
        "/organizer?lang=en",
        body=urlencode({"csrf": token, "key": key}).encode(),
        headers={"content-type": FORM, "cookie": f"csrf={token}; organizer_session={first}"},
    )
    second = session_of(again)
    assert second != first and session_item(stack, first) is None
    assert new_scene_page(invoke, f"organizer_session={second}").status == 200


def write_session(stack, key: str, expires_at: datetime) -> str:
    """A session item as sign-in writes it, straight into the table."""
    session_id = secrets.token_urlsafe(32)
    item = {
        "PK": {"S": f"SESSION#{hashlib.sha256(session_id.encode()).hexdigest()}"},
        "SK": {"S": "SESSION"},
        "type": {"S": "organizer_session"},
        "v": {"N": "1"},
        "organizer_id": {"S": "session-org"},
        "key_id": {"S": key.split("_")[1]},
        "created_at": {"S": (expires_at - timedelta(hours=8)).isoformat()},
        "expires_at": {"N": str(int(expires_at.timestamp()))},
    }
    stack.dynamodb_client().put_item(TableName=stack.table, Item=item)
    return session_id


def test_an_expired_session_is_refused_though_its_item_and_cookie_remain(invoke, stack, key: str) -> None:
    now = datetime.now(UTC)
    live = write_session(stack, key, now + timedelta(minutes=5))
    assert new_scene_page(invoke, f"organizer_session={live}").status == 200
    expired = write_session(stack, key, now - timedelta(seconds=1))
    assert session_item(stack, expired) is not None  # DynamoDB's TTL deletes it late, if ever locally
    assert_signed_out(new_scene_page(invoke, f"organizer_session={expired}"))


def test_revoking_the_key_ends_its_sessions(invoke, stack, key: str) -> None:
    from infrastructure.admin import main

    session_id = session_of(sign_in(invoke, key)[0])
    assert new_scene_page(invoke, f"organizer_session={session_id}").status == 200
    assert main(["revoke-organizer-key", key.split("_")[1]]) == 0
    assert_signed_out(new_scene_page(invoke, f"organizer_session={session_id}"))


HTTPS = {"x-forwarded-proto": "https", "host": "neutral.example.org"}


def test_over_https_every_cookie_is_secure_and_hsts_is_sent(invoke, key: str) -> None:
    page = invoke("GET", "/organizer?lang=en", headers=HTTPS)
    answer, _ = sign_in(invoke, key, HTTPS)
    for each in (page, answer):
        assert each.headers["strict-transport-security"] == HSTS
        lines = set_cookies(each)
        assert lines and all("secure" in attributes(line) for line in lines.values()), lines
    assert {"csrf", "lang"} <= set(set_cookies(page))
    assert {"organizer_session", "org"} <= set(set_cookies(answer))


def test_over_plain_http_no_cookie_is_secure_and_no_hsts_is_sent(invoke, key: str) -> None:
    page = invoke("GET", "/organizer?lang=en")
    answer, _ = sign_in(invoke, key)
    for each in (page, answer):
        assert "strict-transport-security" not in each.headers
        assert all("secure" not in attributes(line) for line in set_cookies(each).values())


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/"),  # calculate's pages
        ("GET", "/v1/scenes?limit=1"),  # calculate's API
        ("GET", "/v1/projects"),  # purchase
        ("GET", "/leaderboard/global"),  # rank
        ("GET", "/.well-known/certificate-keys.json"),  # certify
        ("GET", "/v1/scenes/no-such-scene"),  # a problem
        ("POST", "/v1/scenes"),  # a 401
    ],
)
def test_every_function_sends_hsts_over_https_only(invoke, method: str, target: str) -> None:
    assert invoke(method, target, headers=HTTPS).headers.get("strict-transport-security") == HSTS
    assert "strict-transport-security" not in invoke(method, target).headers


def test_the_cookies_of_other_functions_pages_are_secure_over_https(invoke) -> None:
    footprint = invoke(
        "POST",
        "/v1/footprints",
        json_body={"kind": "life", "period": "month", "activities": [{"type": "meal", "count": 1}]},
    ).json()
    for target in (
        "/life?lang=en",
        f"/neutralize/{footprint['footprint_id']}?lang=en",
    ):  # calculate, purchase
        lines = set_cookies(invoke("GET", target, headers=HTTPS))
        assert "csrf" in lines and all("secure" in attributes(line) for line in lines.values()), lines
