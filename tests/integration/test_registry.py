"""The public retirement registry: each retirement a record in its project's hash chain, written in
the retirement's transaction with a signed head, listed and exported for anyone, and checked
offline from the export, the head and the published keys alone."""

from __future__ import annotations

import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from carbonneutral.certify.check_registry import main as check_main
from carbonneutral.certify.check_registry import problems_of
from carbonneutral.domain.registry import GENESIS

from tests.factories import an_order_request
from tests.integration.ledger_support import BASE, inventory, key, pay
from tests.journeys import retire

pytestmark = pytest.mark.integration

PROJECT = "cdcer-longquan-forest"  # the project journeys.retire buys from


@pytest.fixture(scope="module")
def published(invoke, stack) -> dict[str, str]:
    """A fresh retirement, then what anyone can download: the export, the head, the keys, the certificate."""
    for _ in range(2):  # at least three records, whatever ran before
        retire(invoke, stack, name="Earlier Buyer")
    order = retire(invoke, stack, name="Registry Reader", full_name=True)
    return {
        "export": invoke("GET", f"/v1/projects/{PROJECT}/registry.jsonl").text,
        "head": invoke("GET", f"/v1/projects/{PROJECT}/registry/head").text,
        "keys": invoke("GET", "/.well-known/certificate-keys.json").text,
        "certificate": invoke("GET", f"/v1/certificates/{order['certificate_id']}").text,
    }


def lines(export: str) -> list[dict]:
    return [json.loads(line) for line in export.splitlines()]


def test_the_export_the_signed_head_and_a_certificate_check_out_offline(published) -> None:
    problems, count = problems_of(
        published["export"], published["head"], published["keys"], published["certificate"]
    )
    assert problems == [] and count >= 1
    records, head, certificate = (
        lines(published["export"]),
        json.loads(published["head"]),
        json.loads(published["certificate"]),
    )
    assert head["count"] == len(records) and head["hash"] == records[-1]["hash"] and head["signature"]
    assert records[0]["previous"] == GENESIS
    assert all(b["previous"] == a["hash"] for a, b in itertools.pairwise(records))
    mine = records[certificate["registry"]["position"] - 1]
    assert (
        mine["certificate_id"] == certificate["certificate_id"] and mine["beneficiary"] == "Registry Reader"
    )
    assert mine["serials"] == certificate["serials"] and mine["kg"] == certificate["quantity_kg"]
    assert any(r["beneficiary"] == "E**" for r in records)  # a person who did not choose a full name


def test_a_tampered_reordered_or_truncated_export_is_refused(published) -> None:
    records = published["export"].splitlines()
    assert len(records) >= 3
    changed = json.loads(records[1])
    changed["kg"] += 1
    cases = {
        "changed": [records[0], json.dumps(changed), *records[2:]],
        "reordered": [records[1], records[0], *records[2:]],
        "truncated": records[:-1],
        "removed from the middle": [records[0], *records[2:]],
        "duplicated": [records[0], *records],
    }
    for what, export in cases.items():
        problems, _ = problems_of("\n".join(export) + "\n", published["head"], published["keys"])
        assert problems, f"a {what} export passed"
    forged_head = {**json.loads(published["head"]), "count": len(records) - 1}
    problems, _ = problems_of("\n".join(records[:-1]), json.dumps(forged_head), published["keys"])
    assert any("head is not genuine" in p for p in problems)  # a truncation cannot re-sign the head


def test_a_certificate_is_checked_against_its_own_record(published) -> None:
    certificate = json.loads(published["certificate"])
    elsewhere = {**certificate, "registry": {**certificate["registry"], "position": 1}}
    problems, _ = problems_of(
        published["export"], published["head"], published["keys"], json.dumps(elsewhere)
    )
    assert any("not genuine" in p for p in problems)  # its signature covers where its record is
    records = lines(published["export"])
    mine = certificate["registry"]["position"]
    without_mine = [r for r in records if r["position"] != mine]
    problems, _ = problems_of(
        "".join(json.dumps(r) + "\n" for r in without_mine),
        published["head"],
        published["keys"],
        published["certificate"],
    )
    assert problems


def test_the_offline_command_says_intact_or_not(published, tmp_path, capsys) -> None:
    for name, text in published.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = [str(tmp_path / n) for n in ("export", "head", "keys", "certificate")]
    assert check_main(paths) == 0
    out = capsys.readouterr().out
    assert "INTACT" in out and "not covered" not in out
    (tmp_path / "export").write_text(published["export"].splitlines()[0] + "\n", encoding="utf-8")
    assert check_main(paths) == 1
    assert "NOT INTACT" in capsys.readouterr().out


def test_concurrent_retirements_of_one_project_keep_one_chain(service, ledger, sandbox, project) -> None:
    project_id = project((1, 1000))
    orders = [service.place(an_order_request(project_id, 7), key(), base_url=BASE)[0] for _ in range(16)]
    start = threading.Barrier(8)

    def paid(order):
        if orders.index(order) < 8:
            start.wait()
        return pay(service, sandbox, order).outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(paid, orders)) == ["retired"] * 16
    records = ledger.every_record(project_id)
    assert [r.position for r in records] == list(range(1, 17))
    raw = [r.model_dump(mode="json", by_alias=True) for r in records]
    from carbonneutral.domain.registry import check_chain

    assert check_chain(raw, ledger.signed_head(project_id)) == []
    assert sum(r.kg for r in records) == inventory(ledger, project_id).retired_kg == 16 * 7
    serials = sorted((a, b) for r in records for a, b in r.ranges)
    assert all(x[1] < y[0] for x, y in itertools.pairwise(serials))  # no serial twice


