"""An endpoint in front of DynamoDB Local and moto (S3, SSM) that holds each function to its role.

Functions get credentials that name their role. Every request is reduced to what IAM would check
(infrastructure/local/iam.py); a request the role does not allow is answered as AWS answers it
(AccessDeniedException, or S3's AccessDenied) and never reaches the service. As on AWS, S3 answers
a missing object with 403 instead of 404 when the caller may not list the bucket. Admin
credentials (the local stack's own set-up, tests, admin commands) pass unchecked.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from infrastructure.cloudformation import PARTITION
from infrastructure.local import iam

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([a-z0-9-]+)/aws4_request")
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade"}


@dataclass(frozen=True)
class Denial:
    principal: str
    action: str
    resource: str


@dataclass
class Fault:
    """An answer the service gives instead of doing the work, for the next `times` matching calls."""

    service: str
    action: str  # as IAM names it, e.g. dynamodb:GetItem
    status: int
    code: str
    times: int


@dataclass
class IamProxy:
    roles: dict[str, iam.Role]  # access key id -> role
    upstreams: dict[str, str]  # service (dynamodb, s3, ssm) -> base URL
    admin_keys: frozenset[str] = frozenset()
    denials: list[Denial] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # requests per (role name or "admin", operation), e.g. ("…-PurchaseFunctionRole-…", "ssm:GetParameters")
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    _server: ThreadingHTTPServer | None = None
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> IamProxy:
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self._server.serve_forever, name="iam-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ---- one request ----

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        found = _CREDENTIAL.search(headers.get("authorization", ""))
        if not found:
            return _error("sts", 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
        key, service = found.groups()
        if service not in self.upstreams:
            return _error(service, 400, "UnknownService", f"{service} is not rehearsed locally")
        role = self.roles.get(key)
        if role is None and key not in self.admin_keys:
            return _error(
                service,
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        url = urlsplit(target)
        asked = self._asked(service, method, url.path, url.query, headers, body)
        amz_target = headers.get("x-amz-target", "")
        operation = f"{service}:{amz_target.rsplit('.', 1)[-1]}" if amz_target else asked[0][0]
        with self._lock:
            self.calls[(role.name if role else "admin", operation)] += 1
        fault = self._fault(service, [action for action, _ in asked])
        if fault is not None:
            return _error(service, fault.status, fault.code, "injected by the local rehearsal")
        if role is not None:
            for action, resource in asked:
                if not role.allows(action, resource):
                    self.denials.append(Denial(role.name, action, resource))
                    message = (
                        f"User: {role.arn} is not authorized to perform: {action} on resource: {resource} "
                        f"because no identity-based policy allows the {action} action"
                    )
                    return _error(
                        service,
                        403 if service == "s3" else 400,
                        "AccessDenied" if service == "s3" else "AccessDeniedException",
                        message,
                    )
        status, out_headers, out_body = self._forward(service, method, target, headers, body)
        if (
            role is not None
            and service == "s3"
            and status == 404
            and method in ("GET", "HEAD")
            and "/" in url.path.lstrip("/")
            and not role.allows(
                "s3:ListBucket", f"arn:{PARTITION}:s3:::{url.path.lstrip('/').split('/', 1)[0]}"
            )
        ):
            return _error("s3", 403, "AccessDenied", "Access Denied")
        return status, out_headers, out_body

    def inject(self, service: str, action: str, code: str, *, status: int = 400, times: int = 1) -> None:
        """Makes the service fail the next `times` calls of `action` (throttling, outages)."""
        self.faults.append(Fault(service, action, status, code, times))

    def _fault(self, service: str, actions: list[str]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.service == service and fault.action in actions and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    @staticmethod
    def _asked(
        service: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> list[tuple[str, str]]:
        if service == "dynamodb":
            return iam.dynamodb_requests(headers.get("x-amz-target", ""), body)
        if service == "ssm":
            return iam.ssm_requests(headers.get("x-amz-target", ""), body)
        return iam.s3_requests(method, path, query, headers)

    def _forward(
        self, service: str, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        upstream = urlsplit(self.upstreams[service])
        connections = self._local.__dict__.setdefault("connections", {})
        sent = {k: v for k, v in headers.items() if k not in _HOP and k != "host"}
        sent["host"], sent["content-length"] = upstream.netloc, str(len(body))
        for attempt in (1, 2):  # a kept-alive connection the upstream closed is opened again once
            conn = connections.get(upstream.netloc)
            if conn is None:
                conn = connections[upstream.netloc] = http.client.HTTPConnection(upstream.netloc, timeout=30)
            try:
                conn.request(method, target, body=body, headers=sent)
                answer = conn.getresponse()
                data = answer.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                connections.pop(upstream.netloc, None)
                if attempt == 2:
                    raise
                continue
            return (
                answer.status,
                {k.lower(): v for k, v in answer.getheaders() if k.lower() not in _HOP},
                data,
            )
        raise AssertionError("unreachable")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    body = _read_chunked(self.rfile)
                else:
                    body = self.rfile.read(int(headers.get("content-length") or 0))
                try:
                    status, out_headers, data = proxy.handle(self.command, self.path, headers, body)
                except Exception as exc:  # noqa: BLE001 - the service is unreachable: a 503 like AWS's
                    print(f"iam-proxy: {type(exc).__name__}: {exc}", file=sys.stderr)
                    status, out_headers, data = _error(
                        "proxy", 503, "ServiceUnavailable", "upstream unreachable"
                    )
                self.send_response(status)
                for name, value in out_headers.items():
                    if name != "content-length":
                        self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


def _read_chunked(stream: Any) -> bytes:
    data = b""
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass
            return data
        data += stream.read(size)
        stream.readline()


def _error(service: str, status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    if service == "s3":
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
        return status, {"content-type": "application/xml"}, body.encode()
    if service == "dynamodb":
        payload = {"__type": f"com.amazon.coral.service#{code}", "Message": message}
        return status, {"content-type": "application/x-amz-json-1.0"}, json.dumps(payload).encode()
    return (
        status,
        {"content-type": "application/x-amz-json-1.1"},
        json.dumps({"__type": code, "message": message}).encode(),
    )
