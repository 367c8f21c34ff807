"""`make smoke` against the rehearsal: every public route, one sandbox purchase, zero failures."""

from __future__ import annotations

import io

import pytest

from infrastructure import smoke, template

pytestmark = pytest.mark.e2e


def test_smoke_passes_and_reaches_every_public_route(stack) -> None:
    out = io.StringIO()
    ran = smoke.run(stack.url, out)
    assert ran.failures == 0, out.getvalue()
    public = {(r.method, r.path) for r in template.routes()} - smoke.NEEDS_AUTH
    writes = {
        ("POST", p)
        for p in (
            "/v1/scenes",
            "/v1/scenes/{scene_id}/close",
            "/v1/scenes/{scene_id}/certificate",
            "/v1/scenes/{scene_id}/held/{order_id}/accept",
            "/organizer/scenes/{scene_id}/neutralize",
            "/organizer/scenes/{scene_id}/held/{order_id}/accept",
            "/organizer/scenes/{scene_id}/certificate",
            "/organizer",
            "/organizer/sign-out",
            "/organizer/scenes/new",
            "/s/{scene_id}",
            "/life",
            "/neutralize/{footprint_id}",
            "/v1/payments/{provider}/webhook",
        )
    } | {("PATCH", "/v1/scenes/{scene_id}")}
    assert public - writes <= ran.covered, sorted(public - writes - ran.covered)


def test_smoke_refuses_a_base_url_that_is_not_an_origin() -> None:
    assert smoke.main(["https://example.org/some/path"]) == 2
