"""What a hostile visitor tried against the public figures: one claim per footprint, the organizer's
share only by the organizer, ratings that free actions cannot move, boards whose names hold."""

from __future__ import annotations

import secrets

import pytest

from tests.journeys import make_key, pay, run_out

pytestmark = pytest.mark.integration

PROJECT = "cdcer-longquan-forest"
HOTEL_2_NIGHTS = [{"type": "hotel", "nights": 2, "country": "CN"}]
# A conference whose organizer declares 2 participants of 100 kg each and an event of 50 kg: a
# target of 250 kg; footprints above 10 x 100 kg wait for the organizer.
DECLARED = {"expected_attendance": 2, "per_participant_kg": 100, "event_footprint_kg": 50}


@pytest.fixture
def owner(capsys) -> dict[str, str]:
    return {"Authorization": "Bearer " + make_key("owner-" + secrets.token_hex(4), capsys)}


@pytest.fixture
def stranger(capsys) -> dict[str, str]:
    return {"Authorization": "Bearer " + make_key("stranger-" + secrets.token_hex(4), capsys)}


def new_scene(invoke, headers: dict[str, str], **declared) -> str:
    answer = invoke(
        "POST",
        "/v1/scenes",
        json_body={
            "scene_id": "rate-" + secrets.token_hex(5),
            "kind": "conference",
            "name": {"zh-CN": "评级测试", "en": "Rating test"},
            "city": {"zh-CN": "成都", "en": "Chengdu"},
            "lat": 30.66,
            "lon": 104.07,
            **declared,
        },
        headers=headers,
    )
    assert answer.status == 201, answer.body
    return str(answer.json()["scene_id"])


def footprint(invoke, scene_id: str, activities: list[dict]) -> dict:
    answer = invoke(
        "POST", "/v1/footprints", json_body={"kind": "scene", "scene_id": scene_id, "activities": activities}
    )
    assert answer.status == 201, answer.body
    return dict(answer.json())


def order(invoke, body: dict, headers: dict[str, str] | None = None, **beneficiary):
    return invoke(
        "POST",
        "/v1/orders",
        json_body={"project_id": PROJECT, "beneficiary": {"name": "Visitor", **beneficiary}, **body},
        headers={"Idempotency-Key": "k-" + secrets.token_hex(8), **(headers or {})},
    )


def rating(invoke, scene_id: str) -> dict:
    answer = invoke("GET", f"/v1/scenes/{scene_id}/rating")
    assert answer.status == 200, answer.body
    return dict(answer.json())


def buy(invoke, stack, body: dict, headers: dict[str, str] | None = None, **beneficiary) -> dict:
    placed = order(invoke, body, headers, **beneficiary)
    assert placed.status == 201, placed.body
    assert pay(invoke, stack, placed.json()) == "retired"
    return dict(placed.json())


# ---- one claim per footprint ----


