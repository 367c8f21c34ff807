"""Organizers: API keys, their own scenes only, QR codes that open the scene, reports."""

from __future__ import annotations

import csv
import io
import re
import secrets

import pytest
import zxingcpp
from PIL import Image

from tests.journeys import make_key

pytestmark = pytest.mark.integration

NEW_SCENE = {
    "kind": "restaurant",
    "name": {"zh-CN": "素食小厨（测试）", "en": "Veggie Kitchen (test)"},
    "city": {"zh-CN": "成都", "en": "Chengdu"},
    "lat": 30.66,
    "lon": 104.07,
}


@pytest.fixture
def alice(stack, capsys) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('alice-events', capsys)}"}


@pytest.fixture
def bob(stack, capsys) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('bob-events', capsys)}"}


def create(invoke, headers: dict[str, str], **changes) -> dict:
    answer = invoke(
        "POST",
        "/v1/scenes",
        json_body={**NEW_SCENE, "scene_id": "org-" + secrets.token_hex(5), **changes},
        headers=headers,
    )
    assert answer.status == 201, answer.body
    return answer.json()


def test_keys_are_stored_only_as_hashes(stack, capsys) -> None:
    token = make_key("hash-check", capsys)
    key_id, secret = token.split("_")[1], token.split("_", 2)[2]
    item = stack.dynamodb_client().get_item(
        TableName=stack.table, Key={"PK": {"S": f"APIKEY#{key_id}"}, "SK": {"S": "APIKEY"}}
    )["Item"]
    assert secret not in str(item) and token not in str(item)


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer cnk_AAAAAAAAAAAA_" + "x" * 43])
def test_missing_or_bad_keys_get_401(invoke, header) -> None:
    answer = invoke(
        "POST", "/v1/scenes", json_body=NEW_SCENE, headers={"Authorization": header} if header else {}
    )
    assert answer.status == 401 and answer.content_type == "application/problem+json"


def test_a_revoked_key_gets_401(invoke, stack, capsys) -> None:
    from infrastructure.admin import main

    token = make_key("revoked-org", capsys)
    assert main(["revoke-organizer-key", token.split("_")[1]]) == 0
    assert (
        invoke("POST", "/v1/scenes", json_body=NEW_SCENE, headers={"Authorization": f"Bearer {token}"}).status
        == 401
    )


def test_an_organizer_creates_a_scene_with_its_urls_and_calculator(invoke, alice) -> None:
    scene = create(invoke, alice)
    assert scene["page_url"].endswith(f"/s/{scene['scene_id']}")
    assert scene["qr_png_url"].endswith(f"/v1/scenes/{scene['scene_id']}/qr.png")
    assert [f["type"] for f in scene["calculator"]] == ["car", "taxi", "metro", "bus", "meal"]
    assert invoke("GET", f"/v1/scenes/{scene['scene_id']}").json()["name"]["en"] == "Veggie Kitchen (test)"
    assert invoke("GET", f"/s/{scene['scene_id']}?lang=en").status == 200


def test_a_taken_scene_id_is_a_conflict(invoke, alice) -> None:
    scene = create(invoke, alice)
    again = invoke(
        "POST", "/v1/scenes", json_body={**NEW_SCENE, "scene_id": scene["scene_id"]}, headers=alice
    )
    assert again.status == 409


def test_bad_scene_fields_are_named(invoke, alice) -> None:
    answer = invoke(
        "POST", "/v1/scenes", json_body={**NEW_SCENE, "lat": 123, "kind": "spaceport"}, headers=alice
    )
    assert answer.status == 422
    assert {"lat", "kind"} <= {e["field"] for e in answer.json()["errors"]}


def test_organizer_b_cannot_change_close_or_read_organizer_as_scene(invoke, alice, bob) -> None:
    scene_id = create(invoke, alice)["scene_id"]
    assert (
        invoke("PATCH", f"/v1/scenes/{scene_id}", json_body={"status": "closed"}, headers=bob).status == 403
    )
    assert invoke("POST", f"/v1/scenes/{scene_id}/close", headers=bob).status == 403
    assert invoke("GET", f"/v1/scenes/{scene_id}/report", headers=bob).status == 403
    assert (
        invoke("GET", "/v1/scenes/cdcnf-2021/report", headers=bob).status == 403
    )  # the demo scene has no organizer
    assert invoke("GET", f"/v1/scenes/{scene_id}").json()["status"] == "open"


