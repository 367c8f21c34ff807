"""The purchase and sweeper functions driven by API Gateway events; the admin command."""

from __future__ import annotations

import json
import os
import secrets

import pytest

from tests.factories import DEMO_FOOTPRINT
from tests.journeys import run_out

pytestmark = pytest.mark.integration


def new_key() -> str:
    return "key-" + secrets.token_hex(8)


@pytest.fixture
def footprint_id(invoke) -> str:
    return invoke("POST", "/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]


def place(invoke, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return invoke("POST", "/v1/orders", json_body=body, headers=headers)


def order_body(footprint_id: str, **extra) -> dict:
    return {
        "footprint_id": footprint_id,
        "project_id": "cdcer-chengdu-green-commute",
        "beneficiary": {"name": "李雷", "kind": "individual"},
        "role": "participant",
        **extra,
    }


def test_projects_are_listed_with_credits_and_price(invoke) -> None:
    items = invoke("GET", "/v1/projects").json()["items"]
    forest = next(p for p in items if p["project_id"] == "cdcer-longquan-forest")
    assert forest["standard"] == "CDCER" and forest["vintage"] == 2023
    assert forest["price_per_tonne"] == {"amount": "85.00", "currency": "CNY"}
    assert forest["available_kg"] > 0 and forest["demo"] is True
    assert forest["developer"]["en"] == "Longquan Forestry Development (demo)"


def test_an_order_for_a_footprint_rounds_up_to_whole_kilograms(invoke, footprint_id) -> None:
    answer = place(invoke, order_body(footprint_id), new_key())
    assert answer.status == 201, answer.body
    order = answer.json()
    assert order["quantity_kg"] == 658  # 657.733 kg rounded up
    assert order["amount"] == {"amount": "39.48", "currency": "CNY"}  # 658 kg at 60 CNY/t = 39.48
    assert order["status"] == "pending_payment" and order["scene_id"] == "cdcnf-2021"
    assert order["payment"]["provider"] == "sandbox"
    assert order["payment"]["checkout_url"].endswith(
        f"/checkout/{order['order_id']}?token={order['order_token']}"
    )


def test_the_idempotency_key_is_required_and_named(invoke, footprint_id) -> None:
    answer = place(invoke, order_body(footprint_id))
    assert answer.status == 422
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"


def test_replaying_a_key_returns_the_same_order_and_another_body_is_refused(invoke, footprint_id) -> None:
    key = new_key()
    first = place(invoke, order_body(footprint_id), key)
    again = place(invoke, order_body(footprint_id), key)
    assert (first.status, again.status) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"]
    assert again.json()["order_token"] == first.json()["order_token"]
    other = place(invoke, order_body(footprint_id, role="organizer"), key)
    assert other.status == 422 and other.json()["type"] == "/problems/idempotency-key-reused"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"project_id": "no-such-project"}, "project_id"),
        ({"footprint_id": "fp_doesnotexist0000000000"}, "footprint_id"),
        ({"beneficiary": {"name": "", "kind": "individual"}}, "beneficiary.name"),
        ({"beneficiary": {"name": "x", "kind": "robot"}}, "beneficiary.kind"),
        ({"quantity_kg": 5}, "body"),
    ],
)
def test_bad_orders_name_the_field(invoke, footprint_id, change: dict, field: str) -> None:
    answer = place(invoke, {**order_body(footprint_id), **change}, new_key())
    assert answer.status == 422, answer.body
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_a_huge_quantity_is_refused_and_one_beyond_stock_is_a_conflict(invoke) -> None:
    body = {"quantity_kg": 10**9, "project_id": "cdcer-longquan-forest", "beneficiary": {"name": "Big"}}
    assert place(invoke, body, new_key()).status == 422
    answer = place(invoke, {**body, "quantity_kg": 1_000_000}, new_key())
    assert answer.status == 409 and answer.json()["type"] == "/problems/insufficient-credits"