def test_a_footprint_is_claimed_once_while_pending_and_once_retired(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    first = order(invoke, {"footprint_id": fp, "participant_id": secrets.token_urlsafe(18)})
    assert first.status == 201
    second = order(invoke, {"footprint_id": fp, "participant_id": secrets.token_urlsafe(18)})
    assert second.status == 409 and second.json()["type"] == "/problems/footprint-claimed"
    assert second.json()["errors"][0]["field"] == "footprint_id"
    assert "order_token" not in second.text  # the first buyer's token goes to nobody else

    assert pay(invoke, stack, first.json()) == "retired"
    third = order(invoke, {"footprint_id": fp})
    assert third.status == 409 and third.json()["type"] == "/problems/footprint-claimed"
    figures = rating(invoke, scene_id)
    assert figures["participants_kg"] == footprint_kg(invoke, fp)  # counted once, up to the footprint


def footprint_kg(invoke, footprint_id: str) -> float:
    return float(invoke("GET", f"/v1/footprints/{footprint_id}").json()["total_kg"])


def test_an_expired_or_cancelled_order_frees_its_footprint(invoke, stack, owner) -> None:
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.services import ledger

    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    lapsed = order(invoke, {"footprint_id": fp}).json()
    run_out(stack, lapsed["order_id"])
    assert stack.invoke("SweeperFunction", {"source": "aws.scheduler"})["released"] >= 1
    cancelled = order(invoke, {"footprint_id": fp})
    assert cancelled.status == 201, cancelled.body  # the expiry released the claim
    # the buyer closed the provider's checkout: the provider says so, and the credits go back
    body, headers = SandboxProvider(stack.secret("sandbox-webhook-secret")).event_for(
        ledger().order(cancelled.json()["order_id"]), "checkout.expired"
    )
    invoke(
        "POST",
        "/v1/payments/sandbox/webhook",
        body=body.encode(),
        headers={**headers, "content-type": "application/json"},
    )
    assert ledger().claim(fp) is None  # so did the cancellation
    buy(invoke, stack, {"footprint_id": fp})
    assert ledger().claim(fp)[1].value == "retired"
    # A late payment of the expired order buys nothing: its money is due back, the claim stays.
    assert pay(invoke, stack, lapsed) == "refund_due"
    assert rating(invoke, scene_id)["participants_kg"] == footprint_kg(invoke, fp)


def test_a_failed_order_frees_its_footprint(invoke, stack, owner) -> None:
    from decimal import Decimal

    from carbonneutral.domain.money import Money
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.services import ledger

    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    placed = order(invoke, {"footprint_id": fp}).json()
    # a payment of the wrong amount cannot buy the credits: the order fails and its money is due back
    body, headers = SandboxProvider(stack.secret("sandbox-webhook-secret")).event_for(
        ledger().order(placed["order_id"]), amount=Money(amount=Decimal("0.01"))
    )
    paid = invoke(
        "POST",
        "/v1/payments/sandbox/webhook",
        body=body.encode(),
        headers={**headers, "content-type": "application/json"},
    )
    assert paid.json()["outcome"] == "refund_due"
    assert ledger().claim(fp) is None
    assert order(invoke, {"footprint_id": fp}).status == 201


def test_neutralize_it_on_a_neutralized_footprint_leads_to_its_certificate(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    pending = order(invoke, {"footprint_id": fp}).json()
    busy = invoke("GET", f"/neutralize/{fp}?lang=en")
    assert busy.status == 409 and "already has an order" in busy.text
    assert pay(invoke, stack, pending) == "retired"
    certificate = invoke("GET", f"/v1/orders/{pending['order_id']}?token={pending['order_token']}").json()[
        "certificate_id"
    ]
    page = invoke("GET", f"/neutralize/{fp}?lang=en")
    assert page.status == 303 and page.headers["location"] == f"/c/{certificate}?lang=en"


def test_more_than_a_footprint_is_an_explicit_amount_on_the_boards_only(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    buy(invoke, stack, {"quantity_kg": 40, "scene_id": scene_id}, name="Generous")
    figures = rating(invoke, scene_id)
    assert (figures["explicit_kg"], figures["participants_kg"], figures["neutralized_kg"]) == (40, 0, 0)
    board = invoke("GET", f"/v1/leaderboards/scene:{scene_id}").json()["entries"]
    assert [(e["name"], e["kg"]) for e in board] == [("G**", 40)]  # a person's name, masked


# ---- the organizer's share ----


def test_only_the_scenes_own_organizer_orders_as_its_organizer(invoke, stack, owner, stranger) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    body = {"quantity_kg": 80, "scene_id": scene_id, "role": "organizer"}
    anonymous = order(invoke, body)
    assert anonymous.status == 403 and anonymous.json()["errors"][0]["field"] == "role"
    assert order(invoke, body, stranger).status == 403
    assert order(invoke, body, {"Authorization": "Bearer cnk_AAAAAAAAAAAA_" + "x" * 43}).status == 401
    buy(invoke, stack, body, owner, name="Rating test Ltd", kind="organization")
    figures = rating(invoke, scene_id)
    # 80 kg against a declared event footprint of 50 kg: 50 count, 30 are shown as beyond it
    assert (figures["organizer_kg"], figures["organizer_uncounted_kg"]) == (50, 30)
    assert figures["neutralized_kg"] <= figures["target_kg"]


def test_the_neutralize_page_offers_no_organizer_role(invoke, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    page = invoke("GET", f"/neutralize/{fp}?lang=en").text
    assert 'name="role"' not in page and "organizer" not in page.lower()


# ---- ratings ----


def test_free_calculations_never_move_a_rating(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    buy(invoke, stack, {"footprint_id": fp})
    before = rating(invoke, scene_id)
    first_class = {"type": "flight", "from": "PEK", "to": "JFK", "cabin": "first", "round_trip": True}
    for _ in range(10):  # what once moved the demo scene from "carbon neutral" to "none"
        footprint(invoke, scene_id, [first_class])
    after = rating(invoke, scene_id)
    assert after["footprints"] == before["footprints"] + 10 and after["footprint_kg"] > before["footprint_kg"]
    assert (after["share"], after["level"], after["neutralized_kg"]) == (
        before["share"],
        before["level"],
        before["neutralized_kg"],
    )


def test_the_rating_rule_with_every_part_bounded_and_shown(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    kg = []
    for _ in range(2):
        fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)
        kg.append(fp["total_kg"])
        buy(invoke, stack, {"footprint_id": fp["footprint_id"]})
    figures = rating(invoke, scene_id)
    assert figures["declared"] and figures["target_kg"] == 2 * 100 + 50
    participants = round(sum(kg), 3)  # two hotel stays of ~107 kg: above 2 x 100 kg
    assert figures["participants_kg"] == 200
    assert figures["participants_uncounted_kg"] == pytest.approx(participants - 200, abs=0.002)
    assert (figures["share"], figures["level"]) == (0.8, "gold")  # 200 of 250 kg
    buy(invoke, stack, {"quantity_kg": 50, "scene_id": scene_id, "role": "organizer"}, owner)
    figures = rating(invoke, scene_id)
    assert (figures["neutralized_kg"], figures["share"], figures["level"]) == (250, 1.0, "carbon_neutral")


def test_a_scene_without_declarations_has_no_rating(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    buy(invoke, stack, {"footprint_id": fp})
    figures = rating(invoke, scene_id)
    assert (figures["declared"], figures["share"], figures["level"]) == (False, 0, "none")
    assert figures["participants_kg"] == 0  # nothing to count against: no silent 100 %


def test_an_implausible_footprint_counts_only_once_its_organizer_accepts_it(
    invoke, stack, owner, stranger
) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    huge = footprint(invoke, scene_id, [{"type": "hotel", "nights": 25, "country": "CN"}])
    assert huge["total_kg"] > 10 * 100  # above ten times the per-participant estimate
    paid = buy(invoke, stack, {"footprint_id": huge["footprint_id"]})
    figures = rating(invoke, scene_id)
    assert (figures["participants_kg"], figures["held_kg"]) == (0, huge["total_kg"])
    held = invoke("GET", f"/v1/scenes/{scene_id}/held", headers=owner).json()["items"]
    assert [h["order_id"] for h in held] == [paid["order_id"]]
    accept = f"/v1/scenes/{scene_id}/held/{paid['order_id']}/accept"
    assert invoke("POST", accept, headers=stranger).status == 403
    assert invoke("POST", accept).status == 401
    assert invoke("POST", accept, headers=owner).json()["items"] == []
    assert invoke("POST", accept, headers=owner).status == 404  # accepted once
    figures = rating(invoke, scene_id)
    assert (figures["held_kg"], figures["participants_kg"]) == (0, 200)  # bounded by 2 x 100 kg
    assert figures["participants_uncounted_kg"] == pytest.approx(huge["total_kg"] - 200, abs=0.002)


# ---- boards ----


def test_a_hidden_organization_stays_hidden_and_keeps_its_name(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    me, mallory = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    org = {"kind": "organization"}
    buy(
        invoke,
        stack,
        {"quantity_kg": 3, "scene_id": scene_id, "participant_id": me},
        name="Quiet Co",
        hidden=True,
        **org,
    )
    buy(
        invoke,
        stack,
        {"quantity_kg": 1, "scene_id": scene_id, "participant_id": mallory},
        name="QUIET  co",
        **org,
    )
    buy(invoke, stack, {"quantity_kg": 2, "scene_id": scene_id, "participant_id": me}, name="Open Co", **org)
    buy(
        invoke,
        stack,
        {"quantity_kg": 1, "scene_id": scene_id, "participant_id": mallory},
        name="ＯＰＥＮ\u200b co",
        hidden=True,  # nor can anyone else hide it
        **org,
    )
    board = invoke("GET", f"/v1/leaderboards/scene:{scene_id}?entity=organization").json()["entries"]
    assert [(e["name"], e["hidden"], e["kg"]) for e in board] == [(None, True, 4), ("Open Co", False, 3)]
    # a hidden entry is not confirmed to whoever guesses its name and derives its id
    hidden_id, open_id = board[0]["entry_id"], board[1]["entry_id"]
    entry = f"/v1/leaderboards/scene:{scene_id}/entries/{{}}?entity=organization"
    assert invoke("GET", entry.format(hidden_id)).status == 404
    assert invoke("GET", entry.format(open_id)).json()["entry"]["name"] == "Open Co"
    buy(invoke, stack, {"quantity_kg": 1, "scene_id": scene_id, "participant_id": me}, name="OPEN CO", **org)
    board = invoke("GET", f"/v1/leaderboards/scene:{scene_id}?entity=organization").json()["entries"]
    assert ("OPEN CO", 4) in [(e["name"], e["kg"]) for e in board]  # its own buyer renames it


def test_names_are_normalized_before_display_and_signing(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    paid = buy(invoke, stack, {"footprint_id": fp}, name="Alice\u202egnp.exe\u200b  Bob")
    done = invoke("GET", f"/v1/orders/{paid['order_id']}?token={paid['order_token']}").json()
    certificate = invoke("GET", f"/v1/certificates/{done['certificate_id']}").json()
    assert certificate["beneficiary"] == "Alicegnp.exe Bob"


def test_declarations_may_grow_but_not_shrink_once_neutralization_counts(invoke, stack, owner) -> None:
    scene_id = new_scene(invoke, owner, **DECLARED)
    change = f"/v1/scenes/{scene_id}"
    # before anything counts, the organizer may correct them either way
    assert invoke("PATCH", change, json_body={"per_participant_kg": 90}, headers=owner).status == 200
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    buy(invoke, stack, {"footprint_id": fp})
    before = rating(invoke, scene_id)
    for field, smaller in (
        ("expected_attendance", 1),
        ("per_participant_kg", 50),
        ("event_footprint_kg", 10),
    ):
        refused = invoke("PATCH", change, json_body={field: smaller}, headers=owner)
        assert refused.status == 409 and refused.json()["type"] == "/problems/declaration-shrinks", (
            refused.body
        )
        assert refused.json()["errors"][0]["field"] == field
    assert rating(invoke, scene_id) == before  # a smaller target would have raised it for free
    assert invoke("PATCH", change, json_body={"expected_attendance": 3}, headers=owner).status == 200


# ---- audit ----


def test_audit_recomputes_each_scene_from_its_retired_orders(invoke, stack, owner, capsys) -> None:
    from infrastructure.admin import main

    scene_id = new_scene(invoke, owner, **DECLARED)
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    paid = buy(invoke, stack, {"footprint_id": fp})
    capsys.readouterr()
    assert main(["audit"]) == 0
    assert f"scene {scene_id}: bronze, {footprint_kg(invoke, fp)} of 250.0 kg" in capsys.readouterr().out
    # Forge what the claim prevents: a second retired order for the same footprint, counted too.
    client, table = stack.dynamodb_client(), stack.table
    item = client.get_item(
        TableName=table, Key={"PK": {"S": f"ORDER#{paid['order_id']}"}, "SK": {"S": "ORDER"}}
    )
    forged = {**item["Item"], "PK": {"S": "ORDER#ord_forged" + secrets.token_hex(8)}}
    forged["body"] = {"S": forged["body"]["S"].replace(paid["order_id"], forged["PK"]["S"][6:])}
    client.put_item(TableName=table, Item=forged)
    stats = {"PK": {"S": f"SCENESTATS#{scene_id}#0"}, "SK": {"S": "STATS"}}
    client.update_item(
        TableName=table,
        Key=stats,
        UpdateExpression="ADD participants_g :g",
        ExpressionAttributeValues={":g": {"N": "5"}},
    )
    try:
        assert main(["audit"]) == 1
        err = capsys.readouterr().err
        assert f"scene {scene_id}: footprint {fp} was neutralized 2 times" in err
        assert f"scene {scene_id}: participants_g is" in err
    finally:  # the session's other tests audit the whole table
        client.delete_item(TableName=table, Key={"PK": forged["PK"], "SK": forged["SK"]})
        client.update_item(
            TableName=table,
            Key=stats,
            UpdateExpression="ADD participants_g :g",
            ExpressionAttributeValues={":g": {"N": "-5"}},
        )


# ---- the organizer's event certificate ----


def test_an_event_certificate_is_signed_verifiable_and_superseded_never_edited(
    invoke, stack, owner, stranger
) -> None:
    from carbonneutral.certify.verify import check

    scene_id = new_scene(invoke, owner, **DECLARED, starts_on="2026-11-20", ends_on="2026-11-21")
    apply = f"/v1/scenes/{scene_id}/certificate"
    refused = invoke("POST", apply, headers=owner)
    assert refused.status == 409 and refused.json()["type"] == "/problems/not-rated"
    fp = footprint(invoke, scene_id, HOTEL_2_NIGHTS)["footprint_id"]
    buy(invoke, stack, {"footprint_id": fp})  # ~107 of 250 kg: bronze
    assert invoke("POST", apply, headers=stranger).status == 403
    first = invoke("POST", apply, headers=owner)
    assert first.status == 201, first.body
    issued = first.json()
    assert (issued["level"], issued["period"], issued["target_kg"]) == (
        "bronze",
        "2026-11-20/2026-11-21",
        "250.000",
    )
    assert (issued["organizer_kg"], issued["supersedes"]) == ("0.000", None)
    assert issued["neutralized_kg"] == f"{footprint_kg(invoke, fp):.3f}"
    again = invoke("POST", apply, headers=owner)
    assert again.status == 200 and again.json() == issued  # same figures: the same certificate

    stored = invoke("GET", f"/v1/certificates/{issued['certificate_id']}")
    assert stored.json() == issued and stored.json()["schema"] == "carbon-neutral-event-certificate/1"
    keys = invoke("GET", "/.well-known/certificate-keys.json").text
    assert check(stored.text, keys)[0]  # the offline verifier, as for a personal certificate
    verified = invoke("GET", f"/v1/certificates/{issued['certificate_id']}/verify").json()
    assert (verified["kind"], verified["valid"], verified["current"]) == ("event", True, True)
    page = invoke("GET", f"/c/{issued['certificate_id']}?lang=en")
    assert (
        page.status == 200
        and "Rating test" in page.text
        and "Bronze" in page.text
        and "<svg" not in page.text
    )

    buy(invoke, stack, {"quantity_kg": 50, "scene_id": scene_id, "role": "organizer"}, owner)
    second = invoke("POST", apply, headers=owner)
    assert second.status == 201
    renewed = second.json()
    assert renewed["supersedes"] == issued["certificate_id"] and renewed["organizer_kg"] == "50.000"
    assert renewed["level"] == "silver"  # (107 + 50) of 250 kg
    assert invoke("GET", f"/v1/certificates/{issued['certificate_id']}").json() == issued  # never edited
    old = invoke("GET", f"/v1/certificates/{issued['certificate_id']}/verify").json()
    assert (old["valid"], old["current"], old["superseded_by"]) == (True, False, renewed["certificate_id"])
    assert "superseded" in invoke("GET", f"/c/{issued['certificate_id']}/verify?lang=en").text