def test_updating_and_closing_a_scene(invoke, alice) -> None:
    scene_id = create(invoke, alice)["scene_id"]
    changed = invoke(
        "PATCH",
        f"/v1/scenes/{scene_id}",
        json_body={"name": {"zh-CN": "新名字", "en": "New name"}},
        headers=alice,
    )
    assert changed.status == 200 and changed.json()["name"]["en"] == "New name"
    assert (changed.json()["well_to_tank"], changed.json()["flight_method"]) == (True, "cn")
    methods = invoke(
        "PATCH",
        f"/v1/scenes/{scene_id}",
        json_body={"well_to_tank": False, "flight_method": "desnz"},
        headers=alice,
    ).json()
    assert (methods["well_to_tank"], methods["flight_method"]) == (False, "desnz")
    assert (
        invoke("PATCH", f"/v1/scenes/{scene_id}", json_body={"flight_method": "icao"}, headers=alice).json()[
            "errors"
        ][0]["field"]
        == "flight_method"
    )
    meal = {"kind": "scene", "scene_id": scene_id, "activities": [{"type": "meal", "count": 1}]}
    before = invoke("POST", "/v1/footprints", json_body=meal).json()["footprint_id"]
    assert invoke("POST", f"/v1/scenes/{scene_id}/close", headers=alice).json()["status"] == "closed"
    refused = invoke("POST", "/v1/footprints", json_body=meal)
    assert refused.status == 409 and refused.json()["type"].endswith("/scene-closed")
    assert "closed" in refused.json()["errors"][0]["message"]
    # Neither a footprint calculated before the close nor an amount for the scene can be paid now.
    for body in (
        {"footprint_id": before},
        {"quantity_kg": 5, "scene_id": scene_id},
    ):
        order = invoke(
            "POST",
            "/v1/orders",
            json_body={**body, "project_id": "cdcer-longquan-forest", "beneficiary": {"name": "Late"}},
            headers={"Idempotency-Key": "late-" + secrets.token_hex(8)},
        )
        assert order.status == 409 and order.json()["type"].endswith("/scene-closed"), order.body
    page = invoke("GET", f"/s/{scene_id}?lang=en")
    assert "closed" in page.text and "Calculate my footprint" not in page.text


def test_the_qr_code_decodes_to_the_scene_page_and_comes_back_after_deletion(invoke, stack, alice) -> None:
    scene = create(invoke, alice)
    png = invoke("GET", f"/v1/scenes/{scene['scene_id']}/qr.png")
    assert png.status == 200 and png.content_type == "image/png"
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.body)))
    assert decoded.text == scene["page_url"]
    listed = stack.s3_client().list_objects_v2(Bucket=stack.bucket, Prefix=f"scenes/{scene['scene_id']}/qr-")
    ((key,),) = [[o["Key"] for o in listed["Contents"] if o["Key"].endswith(".png")]]
    stack.s3_client().delete_object(Bucket=stack.bucket, Key=key)
    assert invoke("GET", f"/v1/scenes/{scene['scene_id']}/qr.png").body == png.body
    svg = invoke("GET", f"/v1/scenes/{scene['scene_id']}/qr.svg")
    assert svg.content_type == "image/svg+xml" and svg.body.startswith(b"<svg")


def test_renders_follow_the_scene_and_the_origin_instead_of_going_stale(invoke, alice) -> None:
    scene = create(invoke, alice)
    poster = f"/v1/scenes/{scene['scene_id']}/poster"
    assert "Veggie Kitchen (test)" in invoke("GET", poster).body.decode()
    invoke(
        "PATCH",
        f"/v1/scenes/{scene['scene_id']}",
        json_body={"name": {"zh-CN": "新名字", "en": "Renamed"}},
        headers=alice,
    )
    assert "Renamed" in invoke("GET", poster).body.decode()
    # the same stack reached at its custom domain: the QR code points there, not to a cached origin
    png = invoke(
        "GET",
        f"/v1/scenes/{scene['scene_id']}/qr.png",
        headers={"host": "neutral.example.org", "x-forwarded-proto": "https"},
    )
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.body)))
    assert decoded.text == f"https://neutral.example.org/s/{scene['scene_id']}"


