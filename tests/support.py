"""What tests use besides fixtures: a small HTTP client for the gateway, Chromium's flags, screenshots."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def _headers(message: Any) -> dict[str, str]:
    """Header names lowercased; repeated headers (Set-Cookie) joined by newlines."""
    joined: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        joined[key] = f"{joined[key]}\n{value}" if key in joined else value
    return joined


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # tests look at redirects themselves


_OPENER = urllib.request.build_opener(_NoRedirects)


class Http:
    """A tiny HTTP client for the gateway (urllib: no extra dependency); redirects are not followed."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with _OPENER.open(req, timeout=30) as resp:
                return HttpAnswer(resp.status, _headers(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return HttpAnswer(err.code, _headers(err.headers), err.read())

    def get(self, path: str, **kw: Any) -> HttpAnswer:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> HttpAnswer:
        return self.request("POST", path, **kw)


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

SCREENSHOTS = Path(__file__).resolve().parent.parent / ".local" / "screenshots"


def screenshot(page: Any, name: str) -> None:
    """Keeps a picture of a page state, and checks that state with axe-core: any violation fails."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert axe_violations(page) == [], name


AXE = Path(__file__).resolve().parent.parent / ".local" / "axe" / "package" / "axe.min.js"


def axe_violations(page: Any) -> list[Any]:
    """axe-core's violations on the page as it is now: (rule, impact, how many nodes, the first)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # DevTools' evaluate: the page's CSP allows it
    result: list[Any] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => [v.id, v.impact, v.nodes.length, v.nodes[0].target.join(' ')])"
    )
    return result


# The pages a visitor reaches without signing in, each checked in Chromium for weight, labels and
# tap targets.
PUBLIC_PAGES = (
    "/",
    "/s/cdcnf-2021",
    "/life",
    "/leaderboard/global",
    "/leaderboard/scene:cdcnf-2021",
    "/organizer",
    "/registry",
    "/projects/cdcer-sichuan-biogas",
    "/methodology",
)


def visible_text(page: str, lang: str) -> str:
    """The text a reader of `lang` sees: without scripts, styles, drawings, code, cited works (names
    of sources), people's names (<bdi>, isolated as user text is), and parts marked as another
    language (lang="…")."""
    from html.parser import HTMLParser

    skipped_tags = {"script", "style", "svg", "head", "code", "cite", "title", "bdi"}
    void = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col", "embed"}

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.stack: list[bool] = []  # for each open element: is its content skipped
            self.out: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in void:
                return
            other = any(name == "lang" and value and value != lang for name, value in attrs)
            self.stack.append(bool(self.stack and self.stack[-1]) or tag in skipped_tags or other)

        def handle_endtag(self, tag: str) -> None:
            if tag not in void and self.stack:
                self.stack.pop()

        def handle_data(self, data: str) -> None:
            if not (self.stack and self.stack[-1]):
                self.out.append(data)

    reader = Reader()
    reader.feed(page)
    return " ".join(" ".join(reader.out).split())
