"""The resolver every function uses: over HTTPS each answer has HSTS and each cookie is Secure;
over plain HTTP (the local gateway on 127.0.0.1) neither."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler import Response
from carbonneutral.web.api import ApiRouter, create_app, over_https
from carbonneutral.web.html import csrf_token, html, page_cookie, redirect

HSTS = "max-age=31536000; includeSubDomains"

router = ApiRouter()


@router.get("/page", include_in_schema=False)
def page() -> Response[str]:
    _, csrf = csrf_token(router.current_event)
    assert csrf is not None
    return html("<p>hi</p>", lang="en", cookies=[csrf, page_cookie("participant", "p" * 32, max_age=60)])


@router.get("/away", include_in_schema=False)
def away() -> Response[str]:
    return redirect("/page", cookies=[page_cookie("gone", "", max_age=0)])


@router.get("/json", include_in_schema=False)
def json_answer() -> dict[str, str]:
    return {"ok": "yes"}


APP = create_app(router)


def event(path: str, proto: str | None, body: str = "") -> dict[str, Any]:
    headers = {"host": "neutral.example.org"}
    if proto is not None:
        headers["x-forwarded-proto"] = proto
    return {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "domainName": "neutral.example.org",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
            "routeKey": f"GET {path}",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def attributes(cookie: str) -> list[str]:
    return [part.strip().lower() for part in cookie.split(";")[1:]]


@pytest.mark.parametrize("path", ["/page", "/away"])
def test_over_https_every_cookie_is_secure_once_and_hsts_is_sent(path: str) -> None:
    answer = APP.resolve(event(path, "https"), None)
    assert answer["headers"]["Strict-Transport-Security"] == HSTS
    assert answer["cookies"]
    assert all(attributes(c).count("secure") == 1 for c in answer["cookies"]), answer["cookies"]


@pytest.mark.parametrize("path", ["/page", "/away"])
def test_over_plain_http_no_cookie_is_secure_and_no_hsts_is_sent(path: str) -> None:
    answer = APP.resolve(event(path, "http"), None)
    assert "Strict-Transport-Security" not in answer["headers"]
    assert answer["cookies"] and not any("secure" in attributes(c) for c in answer["cookies"])


def test_json_answers_problems_and_refused_bodies_get_hsts_over_https_too() -> None:
    for answer in (
        APP.resolve(event("/json", "https"), None),
        APP.resolve(event("/nowhere", "https"), None),  # a 404 problem
        APP.resolve(event("/json", "https", body="x" * (64 * 1024 + 1)), None),  # refused before routing
    ):
        assert answer["headers"]["Strict-Transport-Security"] == HSTS


@pytest.mark.parametrize(
    ("proto", "https"),
    [
        ("https", True),
        ("HTTPS", True),
        ("https, http", True),
        ("http", False),
        ("http,https", False),
        (None, True),
    ],
)
def test_a_request_is_over_https_unless_api_gateway_says_http(proto: str | None, https: bool) -> None:
    assert over_https(proto) is https


def test_gzip_is_used_only_when_accepted_and_worth_it() -> None:
    import gzip

    from carbonneutral.web.api import accepts_gzip, compressed

    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("*") and accepts_gzip("br;q=1, GZIP;q=0.5")
    assert not accepts_gzip("") and not accepts_gzip("br") and not accepts_gzip("gzip;q=0")
    page = "<p>碳中和</p>" * 200
    answer = compressed({"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": page}, "gzip")
    assert answer["isBase64Encoded"] and answer["headers"]["Content-Encoding"] == "gzip"
    import base64

    assert gzip.decompress(base64.b64decode(answer["body"])).decode() == page
    small = compressed(
        {"statusCode": 200, "headers": {"Content-Type": "text/html"}, "body": "<p>ok</p>"}, "gzip"
    )
    assert "Content-Encoding" not in small["headers"] and small["headers"]["Vary"] == "Accept-Encoding"
    png = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": "AAAA",
        "isBase64Encoded": True,
    }
    assert compressed(dict(png), "gzip") == png