def test_the_poster_is_an_a4_print_page_with_the_qr(invoke, alice) -> None:
    scene = create(invoke, alice)
    poster = invoke("GET", f"/v1/scenes/{scene['scene_id']}/poster").body.decode()
    assert "素食小厨（测试）" in poster and "Veggie Kitchen (test)" in poster
    assert 'href="/static/poster.css"' in poster and "data:image/svg+xml;base64," in poster
    assert invoke("GET", "/static/poster.css").body.decode().count("size: A4") == 1


def test_the_report_counts_footprints_and_neutralizations_as_json_and_csv(invoke, stack, alice) -> None:
    from carbonneutral.store.leaderboards import Leaderboards

    from tests.factories import retired_order
    from tests.journeys import record

    # a restaurant of 2 guests of 10 kg each, whose own footprint is 2 kg: a target of 22 kg
    scene_id = create(invoke, alice, expected_attendance=2, per_participant_kg=10, event_footprint_kg=2)[
        "scene_id"
    ]
    for count in (2, 4):
        invoke(
            "POST",
            "/v1/footprints",
            json_body={
                "kind": "scene",
                "scene_id": scene_id,
                "activities": [{"type": "meal", "count": count}],
            },
        )
    boards = Leaderboards(stack.table, stack.dynamodb_client())
    record(
        boards,
        stack.dynamodb_client(),
        retired_order(
            9,
            name="=HYPERLINK(1)",
            full_name=True,  # shown in full: the report must still never make it a formula
            participant=secrets.token_urlsafe(18),
            scene_id=scene_id,
            footprint_g=8_500,
            counts_as="participants",
        ),
    )
    record(
        boards,
        stack.dynamodb_client(),
        retired_order(
            3, name="Team", kind="organization", role="organizer", scene_id=scene_id, counts_as="organizer"
        ),
    )
    report = invoke("GET", f"/v1/scenes/{scene_id}/report", headers=alice).json()
    assert (report["footprints"], report["footprint_kg"]) == (2, 11.26)  # 6 meals x 1.87667 kg
    assert (report["participant_orders"], report["participants_kg"], report["organizer_kg"]) == (1, 8.5, 3)
    rating = report["rating"]
    assert (rating["target_kg"], rating["neutralized_kg"], rating["organizer_uncounted_kg"]) == (22, 10.5, 1)
    assert rating["level"] == "bronze"  # 10.5 of 22 kg: the calculated 11.26 kg count for nothing
    assert report["top_individuals"][0]["kg"] == 9
    csv_headers = {**alice, "Accept": "text/csv", "Accept-Language": "en"}
    exported = invoke("GET", f"/v1/scenes/{scene_id}/report", headers=csv_headers)
    assert exported.content_type.startswith("text/csv")
    assert exported.body.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel on Chinese Windows reads UTF-8
    rows = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Rank", "Name", "kg CO₂e"]
    assert ["People", "1", "'=HYPERLINK(1)", "9"] in rows  # a name never becomes a formula
    assert any(row[:3] == ["Total", "", "Footprints calculated"] and row[3] == "2" for row in rows if row)
    assert re.search(r'filename="' + scene_id, exported.headers["content-disposition"])
    chinese = invoke(
        "GET", f"/v1/scenes/{scene_id}/report?lang=zh-CN", headers={**alice, "Accept": "text/csv"}
    )
    zh_rows = list(csv.reader(io.StringIO(chinese.body.decode("utf-8-sig"))))
    assert zh_rows[0][0] == "类别" and any(
        row[:3] == ["合计", "", "已计算的碳足迹"] for row in zh_rows if row
    )


def test_an_update_that_puts_the_dates_out_of_order_is_a_422_not_a_500(invoke, alice) -> None:
    scene_id = create(invoke, alice, starts_on="2026-12-01", ends_on="2026-12-03")["scene_id"]
    answer = invoke("PATCH", f"/v1/scenes/{scene_id}", json_body={"ends_on": "2026-11-01"}, headers=alice)
    assert answer.status == 422
    assert answer.json()["errors"][0]["field"] == "ends_on"
    assert invoke("GET", f"/v1/scenes/{scene_id}").json()["ends_on"] == "2026-12-03"
