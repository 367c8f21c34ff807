"""A local HTTP gateway that behaves like API Gateway's HTTP API (payload format 2.0).

Routes come from the API definition the SAM transform generates from template.yaml; each request
becomes a 2.0 event (with the X-Forwarded-* headers API Gateway adds) and is passed to the
function's execution environments (infrastructure/local/functions.py), which load the built
layer and run the real ``lambda_handler``.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infrastructure import template
from infrastructure.local.functions import InvocationError, LambdaFunction
from infrastructure.template import Route

MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's own limit
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/xml",
    "image/svg+xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


class _Server(ThreadingHTTPServer):
    # The standard backlog of 5 resets connections when many clients connect at once.
    request_queue_size = 256
    daemon_threads = True


class Gateway:
    def __init__(
        self,
        routes: list[Route],
        functions: dict[str, LambdaFunction],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        quiet: bool = False,
    ) -> None:
        self.routes = sorted(routes, key=lambda r: r.specificity)
        self.functions = functions
        self.quiet = quiet
        self.server = _Server((host, port), self._handler_class())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gateway:
        self._thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:  # shutdown() waits for serve_forever, which only a started gateway runs
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        return match(self.routes, method, path)

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, client_ip: str
    ) -> tuple[int, dict[str, str], list[str], bytes]:
        url = urlsplit(target)
        path = url.path or "/"
        matched = self.match(method, path)
        if matched is None:
            return _json(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        route, path_params = matched
        headers = {
            **headers,
            "x-forwarded-for": client_ip,
            "x-forwarded-proto": "http",
            "x-forwarded-port": str(self.port),
        }
        event = build_event(route, method, url.path, url.query, headers, body, client_ip, path_params)
        return self.invoke(route.function, event)

    def invoke(self, function: str, event: dict[str, Any]) -> tuple[int, dict[str, str], list[str], bytes]:
        """What API Gateway answers for an event sent to a function's integration."""
        try:
            result = self.functions[function].invoke(event)
        except InvocationError as exc:  # a failed invocation is a 500 from API Gateway too
            if not self.quiet:
                print(f"gateway: {function} failed: {exc}", file=sys.stderr)
            return _json(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Internal Server Error"})
        return parse_result(result)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "local-gateway"
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_PAYLOAD:
                    self._write(
                        *_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "Request Entity Too Large"})
                    )
                    self.close_connection = True
                    return
                body = self.rfile.read(length) if length else b""
                headers: dict[str, str] = {}
                for name, value in self.headers.items():
                    key = name.lower()
                    headers[key] = f"{headers[key]},{value}" if key in headers else value
                self._write(*gateway.handle(self.command, self.path, headers, body, self.client_address[0]))

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

            def _write(self, status: int, headers: dict[str, str], cookies: list[str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                        self.send_header(name, value)
                for cookie in cookies:
                    self.send_header("Set-Cookie", cookie)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                if not gateway.quiet:
                    sys.stderr.write(f"gateway: {self.address_string()} {format % args}\n")

        return Handler


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The most specific route for a request, as API Gateway chooses it."""
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def event_for(
    method: str,
    target: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    client_ip: str = "127.0.0.1",
) -> tuple[Route, dict[str, Any]]:
    """The event API Gateway would send for a request, and the route it would pick."""
    url = urlsplit(target)
    matched = match(template.routes(), method, url.path)
    if matched is None:
        raise LookupError(f"no route for {method} {url.path}")
    route, params = matched
    return route, build_event(
        route, method, url.path, url.query, dict(headers or {}), body, client_ip, params
    )


def build_event(
    route: Route,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    client_ip: str,
    path_params: dict[str, str],
) -> dict[str, Any]:
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    content_type = headers.get("content-type", "")
    text = not body or content_type.startswith(_TEXT_TYPES)
    try:
        decoded = body.decode("utf-8") if text else None
    except UnicodeDecodeError:
        decoded = None
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": decoded is None,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if body:
        event["body"] = decoded if decoded is not None else base64.b64encode(body).decode()
    return event


def parse_result(result: Any) -> tuple[int, dict[str, str], list[str], bytes]:
    """Payload 2.0 responses: a dict with statusCode, or any JSON value meaning 200."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return _json(HTTPStatus.OK, result)
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    return int(result["statusCode"]), headers, list(result.get("cookies") or []), body


def _json(status: int, value: Any) -> tuple[int, dict[str, str], list[str], bytes]:
    return int(status), {"Content-Type": "application/json"}, [], json.dumps(value).encode()
