"""The resolver every function uses: validation on, problem+json errors, bounded bodies."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from carbonneutral.errors import InvalidInput
from carbonneutral.settings import get_settings
from carbonneutral.web import problems

_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
HSTS = "max-age=31536000; includeSubDomains"


def over_https(forwarded_proto: str | None) -> bool:
    """Whether a request came over HTTPS, by API Gateway's X-Forwarded-Proto (always there on AWS,
    where it is https; the local gateway on 127.0.0.1 says http)."""
    return (forwarded_proto or "https").split(",")[0].strip().lower() != "http"


def public_origin(event: Any) -> str:
    """The origin pages, QR codes and certificates point to: the stack's PublicBaseUrl (a custom
    domain) when it has one, else the domain this request came to, as API Gateway reports it."""
    configured = get_settings().public_base_url
    if configured:
        return configured
    domain = str(event.request_context.domain_name or "")
    if not _HOST.fullmatch(domain):
        raise InvalidInput("the request has no usable host", field="host", location="header")
    return f"{'https' if over_https(event.headers.get('x-forwarded-proto')) else 'http'}://{domain}"


class ApiRouter(APIGatewayHttpRouter):
    """The routes of one concern (a function's api.py or pages.py), included into its resolver."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' Router.__init__ has no annotations

    def base_url(self) -> str:
        return public_origin(self.current_event)

    def client_ip(self) -> str:
        return str(self.current_event.request_context.http.source_ip)


class ApiResolver(APIGatewayHttpResolver):
    """APIGatewayHttpResolver that refuses oversized bodies before parsing them, and the one place
    every answer passes: over HTTPS each gets HSTS and each of its cookies is Secure."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        result = self._answer(event, context)
        headers = event.get("headers") or {}
        proto = next((str(v) for k, v in headers.items() if k.lower() == "x-forwarded-proto"), None)
        if over_https(proto):
            _secure(result)
        encodings = next((str(v) for k, v in headers.items() if k.lower() == "accept-encoding"), "")
        return compressed(result, encodings)

    def _answer(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        limit = get_settings().max_body_bytes
        body = event.get("body") or ""
        size = (
            len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8", "surrogatepass"))
        )
        if size > limit:
            return _raw_problem(
                413,
                "payload-too-large",
                "The request body is too large",
                f"The body may hold at most {limit} bytes",
            )
        if event.get("isBase64Encoded") and body:
            try:
                base64.b64decode(body, validate=True).decode("utf-8")
            except ValueError:
                return _raw_problem(400, "bad-request", "Bad request", "The body is not valid UTF-8")
        return super().resolve(event, context)


# Text worth compressing: pages, styles, JSON and SVG. Small answers gain nothing from gzip.
_COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/problem+json",
    "image/svg+xml",
    "application/x-ndjson",
)
MIN_COMPRESS_BYTES = 1024


def accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in {"gzip", "*"}:
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def compressed(result: dict[str, Any], accept_encoding: str) -> dict[str, Any]:
    """The answer gzipped when the client accepts it (API Gateway's HTTP API passes it through)."""
    headers = result.get("headers") or {}
    content_type = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    if result.get("isBase64Encoded") or not content_type.startswith(_COMPRESSIBLE):
        return result
    result["headers"] = headers = {**headers, "Vary": "Accept-Encoding"}
    body = str(result.get("body") or "").encode("utf-8")
    if len(body) < MIN_COMPRESS_BYTES or not accepts_gzip(accept_encoding):
        return result
    import gzip

    headers["Content-Encoding"] = "gzip"
    result["body"] = base64.b64encode(gzip.compress(body, compresslevel=6, mtime=0)).decode("ascii")
    result["isBase64Encoded"] = True
    return result


def _secure(result: dict[str, Any]) -> None:
    """HSTS, and Secure on every cookie. Here rather than where each cookie is made: the pages'
    helpers do not see how the request came, and this sees every cookie of every function's pages."""
    result["headers"] = {**(result.get("headers") or {}), "Strict-Transport-Security": HSTS}
    cookies = result.get("cookies")
    if cookies:
        result["cookies"] = [
            cookie
            if any(part.strip().lower() == "secure" for part in str(cookie).split(";")[1:])
            else f"{cookie}; Secure"
            for cookie in cookies
        ]


def _raw_problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": problems.PROBLEM_JSON, "Cache-Control": "no-store"},
        "body": problems.problem_body(status, slug, title, detail),
        "isBase64Encoded": False,
    }


def create_app(*routers: ApiRouter) -> ApiResolver:
    """A function's resolver: validation on, problem+json errors, and its routers included."""
    app = ApiResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=["Idempotency-Key", "Authorization"], max_age=600),
        json_body_deserializer=problems.safe_json_loads,
    )
    problems.register(app)
    for router in routers:
        app.include_router(router)
    return app
