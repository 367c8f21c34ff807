"""Shared fixtures. Services start on free loopback ports and stop when the session ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack
from tests.support import CHROMIUM_FLAGS, Http, HttpAnswer


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The local rehearsal of the deployed stack: DynamoDB Local (in memory), moto's S3 and SSM
    behind the IAM proxy, the built read-only functions and layer, demo data, and the gateway.
    Each function's log is in the session's temporary folder (function-logs*/<Function>.log)."""
    with pytest.MonkeyPatch.context() as mp:
        local = LocalStack(
            port=free_port(), data_dir=None, quiet=True, log_dir=tmp_path_factory.mktemp("function-logs")
        )
        try:
            local.start()
            for key, value in local.environ.items():
                mp.setenv(key, value)  # the admin's environment; undone when the session ends
            yield local
            # A function that called outside its role got AccessDenied, as on AWS; whichever test
            # made it, the session fails here too, so no such call goes unnoticed.
            denials = local.proxy.denials if local.proxy else []
            assert not denials, f"calls outside the functions' roles: {denials}"
        finally:
            local.stop()


@pytest.fixture(scope="session")
def http(stack: LocalStack) -> Http:
    return Http(stack.url)


class Lambda:
    """Sends a function the event API Gateway would send for a request, through its execution
    environment (the built layer, its role, its secrets), and reads the answer as API Gateway does."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack

    def __call__(
        self,
        method: str,
        target: str,
        *,
        json_body: Any = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        client_ip: str = "127.0.0.1",
    ) -> HttpAnswer:
        from infrastructure.local.gateway import event_for

        assert self.stack.gateway
        headers = {
            "host": f"127.0.0.1:{self.stack.gateway.port}",
            "x-forwarded-proto": "http",
            **{k.lower(): v for k, v in (headers or {}).items()},
        }
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("content-type", "application/json")
        route, event = event_for(method, target, body=body, headers=headers, client_ip=client_ip)
        status, out_headers, cookies, out_body = self.stack.gateway.invoke(route.function, event)
        headers = {k.lower(): v for k, v in out_headers.items()}
        if cookies:  # as the Http client joins repeated Set-Cookie headers
            headers["set-cookie"] = "\n".join(cookies)
        return HttpAnswer(status, headers, out_body)


@pytest.fixture(scope="session")
def invoke(stack: LocalStack) -> Lambda:
    return Lambda(stack)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, kept off the network but for loopback."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def phone(browser) -> Iterator[Any]:
    """A phone-sized page; console errors (CSP violations included) are collected."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