def test_an_order_is_read_only_with_its_token(invoke, footprint_id) -> None:
    order = place(invoke, order_body(footprint_id), new_key()).json()
    path = f"/v1/orders/{order['order_id']}"
    assert invoke("GET", path).status == 401
    assert invoke("GET", path, headers={"Authorization": "Bearer wrong-token"}).status == 403
    mine = invoke("GET", path, headers={"Authorization": f"Bearer {order['order_token']}"})
    assert mine.status == 200 and mine.json()["order_token"] is None  # the token is not echoed back
    assert invoke("GET", f"{path}?token={order['order_token']}").status == 200


def test_a_signed_webhook_retires_the_credits(invoke, footprint_id, stack) -> None:
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.services import ledger

    order = place(invoke, order_body(footprint_id), new_key()).json()
    stored = ledger().order(order["order_id"])
    body, headers = SandboxProvider(stack.secret("sandbox-webhook-secret")).event_for(stored)
    answer = invoke(
        "POST",
        "/v1/payments/sandbox/webhook",
        body=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert answer.status == 200 and answer.json()["outcome"] == "retired"
    retired = invoke("GET", f"/v1/orders/{order['order_id']}?token={order['order_token']}").json()
    assert retired["status"] == "retired"
    assert retired["serials"] and retired["serials"][0].startswith("CDCER-cdcer-chengdu-green-commute-2024-")
    assert retired["payment"]["checkout_url"] is None


def test_a_forged_webhook_is_refused_with_400(invoke) -> None:
    body = json.dumps({"id": "evt_x", "type": "payment.succeeded", "data": {"order_id": "ord_x"}})
    answer = invoke(
        "POST",
        "/v1/payments/sandbox/webhook",
        body=body.encode(),
        headers={"Content-Type": "application/json", "Sandbox-Signature": "t=1,v1=00"},
    )
    assert answer.status == 400 and answer.json()["type"] == "/problems/invalid-signature"
    assert (
        invoke(
            "POST", "/v1/payments/paypal/webhook", body=b"{}", headers={"Content-Type": "application/json"}
        ).status
        == 404
    )


def test_the_sweeper_releases_expired_reservations(invoke, stack) -> None:
    from carbonneutral import services

    order = place(
        invoke,
        {"quantity_kg": 3, "project_id": "cdcer-sichuan-biogas", "beneficiary": {"name": "A"}},
        new_key(),
    ).json()
    run_out(stack, order["order_id"])
    result = stack.invoke("SweeperFunction", {"source": "aws.scheduler"})  # as the schedule invokes it
    assert result["released"] >= 1
    assert services.ledger().order(order["order_id"]).status.value == "expired"


def test_admin_imports_issuance_from_csv_and_refuses_overlaps(stack, tmp_path, capsys) -> None:
    from infrastructure.admin import main

    header = (
        "project_id,name_zh,name_en,developer_id,developer_zh,developer_en,kind,standard,location_zh,"
        "location_en,vintage,price_per_tonne,description_zh,description_en,demo,first,last\n"
    )
    row = "csv-solar-{n},光伏,Solar,dev-csv,开发商,Developer,solar,CCER,四川,Sichuan,2024,66.00,描述,About,true,{a},{b}\n"
    good = tmp_path / "issuance.csv"
    good.write_text(header + row.format(n=1, a=1, b=500) + row.format(n=1, a=1001, b=1500), encoding="utf-8")
    assert main(["import-issuance", str(good)]) == 0
    assert "csv-solar-1: issued 1000 kg" in capsys.readouterr().out
    overlapping = tmp_path / "overlap.csv"
    overlapping.write_text(header + row.format(n=1, a=1400, b=1600), encoding="utf-8")
    assert main(["import-issuance", str(overlapping)]) == 1
    assert "overlap" in capsys.readouterr().err


def test_admin_audit_passes_on_a_consistent_ledger(stack, capsys) -> None:
    from infrastructure.admin import main

    code = main(["audit"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "audit: no breaches" in out.out
    assert os.environ["TABLE_NAME"] == stack.table


def test_init_secrets_creates_the_parameters_once_and_never_overwrites(stack, capsys) -> None:
    import boto3
    from carbonneutral.certify.keys import SigningKey, verify

    from infrastructure.admin import main

    path = "/cn-test-" + secrets.token_hex(4)
    assert main(["init-secrets", "--path", path, "--kid", "k-test"]) == 0
    ssm = boto3.client("ssm")
    params = {
        p["Name"].rsplit("/", 1)[1]: p
        for p in ssm.get_parameters_by_path(Path=path, WithDecryption=True)["Parameters"]
    }
    assert set(params) == {
        "order-token-secret",
        "cursor-key",
        "sandbox-webhook-secret",
        "certificate-signing-key",
        "certificate-public-keys",
    }
    assert params["certificate-signing-key"]["Type"] == "SecureString"
    key = SigningKey.from_secret(params["certificate-signing-key"]["Value"])
    assert key.kid == "k-test"
    document = {"kid": "k-test", "x": "y"}
    assert verify(
        {**document, "signature": key.sign(document)}, json.loads(params["certificate-public-keys"]["Value"])
    )[0]
    capsys.readouterr()
    assert main(["init-secrets", "--path", path, "--kid", "k-test"]) == 0
    assert sum(line.startswith("kept ") for line in capsys.readouterr().out.splitlines()) == len(params)
    again = ssm.get_parameter(Name=f"{path}/certificate-signing-key", WithDecryption=True)["Parameter"][
        "Value"
    ]
    assert again == params["certificate-signing-key"]["Value"]


def stored_order(stack, order_id: str) -> str:
    item = stack.dynamodb_client().get_item(
        TableName=stack.table,
        Key={"PK": {"S": f"ORDER#{order_id}"}, "SK": {"S": "ORDER"}},
        ConsistentRead=True,
    )["Item"]
    return json.dumps(item)


def test_an_order_token_is_never_stored_only_its_hash(invoke, stack, footprint_id) -> None:
    answer = place(invoke, order_body(footprint_id), new_key())
    order = answer.json()
    assert order["order_token"] in order["payment"]["checkout_url"]  # given to the buyer…
    assert order["order_token"] not in stored_order(stack, order["order_id"])  # …and kept nowhere


def test_order_answers_are_never_cached(invoke, footprint_id) -> None:
    placed = place(invoke, order_body(footprint_id), new_key())
    read = invoke("GET", f"/v1/orders/{placed.json()['order_id']}?token={placed.json()['order_token']}")
    assert placed.headers["cache-control"] == read.headers["cache-control"] == "no-store"
    assert read.json()["payment"]["checkout_url"] == placed.json()["payment"]["checkout_url"]


def test_the_checkout_page_keeps_working_in_the_other_language_without_the_token_in_its_link(
    invoke, footprint_id
) -> None:
    order = place(invoke, order_body(footprint_id), new_key()).json()
    first = invoke("GET", f"/checkout/{order['order_id']}?token={order['order_token']}&lang=zh-CN")
    assert first.status == 200
    kept = next(c for c in first.headers["set-cookie"].split("\n") if c.startswith("order_token="))
    assert f"Path=/checkout/{order['order_id']}" in kept and "HttpOnly" in kept
    # the language link is ?lang=en: the browser sends the cookie, not the token
    cookie = kept.split(";")[0]
    switched = invoke("GET", f"/checkout/{order['order_id']}?lang=en", headers={"Cookie": cookie})
    assert switched.status == 200 and b"Your order" in switched.body
    assert invoke("GET", f"/checkout/{order['order_id']}?lang=en").status == 404  # no token, no page


def test_an_idempotency_key_replayed_by_someone_else_never_returns_the_order_or_its_token(
    invoke, footprint_id
) -> None:
    # Given a buyer's order, and its key and body learned by someone else
    key, body = new_key(), order_body(footprint_id)
    mine = place(invoke, body, key).json()
    # When the other client replays them
    theirs = invoke(
        "POST", "/v1/orders", json_body=body, headers={"Idempotency-Key": key}, client_ip="203.0.113.9"
    )
    # Then they get an order of their own (this footprint's claim permitting), never the buyer's
    assert theirs.status in (201, 409)
    assert mine["order_id"] not in theirs.body.decode() and mine["order_token"] not in theirs.body.decode()
    # while the buyer's own replay is still the same order
    again = place(invoke, body, key)
    assert again.status == 200 and again.json()["order_id"] == mine["order_id"]
