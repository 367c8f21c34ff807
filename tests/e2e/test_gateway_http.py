"""The API over HTTP through the local gateway, as a web client sees it."""

from __future__ import annotations

import json

import pytest

from tests.factories import DEMO_FOOTPRINT

pytestmark = pytest.mark.e2e


def test_the_design_example_footprint_round_trips_over_http(http) -> None:
    created = http.post("/v1/footprints", json_body=DEMO_FOOTPRINT)
    assert created.status == 201
    footprint = created.json()
    fetched = http.get(f"/v1/footprints/{footprint['footprint_id']}")
    assert fetched.status == 200 and fetched.json() == footprint
    assert fetched.content_type == "application/json"


def test_scene_catalogue_lists_the_demo_scenes(http) -> None:
    items = http.get("/v1/scenes").json()["items"]
    assert "cdcnf-2021" in {s["scene_id"] for s in items}
    first = http.get("/v1/scenes?limit=1").json()
    second = http.get(f"/v1/scenes?limit=1&cursor={first['cursor']}").json()
    assert first["items"][0]["scene_id"] != second["items"][0]["scene_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {**DEMO_FOOTPRINT, "activities": [{"type": "flight", "from": "ZZZ", "to": "CTU"}]},
            "activities[0].from",
        ),
        ({**DEMO_FOOTPRINT, "activities": [{"type": "hotel", "nights": -2}]}, "activities[0].nights"),
        ({**DEMO_FOOTPRINT, "activities": [{"type": "rocket", "km": 2}]}, "activities[0].type"),
        ({**DEMO_FOOTPRINT, "kind": "galaxy"}, "kind"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(http, body: dict, field: str) -> None:
    answer = http.post("/v1/footprints", json_body=body)
    assert answer.status == 422
    assert answer.content_type == "application/problem+json"
    problem = answer.json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert field in [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"{not json", 422),
        (b"[" * 20_000 + b"]" * 20_000, 422),
        (b'{"kind": "life", "period": "month", "activities": [{"type": "meal", "count": NaN}]}', 422),
        (b"x" * (64 * 1024 + 1), 413),
    ],
)
def test_malformed_and_oversized_bodies_never_give_500(http, data: bytes, status: int) -> None:
    answer = http.post("/v1/footprints", data=data, headers={"Content-Type": "application/json"})
    assert answer.status == status
    assert answer.content_type == "application/problem+json"
    assert json.loads(answer.body)["status"] == status


def test_wrong_content_type_is_415(http) -> None:
    answer = http.post("/v1/footprints", data=b"kind=life", headers={"Content-Type": "text/plain"})
    assert answer.status == 415


def test_unknown_route_is_404_like_api_gateway(http) -> None:
    assert http.get("/v1/nowhere").status == 404
    assert http.request("DELETE", "/v1/footprints").status == 404


def test_unicode_and_markup_in_a_query_are_harmless(http) -> None:
    answer = http.get("/v1/scenes?q=%3Cscript%3E%E6%88%90%E9%83%BD")
    assert answer.status == 200
    assert answer.json()["items"] == []


def test_the_rehearsals_http_servers_send_answers_without_nagles_delay(stack) -> None:
    """The gateway and the IAM proxy write an answer's headers, then its body. With Nagle's
    algorithm on, the body waited for the client's delayed ACK: about 45 ms on every AWS request a
    function made (e4d92fb). Each accepted connection must get TCP_NODELAY."""
    assert stack.gateway is not None and stack.proxy is not None and stack.proxy._server is not None
    for server in (stack.gateway.server, stack.proxy._server):
        assert server.RequestHandlerClass.disable_nagle_algorithm is True