def test_hidden_names_stay_hidden_in_the_registry_and_lead_to_no_certificate(
    invoke, stack, published
) -> None:
    import hashlib

    from tests.journeys import pay as pay_through_webhook

    body = {"quantity_kg": 3, "project_id": PROJECT, "beneficiary": {"name": "Secret Co", "hidden": True}}
    order = invoke("POST", "/v1/orders", json_body=body, headers={"Idempotency-Key": key()}).json()
    assert pay_through_webhook(invoke, stack, order) == "retired"
    bearer = {"Authorization": f"Bearer {order['order_token']}"}
    certificate_id = invoke("GET", f"/v1/orders/{order['order_id']}", headers=bearer).json()["certificate_id"]
    export = invoke("GET", f"/v1/projects/{PROJECT}/registry.jsonl").text
    assert "Secret Co" not in export and certificate_id not in export  # no way from the record to the name
    digest = hashlib.sha256(certificate_id.encode()).hexdigest()
    [record] = [r for r in lines(export) if r.get("certificate_sha256") == digest]
    assert record["beneficiary"] is None and record["certificate_id"] is None
    assert certificate_id not in invoke("GET", f"/registry?project_id={PROJECT}&lang=en").text
    # its holder can still show that the record is theirs
    certificate = invoke("GET", f"/v1/certificates/{certificate_id}").text
    head = invoke("GET", f"/v1/projects/{PROJECT}/registry/head").text
    assert problems_of(export, head, published["keys"], certificate)[0] == []


def test_records_retired_after_the_signed_head_was_read_do_not_fail_the_check(
    invoke, stack, published
) -> None:
    retire(invoke, stack, name="Later Buyer")  # retired between reading the head and the export
    later = invoke("GET", f"/v1/projects/{PROJECT}/registry.jsonl").text
    problems, count = problems_of(later, published["head"], published["keys"], published["certificate"])
    assert problems == [] and count > json.loads(published["head"])["count"]


def test_the_listing_pages_with_its_own_cursors_and_refuses_others(invoke, published) -> None:
    first = invoke("GET", "/v1/retirements?limit=1").json()
    assert len(first["items"]) == 1 and first["cursor"]
    second = invoke("GET", f"/v1/retirements?limit=1&cursor={first['cursor']}").json()
    assert second["items"] and second["items"][0]["hash"] != first["items"][0]["hash"]
    assert second["items"][0]["retired_at"] <= first["items"][0]["retired_at"]  # newest first
    chain = invoke("GET", f"/v1/retirements?project_id={PROJECT}&limit=2").json()
    assert [r["position"] for r in chain["items"]] == [1, 2] and chain["cursor"] == "after:2"
    nxt = invoke("GET", f"/v1/retirements?project_id={PROJECT}&limit=2&cursor=after:2").json()
    assert nxt["items"][0]["position"] == 3
    for bad in ("after:2", "before:x", "PK=ORDER"):
        target = (
            f"/v1/retirements?cursor={bad}"
            if bad != "before:x"
            else f"/v1/retirements?project_id={PROJECT}&cursor={bad}"
        )
        answer = invoke("GET", target)
        assert answer.status == 400 and answer.json()["errors"][0]["field"] == "cursor", (bad, answer.body)
    assert invoke("GET", "/v1/retirements?project_id=no-such-project").status == 404
    assert invoke("GET", "/v1/projects/no-such-project/registry.jsonl").status == 404


def test_the_registry_and_project_pages_show_retirements_and_money_in_both_languages(
    invoke, published
) -> None:
    certificate = json.loads(published["certificate"])
    page = invoke("GET", f"/registry?project_id={PROJECT}&lang=en").text
    assert "Retirement registry" in page and f'href="/c/{certificate["certificate_id"]}?lang=en"' in page
    assert certificate["serials"][0] in page and "Registry Reader" in page
    assert f'href="/v1/projects/{PROJECT}/registry.jsonl"' in page
    assert "注销登记簿" in invoke("GET", "/registry?lang=zh-CN").text
    project_page = invoke("GET", f"/projects/{PROJECT}?lang=en").text
    assert "Paid by buyers for its retired credits" in project_page and "t CO₂e" in project_page
    assert "¥" in project_page and "已注销" in invoke("GET", f"/projects/{PROJECT}?lang=zh-CN").text
    assert invoke("GET", "/projects/no-such-project?lang=en").status == 404
    position = certificate["registry"]["position"]
    certificate_page = invoke("GET", f"/c/{certificate['certificate_id']}?lang=en").text
    assert f"In the public registry: record {position} of this project" in certificate_page
    assert invoke("GET", "/registry?cursor=forged&lang=en").status == 404


def test_the_audit_finds_a_record_changed_in_the_table(stack, ledger, capsys, published) -> None:
    from infrastructure.admin import main

    client = stack.dynamodb_client()
    item_key = {"PK": {"S": f"REGISTRY#{PROJECT}"}, "SK": {"S": f"SEQ#{1:012d}"}}
    original = client.get_item(TableName=stack.table, Key=item_key)["Item"]
    tampered = json.loads(original["body"]["S"])
    tampered["beneficiary"] = "Someone Else"
    client.put_item(TableName=stack.table, Item={**original, "body": {"S": json.dumps(tampered)}})
    try:
        assert main(["audit"]) == 1
        assert (
            f"BREACH registry {PROJECT}: line 1: its hash does not match its content"
            in capsys.readouterr().err
        )
    finally:
        client.put_item(TableName=stack.table, Item=original)
    assert main(["audit"]) == 0, capsys.readouterr().err
