"""The calculate function driven by API Gateway HTTP API events against DynamoDB Local."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.factories import DEMO_FOOTPRINT

pytestmark = pytest.mark.integration


def test_create_footprint_stores_and_returns_the_breakdown(invoke) -> None:
    created = invoke("POST", "/v1/footprints", json_body=DEMO_FOOTPRINT)
    assert created.status == 201, created.body
    body = created.json()
    assert body["footprint_id"].startswith("fp_")
    assert created.headers["location"] == f"/v1/footprints/{body['footprint_id']}"
    assert body["factor_set"] == "2025.2"
    assert (body["well_to_tank"], body["radiative_forcing"], body["flight_method"]) == (True, True, "cn")
    assert [item["type"] for item in body["breakdown"]] == ["flight", "rail", "car", "hotel", "meal"]
    # flight by China's method 476.484 + 58.699 WTT; rail 3.658; car 4.882 + 1.380 WTT; hotel 107;
    # meals 5.630 (see the unit tests)
    assert body["total_g"] == 535_183 + 3_658 + 6_262 + 107_000 + 5_630
    flight = body["breakdown"][0]
    assert (flight["direct_g"], flight["wtt_g"], flight["basis"], flight["upstream"]) == (
        476_484,
        58_699,
        "mixed",
        "added",
    )
    assert [(a["method"], a["g"], a["counted"]) for a in flight["alternatives"]] == [
        ("cn", 535_183, True),
        ("desnz", 339_728 + 51_538, False),
    ]
    assert [s["factor"]["key"] for s in flight["steps"]] == [
        "flight.cn_domestic.fuel",
        "fuel.jet.kg",
        "flight.cn_domestic.rf",
    ]
    assert flight["steps"][0]["factor"]["source"].startswith("Civil Aviation Administration of China")
    assert body["equivalent"]["car_km"] == pytest.approx(657.733 / 0.20871, abs=0.1)
    assert "grid" not in body["activities"][2]  # nothing is added to what the visitor said

    again = invoke("GET", f"/v1/footprints/{body['footprint_id']}")
    assert again.status == 200
    assert again.json() == body


def test_each_footprint_counts_its_lines_remembered_and_worked_out(invoke, stack) -> None:
    """The calculate function's metrics (EMF, in its log): a line no footprint had before is worked
    out; the same activities again are all remembered, as the execution environment keeps them."""
    km = 100 + secrets.randbelow(10**6) / 1000  # a car trip no other footprint had
    trip = {"type": "car", "km": km, "fuel": "diesel", "occupants": 3}
    body = {"kind": "scene", "scene_id": "cdcnf-2021", "activities": [trip, {"type": "meal", "count": 7}]}
    log = stack.log_dir / "CalculateFunction.log"

    def metrics_of_one_footprint(request: dict) -> dict[str, float]:
        before = log.read_text().splitlines() if log.exists() else []
        assert invoke("POST", "/v1/footprints", json_body=request).status == 201
        emitted = [
            json.loads(line) for line in log.read_text().splitlines()[len(before) :] if '"_aws"' in line
        ]
        assert len(emitted) == 1
        names = ("FootprintsCalculated", "FootprintLinesRemembered", "FootprintLinesWorkedOut")
        return {name: emitted[0][name][0] for name in names}

    first = metrics_of_one_footprint(body)
    assert first["FootprintsCalculated"] == 1
    assert first["FootprintLinesWorkedOut"] >= 1  # the new trip; the meal may be an earlier test's
    assert first["FootprintLinesRemembered"] + first["FootprintLinesWorkedOut"] == 2
    assert metrics_of_one_footprint(body) == {
        "FootprintsCalculated": 1,
        "FootprintLinesRemembered": 2,
        "FootprintLinesWorkedOut": 0,
    }
    before = log.read_text().splitlines()
    refused = invoke("POST", "/v1/footprints", json_body={**body, "activities": [{**trip, "grid": "XX"}]})
    assert refused.status == 422
    assert not [line for line in log.read_text().splitlines()[len(before) :] if "FootprintLines" in line]


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


@pytest.mark.parametrize(
    ("activity", "field"),
    [
        ({"type": "metro", "km": 5, "grid": "CN-XZ"}, "activities[0].grid"),
        ({"type": "electricity", "kwh": 5, "grid": "Chengdu"}, "activities[0].grid"),
        ({"type": "car", "km": 5, "occupants": 12}, "activities[0].occupants"),
        ({"type": "car", "km": 5, "passengers": 2}, "activities[0].passengers"),
        ({"type": "flight", "from": "BSL", "to": "MLH"}, "activities[0].to"),
        ({"type": "rail", "km": 0}, "activities[0].km"),
    ],
)
def test_bad_places_and_people_get_a_422_naming_the_field(invoke, activity: dict, field: str) -> None:
    body = {"kind": "life", "period": "month", "activities": [activity]}
    answer = invoke("POST", "/v1/footprints", json_body=body)
    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == field


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
    desnz = body["breakdown"][0]["alternatives"][1]
    assert desnz == {**desnz, "method": "desnz", "factor_key": "flight.international.economy.without_rf"}


def test_a_scene_chooses_the_flight_method_and_well_to_tank(invoke, stack) -> None:
    from carbonneutral.store.scenes import DynamoSceneRepository

    repo = DynamoSceneRepository(stack.table, stack.dynamodb_client())
    scene = repo.get("cdcnf-2021")
    repo.put(
        scene.model_copy(update={"scene_id": "desnz-no-wtt", "flight_method": "desnz", "well_to_tank": False})
    )
    body = invoke("POST", "/v1/footprints", json_body={**DEMO_FOOTPRINT, "scene_id": "desnz-no-wtt"}).json()
    assert (body["flight_method"], body["well_to_tank"]) == ("desnz", False)
    flight = body["breakdown"][0]
    assert flight["g"] == 339_728 and flight["wtt_g"] == 0 and flight["upstream"] == "excluded"
    assert [a["counted"] for a in flight["alternatives"]] == [False, True]
    # a request may still ask for what the scene leaves out
    asked = invoke(
        "POST",
        "/v1/footprints",
        json_body={**DEMO_FOOTPRINT, "scene_id": "desnz-no-wtt", "well_to_tank": True, "flight_method": "cn"},
    ).json()
    assert asked["breakdown"][0]["g"] == 535_183


def test_a_footprint_stored_under_2025_1_reads_back_unchanged(invoke, stack) -> None:
    import json
    from pathlib import Path

    stored = json.loads(
        (Path(__file__).parents[1] / "data/footprint-2025.1.json").read_text(encoding="utf-8")
    )
    stack.dynamodb_client().put_item(
        TableName=stack.table,
        Item={
            "PK": {"S": f"FOOTPRINT#{stored['footprint_id']}"},
            "SK": {"S": "FOOTPRINT"},
            "type": {"S": "footprint"},
            "v": {"N": "1"},
            "kind": {"S": "scene"},
            "total_g": {"N": str(stored["total_g"])},
            "factor_set": {"S": "2025.1"},
            "created_at": {"S": stored["created_at"]},
            "body": {"S": json.dumps(stored)},
        },
    )
    answer = invoke("GET", f"/v1/footprints/{stored['footprint_id']}")
    assert answer.status == 200, answer.body
    body = answer.json()
    assert (body["factor_set"], body["total_g"], body["well_to_tank"]) == ("2025.1", 791_403, None)
    # every stored field reads back as it was stored; new fields only add to it
    for key in ("footprint_id", "scene_id", "radiative_forcing", "total_g", "created_at", "equivalent"):
        assert body[key] == stored[key], key
    for now, then in zip(body["activities"], stored["activities"], strict=True):
        # exactly as stored, with passengers' meaning made explicit beside it
        assert {k: v for k, v in now.items() if k not in {"travellers", "occupants"}} == then
    for now, then in zip(body["breakdown"], stored["breakdown"], strict=True):
        assert {k: now[k] for k in then if k != "factor"} == {k: v for k, v in then.items() if k != "factor"}
        assert now["factor"] == {**now["factor"], **then["factor"]}
    # 2025.1's passengers, with its meaning stated: three shared the car, two seats were flown
    assert body["activities"][0]["travellers"] == 2 and body["activities"][1]["occupants"] == 3
    page = invoke("GET", f"/f/{stored['footprint_id']}?lang=en")
    assert page.status == 200 and "before fuel supply (well-to-tank) was counted" in page.text


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
    assert (current["version"], current["method"], current["methodology"]) == ("2025.2", 2, "/methodology")
    assert current["factors"]["hotel.CN"]["value"] == "53.5"
    sichuan = current["factors"]["electricity.CN-SC"]
    assert (sichuan["value"], sichuan["year"], sichuan["basis"]) == ("0.1564", 2023, "CO2")
    assert invoke("GET", "/v1/factor-sets/2025.1").json()["factors"]["electricity.CN-SC"]["value"] == "0.1404"
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
