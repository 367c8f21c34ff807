"""`make smoke BASE_URL=https://…`: checks a deployed stack right after `sam deploy`.

Read-only checks of every public route, then one complete journey on a sandbox stack: a small
footprint, an order, the sandbox's test payment, the certificate (checked offline against the
published keys too) and the leaderboard. On a stack that takes real payments it buys nothing.
Exit status 0 when every check passes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode

# Routes behind an organizer key or an order token: checked by the journey, or not at all.
NEEDS_AUTH = frozenset(
    {
        ("GET", "/v1/scenes/{scene_id}/report"),
        ("GET", "/v1/scenes/{scene_id}/held"),
        ("GET", "/organizer/scenes/new"),
        ("GET", "/organizer/scenes"),
        ("GET", "/organizer/scenes/{scene_id}"),
        ("GET", "/organizer/scenes/{scene_id}/report.csv"),
        ("GET", "/organizer/scenes/{scene_id}/neutralize"),
    }
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Smoke:
    base: str
    out: Any = sys.stdout
    failures: int = 0
    covered: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirects
        )

    def request(
        self,
        method: str,
        path: str,
        route: str,
        *,
        expect: int | tuple[int, ...] = 200,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        check: str | None = None,
    ) -> Answer:
        """One request; `route` is the template's path it exercises, `check` a content type or 'png'."""
        self.covered.add((method, route))
        started = time.perf_counter()
        # the base is checked to be an http(s) origin before any request
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self._opener.open(req, timeout=30) as resp:
                answer = Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as err:
            answer = Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())
        except OSError as exc:
            answer = Answer(0, {}, str(exc).encode())
        ms = (time.perf_counter() - started) * 1000
        expected = (expect,) if isinstance(expect, int) else expect
        problem = None if answer.status in expected else f"answered {answer.status}, expected {expected}"
        content_type = answer.headers.get("content-type", "")
        if problem is None and check == "png" and not answer.body.startswith(b"\x89PNG"):
            problem = "not a PNG"
        elif problem is None and check and check != "png" and not content_type.startswith(check):
            problem = f"content type {content_type!r}, expected {check}"
        if (
            problem is None
            and content_type.startswith("text/html")
            and "content-security-policy" not in answer.headers
        ):
            problem = "a page without its Content-Security-Policy"
        self.report(problem is None, f"{method} {path} {answer.status} {ms:.0f} ms", problem)
        return answer

    def report(self, ok: bool, what: str, problem: str | None = None) -> None:
        self.failures += not ok
        print(
            f"{'ok  ' if ok else 'FAIL'} {what}{'' if ok else ': ' + str(problem)}", file=self.out, flush=True
        )

    def get_json(self, path: str, route: str, **kw: Any) -> Any:
        answer = self.request("GET", path, route, check="application/json", **kw)
        return answer.json() if answer.status == 200 else {}

    # ---- the checks ----

    def read_only(self) -> dict[str, Any]:
        self.request("GET", "/", "/", check="text/html")
        self.request("GET", "/life", "/life", check="text/html")
        self.request("GET", "/methodology", "/methodology", check="text/html")
        # whatever no route matches: a page for people (API Gateway's $default route)
        self.request(
            "GET", "/no-such-page", "$default", expect=404, headers={"Accept": "text/html"}, check="text/html"
        )
        self.covered.add(("ANY", "$default"))
        self.request("GET", "/organizer", "/organizer", check="text/html")
        self.request("GET", "/static/app.css", "/static/{name}", check="text/css")
        openapi = self.get_json("/v1/openapi.json", "/v1/openapi.json")
        self.report("/v1/orders" in openapi.get("paths", {}), "the OpenAPI document lists the API")
        self.get_json("/v1/factor-sets/current", "/v1/factor-sets/{version}")
        providers = self.get_json("/v1/payments/providers", "/v1/payments/providers")
        projects = self.get_json("/v1/projects", "/v1/projects").get("items", [])
        keys = self.get_json("/.well-known/certificate-keys.json", "/.well-known/certificate-keys.json")
        self.report(bool(keys.get("keys")), "the certificate keys are published")
        self.get_json("/v1/leaderboards/global", "/v1/leaderboards/{board}")
        self.request("GET", "/leaderboard/global", "/leaderboard/{board}", check="text/html")
        missing = self.request(
            "GET",
            "/v1/footprints/fp_smoke0000000000000000",
            "/v1/footprints/{footprint_id}",
            expect=404,
            check="application/problem+json",
        )
        self.report(missing.status == 404, "unknown resources answer problem+json")
        # WeChat's OpenID step returns here; without the order's token it is a page saying not found
        self.request(
            "GET",
            "/checkout/ord_smoke0000000000000000/wechat?code=x&state=y",
            "/checkout/{order_id}/wechat",
            expect=404,
            check="text/html",
        )
        self.get_json("/v1/retirements?limit=5", "/v1/retirements")
        self.request("GET", "/registry", "/registry", check="text/html")
        if projects:
            pid = projects[0]["project_id"]
            self.request("GET", f"/projects/{pid}", "/projects/{project_id}", check="text/html")
        scenes = self.get_json("/v1/scenes", "/v1/scenes").get("items", [])
        if scenes:
            self.scene(scenes[0]["scene_id"])
        else:
            self.report(
                True, "no scenes yet: the scene pages are not checked (create one with POST /v1/scenes)"
            )
        return {"provider": providers.get("default"), "projects": projects}

    def scene(self, sid: str) -> None:
        self.get_json(f"/v1/scenes/{sid}", "/v1/scenes/{scene_id}")
        self.request("GET", f"/s/{sid}", "/s/{scene_id}", check="text/html")
        self.request("GET", f"/v1/scenes/{sid}/qr.png", "/v1/scenes/{scene_id}/qr.png", check="png")
        self.request("GET", f"/v1/scenes/{sid}/qr.svg", "/v1/scenes/{scene_id}/qr.svg", check="image/svg+xml")
        self.request("GET", f"/v1/scenes/{sid}/poster", "/v1/scenes/{scene_id}/poster", check="text/html")
        self.get_json(f"/v1/scenes/{sid}/rating", "/v1/scenes/{scene_id}/rating")
        self.get_json(f"/v1/leaderboards/scene:{sid}", "/v1/leaderboards/{board}")
        self.request("GET", f"/leaderboard/scene:{sid}", "/leaderboard/{board}", check="text/html")

    def journey(self, projects: list[dict[str, Any]]) -> None:
        """A footprint neutralized with the sandbox's test payment, down to the verified certificate."""
        created = self.request(
            "POST",
            "/v1/footprints",
            "/v1/footprints",
            expect=201,
            check="application/json",
            body=json.dumps(
                {
                    "kind": "life",
                    "period": "month",
                    "activities": [{"type": "meal", "count": 1, "diet": "vegan"}],
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        if created.status != 201:
            return
        fid = created.json()["footprint_id"]
        self.get_json(f"/v1/footprints/{fid}", "/v1/footprints/{footprint_id}")
        self.request("GET", f"/f/{fid}", "/f/{footprint_id}", check="text/html")
        self.request("GET", f"/neutralize/{fid}", "/neutralize/{footprint_id}", check="text/html")
        usable = [p for p in projects if p.get("available_kg", 0) >= 10]
        if not usable:
            self.report(
                False, "no project has credits to sell", "import issuance first (admin import-issuance)"
            )
            return
        order = self.order({"footprint_id": fid, "project_id": usable[0]["project_id"]})
        if order.status != 201:
            return
        oid, token = order.json()["order_id"], order.json()["order_token"]
        checkout = self.request(
            "GET", f"/checkout/{oid}?token={token}", "/checkout/{order_id}", check="text/html"
        )
        found = re.search(rb'name="csrf" value="([^"]+)"', checkout.body)
        if not found:
            self.report(False, "the sandbox checkout offers its test payment", "no payment form")
            return
        self.request(
            "POST",
            f"/checkout/{oid}/pay",
            "/checkout/{order_id}/pay",
            expect=303,
            body=urlencode({"csrf": found.group(1).decode(), "token": token}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        paid = self.get_json(
            f"/v1/orders/{oid}", "/v1/orders/{order_id}", headers={"Authorization": f"Bearer {token}"}
        )
        self.report(
            paid.get("status") == "retired", "the test payment retired the credits", paid.get("status")
        )
        cid = paid.get("certificate_id")
        if cid:
            self.certificate(cid)
        self.cancelling(usable[0]["project_id"])

    def order(self, body: dict[str, Any]) -> Answer:
        """An order for the smoke test's own hidden beneficiary."""
        return self.request(
            "POST",
            "/v1/orders",
            "/v1/orders",
            expect=201,
            check="application/json",
            body=json.dumps({**body, "beneficiary": {"name": "Smoke test", "hidden": True}}).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": f"smoke-{time.time_ns()}"},
        )

    def cancelling(self, project_id: str) -> None:
        """An unpaid 1 kg order cancelled from its checkout page, then again through the API."""
        order = self.order({"quantity_kg": 1, "project_id": project_id})
        if order.status != 201:
            return
        oid, token = order.json()["order_id"], order.json()["order_token"]
        checkout = self.request(
            "GET", f"/checkout/{oid}?token={token}", "/checkout/{order_id}", check="text/html"
        )
        found = re.search(
            rb'action="/checkout/[^/]+/cancel[^"]*".*?name="csrf" value="([^"]+)"', checkout.body, re.S
        )
        if not found:
            self.report(False, "the checkout page offers to cancel an unpaid order", "no cancel form")
            return
        self.request(
            "POST",
            f"/checkout/{oid}/cancel",
            "/checkout/{order_id}/cancel",
            expect=303,
            body=urlencode({"csrf": found.group(1).decode(), "token": token}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        again = self.request(
            "POST",
            f"/v1/orders/{oid}/cancel",
            "/v1/orders/{order_id}/cancel",
            check="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        status = str(again.json().get("status") if again.status == 200 else again.status)
        self.report(
            status == "cancelled",
            "an unpaid order is cancelled, and cancelling again changes nothing",
            status,
        )

    def certificate(self, cid: str) -> None:
        cert = self.get_json(f"/v1/certificates/{cid}", "/v1/certificates/{certificate_id}")
        verified = self.get_json(f"/v1/certificates/{cid}/verify", "/v1/certificates/{certificate_id}/verify")
        self.report(
            verified.get("valid") is True and verified.get("retired_in_ledger") is True,
            "the certificate verifies and its serials are retired",
            verified,
        )
        self.request(
            "GET",
            f"/v1/certificates/{cid}/image.png",
            "/v1/certificates/{certificate_id}/image.png",
            check="png",
        )
        self.request(
            "GET",
            f"/v1/certificates/{cid}/card.png",
            "/v1/certificates/{certificate_id}/card.png",
            check="png",
        )
        self.request("GET", f"/c/{cid}", "/c/{certificate_id}", check="text/html")
        self.request("GET", f"/c/{cid}/verify", "/c/{certificate_id}/verify", check="text/html")
        keys = self.get_json("/.well-known/certificate-keys.json", "/.well-known/certificate-keys.json")
        try:
            from carbonneutral.certify.keys import verify

            valid, why = verify(cert, keys)
        except ImportError:  # run outside the project: the endpoint's verdict stands
            valid, why = True, "not checked offline"
        self.report(valid, "the certificate's signature checks offline with the published keys", why)
        self.registry(cert)

    def registry(self, cert: dict[str, Any]) -> None:
        """The certificate's project's chain, checked offline from its export, head and the keys."""
        pid = cert.get("project_id", "")
        export = self.request(
            "GET", f"/v1/projects/{pid}/registry.jsonl", "/v1/projects/{project_id}/registry.jsonl"
        )
        head = self.request(
            "GET",
            f"/v1/projects/{pid}/registry/head",
            "/v1/projects/{project_id}/registry/head",
            check="application/json",
        )
        keys = self.request("GET", "/.well-known/certificate-keys.json", "/.well-known/certificate-keys.json")
        try:
            from carbonneutral.certify.check_registry import problems_of

            problems, count = problems_of(
                export.body.decode(), head.body.decode(), keys.body.decode(), json.dumps(cert)
            )
            why = "; ".join(problems) or f"{count} records"
        except ImportError:  # run outside the project: not checked offline
            problems, why = [], "not checked offline"
        self.report(
            not problems, "the project's registry chain and the certificate's record check out offline", why
        )

    def board_entry(self) -> None:
        entries = self.get_json("/v1/leaderboards/global", "/v1/leaderboards/{board}").get("entries", [])
        if not entries:
            self.report(True, "no leaderboard entries yet: an entry's rank is not checked")
            return
        route = "/v1/leaderboards/{board}/entries/{entry_id}"
        shown = [e for e in entries if not e.get("hidden")]
        hidden = [e for e in entries if e.get("hidden")]
        if shown:  # the first entry with a name has the rank the board shows it at
            ranked = self.get_json(f"/v1/leaderboards/global/entries/{shown[0]['entry_id']}", route)
            self.report(
                ranked.get("entry", {}).get("rank") == shown[0]["rank"],
                "an entry's own rank is the board's",
                ranked.get("entry"),
            )
        if hidden:  # a hidden entry is not served by its id (this check's own order is hidden)
            self.request(
                "GET",
                f"/v1/leaderboards/global/entries/{hidden[0]['entry_id']}",
                route,
                expect=404,
                check="application/problem+json",
            )


def run(base: str, out: Any = sys.stdout) -> Smoke:
    smoke = Smoke(base, out)
    found = smoke.read_only()
    if found["provider"] == "sandbox":
        smoke.journey(found["projects"])
    else:
        print(
            f"skip the purchase journey: this stack takes real payments ({found['provider']}); nothing was bought",
            file=out,
        )
    smoke.board_entry()
    return smoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base_url", help="the stack's PagesUrl output, e.g. https://abc123.execute-api…")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"https?://[^/\s]+", args.base_url.rstrip("/")):
        print(
            "BASE_URL must be an origin such as https://abc.execute-api.us-east-1.amazonaws.com",
            file=sys.stderr,
        )
        return 2
    smoke = run(args.base_url)
    print(f"smoke: {'all checks passed' if not smoke.failures else f'{smoke.failures} checks failed'}")
    return 1 if smoke.failures else 0


if __name__ == "__main__":
    sys.exit(main())
