"""The calculate function driven by API Gateway HTTP API events against DynamoDB Local."""

from __future__ import annotations

import pytest

from tests.factories import DEMO_FOOTPRINT

pytestmark = pytest.mark.integration


def test_create_footprint_stores_and_returns_the_breakdown(invoke) -> None:
    created = invoke("POST", "/v1/footprints", json_body=DEMO_FOOTPRINT)
    assert created.status == 201, created.body
    body = created.json()
    assert body["footprint_id"].startswith("fp_")
    assert created.headers["location"] == f"/v1/footprints/{body['footprint_id']}"
    assert body["factor_set"] == "2025.1"
    assert [item["type"] for item in body["breakdown"]] == ["flight", "rail", "car", "hotel", "meal"]
    # 339.728 flight + 3.658 rail + 4.882 car + 107 hotel + 5.630 meals (see the unit tests)
    assert body["total_g"] == 339_728 + 3_658 + 4_882 + 107_000 + 5_630
    assert body["total_kg"] == pytest.approx(460.898)
    assert body["breakdown"][0]["factor"]["source"].startswith("UK Department for Energy Security")
    assert body["equivalent"]["car_km"] == pytest.approx(460.898 / 0.16272, abs=0.1)

    again = invoke("GET", f"/v1/footprints/{body['footprint_id']}")
    assert again.status == 200
    assert again.json() == body


def test_life_footprint_for_a_month(invoke) -> None:
    answer = invoke(
        "POST",
        "/v1/footprints",
        json_body={
            "kind": "life",
            "period": "month",
            "activities": [
                {"type": "electricity", "kwh": 200},
                {"type": "diet", "diet": "vegetarian"},
                {"type": "shopping", "spend_cny": "1500.50"},
            ],
        },
    )
    assert answer.status == 201, answer.body
    body = answer.json()
    # 200 x 0.5306 = 106.12; 30 days x 3.81 = 114.3; 1500.50 x 0.094 = 141.047
    assert body["total_g"] == 106_120 + 114_300 + 141_047


def test_activity_the_scene_does_not_offer_is_refused_with_its_field(invoke) -> None:
    answer = invoke(
        "POST",
        "/v1/footprints",
        json_body={
            "kind": "scene",
            "scene_id": "cdcnf-2021",
            "activities": [{"type": "shopping", "spend_cny": "10"}],
        },
    )
    assert answer.status == 422
    assert answer.content_type == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "activities[0].type"


def test_unknown_scene_is_named(invoke) -> None:
    answer = invoke("POST", "/v1/footprints", json_body={**DEMO_FOOTPRINT, "scene_id": "no-such-scene"})
    assert answer.status == 422
    assert answer.json()["errors"][0]["field"] == "scene_id"


def test_scene_without_radiative_forcing_is_respected(invoke, stack) -> None:
    from carbonneutral.store.scenes import DynamoSceneRepository

    repo = DynamoSceneRepository(stack.table, stack.dynamodb_client())
    scene = repo.get("cdcnf-2021")
    repo.put(scene.model_copy(update={"scene_id": "no-rf-forum", "radiative_forcing": False}))
    body = invoke("POST", "/v1/footprints", json_body={**DEMO_FOOTPRINT, "scene_id": "no-rf-forum"}).json()
    assert body["radiative_forcing"] is False
    assert body["breakdown"][0]["factor"]["key"] == "flight.international.economy.without_rf"


def test_get_scene_and_unknown_scene(invoke) -> None:
    scene = invoke("GET", "/v1/scenes/dujiangyan")
    assert scene.status == 200
    assert scene.json()["kind"] == "scenic_spot"
    assert scene.json()["page_url"].endswith("/s/dujiangyan")
    missing = invoke("GET", "/v1/scenes/not-a-scene")
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"


def test_list_scenes_filters_by_kind_and_rejects_unknown_kinds(invoke) -> None:
    hotels = invoke("GET", "/v1/scenes?kind=hotel&limit=100").json()["items"]
    assert "demo-tianfu-hotel" in {s["scene_id"] for s in hotels} and {s["kind"] for s in hotels} == {"hotel"}
    bad = invoke("GET", "/v1/scenes?kind=spaceport")
    assert bad.status == 422
    assert bad.json()["errors"][0] == {**bad.json()["errors"][0], "field": "kind", "location": "query"}


def test_factor_set_is_published(invoke) -> None:
    current = invoke("GET", "/v1/factor-sets/current").json()
    assert current["version"] == "2025.1"
    assert current["factors"]["hotel.CN"]["value"] == "53.5"
    assert invoke("GET", "/v1/factor-sets/1999.1").status == 404


def test_throttled_dynamodb_answers_503_not_500(invoke, stack) -> None:
    from carbonneutral.store.aws import MAX_ATTEMPTS

    # every attempt botocore makes is throttled by the service the function really calls
    stack.proxy.inject(
        "dynamodb", "dynamodb:GetItem", "ProvisionedThroughputExceededException", times=MAX_ATTEMPTS
    )
    answer = invoke("GET", "/v1/scenes/cdcnf-2021")
    assert answer.status == 503
    assert answer.json()["type"] == "/problems/service-unavailable"


def test_openapi_document_is_served(invoke) -> None:
    document = invoke("GET", "/v1/openapi.json").json()
    assert "/v1/footprints" in document["paths"]
    assert "FootprintRequest" in document["components"]["schemas"]
