"""The public retirement registry: each retirement a record in a lane of its project's hash chain,
written in the retirement's transaction with the lane's signed head, listed and exported for anyone,
and checked offline from the export, the heads and the published keys alone."""

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
from tests.integration.ledger_support import BASE, inventory, items_under, key, pay
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


def lane_of(record: dict) -> int:
    return record.get("lane") or 0  # records made before lanes have none: lane 0


def lanes(records: list[dict]) -> dict[int, list[dict]]:
    """Each lane's records, in export order."""
    found: dict[int, list[dict]] = {}
    for record in records:
        found.setdefault(lane_of(record), []).append(record)
    return found


def record_of(records: list[dict], ref: dict) -> dict:
    """The record a certificate's registry reference names."""
    return lanes(records)[lane_of(ref)][ref["position"] - 1]


def test_the_export_the_signed_head_and_a_certificate_check_out_offline(published) -> None:
    problems, count = problems_of(
        published["export"], published["head"], published["keys"], published["certificate"]
    )
    assert problems == [] and count >= 1
    records, heads, certificate = (
        lines(published["export"]),
        json.loads(published["head"]),
        json.loads(published["certificate"]),
    )
    assert heads["project_id"] == PROJECT and heads["heads"][0].get("lane", 0) == 0
    chains = lanes(records)
    assert sorted(lane_of(h) for h in heads["heads"]) == sorted(chains)  # one head per lane with records
    for head in heads["heads"]:
        chain = chains[lane_of(head)]
        assert head["count"] == len(chain) and head["hash"] == chain[-1]["hash"] and head["signature"]
        assert [r["position"] for r in chain] == list(range(1, len(chain) + 1))
        assert chain[0]["previous"] == GENESIS
        assert all(b["previous"] == a["hash"] for a, b in itertools.pairwise(chain))
    mine = record_of(records, certificate["registry"])
    assert (
        mine["certificate_id"] == certificate["certificate_id"] and mine["beneficiary"] == "Registry Reader"
    )
    assert mine["serials"] == certificate["serials"] and mine["kg"] == certificate["quantity_kg"]
    assert any(r["beneficiary"] == "E**" for r in records)  # a person who did not choose a full name
    # a head saved before lanes, one signed document, is read as lane 0's
    [first] = [h for h in heads["heads"] if lane_of(h) == 0]
    lane_0 = "".join(json.dumps(r) + "\n" for r in chains[0])
    assert problems_of(lane_0, json.dumps(first), published["keys"]) == ([], len(chains[0]))
    forged = {**first, "count": first["count"] - 1}
    assert any("not genuine" in p for p in problems_of(lane_0, json.dumps(forged), published["keys"])[0])


def test_a_tampered_reordered_or_truncated_export_is_refused(published) -> None:
    every = published["export"].splitlines()
    longest = max(lanes(lines(published["export"])).values(), key=len)
    lane = lane_of(longest[0])
    records = [line for line in every if lane_of(json.loads(line)) == lane]  # that lane's, in order
    others = [line for line in every if lane_of(json.loads(line)) != lane]
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
        problems, _ = problems_of("\n".join(others + export) + "\n", published["head"], published["keys"])
        assert problems, f"a {what} export passed"
    heads = json.loads(published["head"])
    forged = [{**h, "count": len(records) - 1} if lane_of(h) == lane else h for h in heads["heads"]]
    problems, _ = problems_of(
        "\n".join(others + records[:-1]), json.dumps({**heads, "heads": forged}), published["keys"]
    )
    assert any("is not genuine" in p for p in problems)  # a truncation cannot re-sign the head
    # a head of one lane does not vouch for another lane's records
    moved = [{**h, "lane": (lane + 1) % 16} if lane_of(h) == lane else h for h in heads["heads"]]
    problems, _ = problems_of(published["export"], json.dumps({**heads, "heads": moved}), published["keys"])
    assert problems


def test_a_certificate_is_checked_against_its_own_record(published) -> None:
    certificate = json.loads(published["certificate"])
    for where in ({"position": 1}, {"lane": (lane_of(certificate["registry"]) + 1) % 16}):
        elsewhere = {**certificate, "registry": {**certificate["registry"], **where}}
        problems, _ = problems_of(
            published["export"], published["head"], published["keys"], json.dumps(elsewhere)
        )
        assert any("not genuine" in p for p in problems)  # its signature covers where its record is
    records = lines(published["export"])
    mine = record_of(records, certificate["registry"])
    without_mine = [r for r in records if r["hash"] != mine["hash"]]
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


def test_concurrent_retirements_of_one_project_keep_every_lane_intact(
    service, ledger, sandbox, project
) -> None:
    """Retirements that collide move to other lanes: however they spread, each lane is one chain
    from position 1, its signed head names its last record, and together they hold every kg."""
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
    raw = [r.model_dump(mode="json", by_alias=True) for r in records]
    for chain in lanes(raw).values():
        assert [r["position"] for r in chain] == list(range(1, len(chain) + 1))
    from carbonneutral.domain.registry import check_chain

    heads = ledger.signed_heads(project_id)
    assert len(heads) == len(lanes(raw)) and check_chain(raw, heads) == []
    assert sum(h["count"] for h in heads) == len(records) == 16
    assert sum(r.kg for r in records) == inventory(ledger, project_id).retired_kg == 16 * 7
    serials = sorted((a, b) for r in records for a, b in r.ranges)
    assert all(x[1] < y[0] for x, y in itertools.pairwise(serials))  # no serial twice


def test_a_retirement_that_loses_its_lane_takes_another_and_stays_there(
    service, ledger, sandbox, project
) -> None:
    """A quiet project has one lane; a retirement beaten to its lane's next position moves to
    another lane at once (no backoff), and this process's next retirements of the project follow it."""
    from carbonneutral.domain.registry import check_chain

    project_id = project((1, 1000))
    first, second, third = (
        service.place(an_order_request(project_id, 5), key(), base_url=BASE)[0] for _ in range(3)
    )
    raced: list[str] = []

    def race(**_: object) -> None:  # just before `first` writes, `second` takes lane 0's next position
        if not raced:
            raced.append("racing")
            raced[0] = pay(service, sandbox, second).outcome

    ledger.client.meta.events.register("before-call.dynamodb.TransactWriteItems", race)
    try:
        assert pay(service, sandbox, first).outcome == "retired" and raced == ["retired"]
    finally:
        ledger.client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", race)
    assert pay(service, sandbox, third).outcome == "retired"
    records = [r.model_dump(mode="json", by_alias=True) for r in ledger.every_record(project_id)]
    chains = lanes(records)
    assert len(chains) == 2 and [r["kg"] for r in chains[0]] == [5]
    [moved] = [lane for lane in chains if lane]
    assert [(r["position"], r["kg"]) for r in chains[moved]] == [(1, 5), (2, 5)]
    assert check_chain(records, ledger.signed_heads(project_id)) == []


def test_each_lane_has_a_key_of_its_own_and_a_lane_begun_under_the_projects_key_goes_on_there(
    service, ledger, sandbox, project, stack
) -> None:
    """Lanes 1-15 live under partition keys of their own (`REGISTRY#p#Lnn`), each marked under the
    project's key by its first record; a lane begun under the project's key before that goes on
    there; and a lane someone else begins under the project's key first is left to them, never
    forked: the retirement takes another lane. Listing, export, heads and audit read both places."""
    from carbonneutral.domain.registry import check_chain
    from carbonneutral.store.ledger import registry, retirements

    client = stack.dynamodb_client()
    project_id = project((1, 1000))
    at_project = f"REGISTRY#{project_id}"
    orders = [service.place(an_order_request(project_id, 4), key(), base_url=BASE)[0] for _ in range(6)]

    def on_lane(lane: int, order) -> None:
        retirements._LANE_TAKEN[(stack.table, project_id)] = lane
        assert pay(service, sandbox, order).outcome == "retired"

    on_lane(0, orders[0])
    on_lane(3, orders[1])
    on_lane(3, orders[2])
    assert sorted(items_under(stack, f"{at_project}#L03")) == ["HEAD", "SEQ#000000000001", "SEQ#000000000002"]
    assert items_under(stack, f"{at_project}#L03")["HEAD"]["count"]["N"] == "2"
    mine = items_under(stack, at_project)
    assert sorted(mine) == ["HEAD", "HEAD#03", "SEQ#000000000001"]
    assert mine["HEAD#03"]["type"]["S"] == "registry_lane" and "body" not in mine["HEAD#03"]

    # lane 5 as it was written before lanes had keys of their own, seen by a process new to it
    on_lane(5, orders[3])
    own = items_under(stack, f"{at_project}#L05")
    client.put_item(
        TableName=stack.table, Item={**own["HEAD"], "PK": {"S": at_project}, "SK": {"S": "HEAD#05"}}
    )
    record = {**own["SEQ#000000000001"], "PK": {"S": at_project}, "SK": {"S": "SEQ#L05#000000000001"}}
    client.put_item(TableName=stack.table, Item=record)
    for sk in own:
        client.delete_item(TableName=stack.table, Key={"PK": {"S": f"{at_project}#L05"}, "SK": {"S": sk}})
    registry._LANE_AT_PROJECT.clear()
    on_lane(5, orders[4])
    assert items_under(stack, f"{at_project}#L05") == {}
    mine = items_under(stack, at_project)
    assert mine["HEAD#05"]["type"]["S"] == "registry_head" and mine["HEAD#05"]["count"]["N"] == "2"
    assert "SEQ#L05#000000000002" in mine

    # lane 7 begun under the project's key by another retirement (one made before this layout) just
    # before this one's transaction: this one takes another lane and lane 7 gets no key of its own
    def begun_elsewhere(**_: object) -> None:
        if not raced:
            raced.append(True)
            client.put_item(TableName=stack.table, Item={**mine["HEAD"], "SK": {"S": "HEAD#07"}})

    raced: list[bool] = []
    ledger.client.meta.events.register("before-call.dynamodb.TransactWriteItems", begun_elsewhere)
    try:
        on_lane(7, orders[5])
    finally:
        ledger.client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", begun_elsewhere)
    assert raced and items_under(stack, f"{at_project}#L07") == {}
    assert retirements._LANE_TAKEN[(stack.table, project_id)] != 7
    client.delete_item(TableName=stack.table, Key={"PK": {"S": at_project}, "SK": {"S": "HEAD#07"}})

    records = ledger.every_record(project_id)
    places = [(r.lane or 0, r.position) for r in records]
    assert len(places) == 6 and places == sorted(places)
    assert {(0, 1), (3, 1), (3, 2), (5, 1), (5, 2)} < set(places)
    heads = ledger.signed_heads(project_id)
    assert [h.get("lane") or 0 for h in heads] == sorted({lane for lane, _ in places})
    assert check_chain([r.model_dump(mode="json", by_alias=True) for r in records], heads) == []
    assert ledger.chain_problems(project_id, 6 * 4) == ([], records)
    for limit in (1, 2, 50):  # the listing pages through both places, lane by lane
        paged, after = [], (0, 0)
        while after is not None:
            page, after = ledger.registry_records(project_id, after, limit)
            paged += page
        assert paged == records


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
    assert problems == [] and count > sum(h["count"] for h in json.loads(published["head"])["heads"])


def test_the_listing_pages_with_its_own_cursors_and_refuses_others(invoke, published) -> None:
    first = invoke("GET", "/v1/retirements?limit=1").json()
    assert len(first["items"]) == 1 and first["cursor"]
    second = invoke("GET", f"/v1/retirements?limit=1&cursor={first['cursor']}").json()
    assert second["items"] and second["items"][0]["hash"] != first["items"][0]["hash"]
    assert second["items"][0]["retired_at"] <= first["items"][0]["retired_at"]  # newest first
    export = lines(invoke("GET", f"/v1/projects/{PROJECT}/registry.jsonl").text)
    chain = invoke("GET", f"/v1/retirements?project_id={PROJECT}&limit=2").json()
    assert [r["hash"] for r in chain["items"]] == [r["hash"] for r in export[:2]]  # as exported
    second = export[1]
    assert chain["cursor"] == (
        f"after:{second['lane']}.{second['position']}" if lane_of(second) else f"after:{second['position']}"
    )
    nxt = invoke("GET", f"/v1/retirements?project_id={PROJECT}&limit=2&cursor={chain['cursor']}").json()
    assert nxt["items"][0]["hash"] == export[2]["hash"]
    for bad in ("after:2", "before:x", "PK=ORDER", "after:16.1"):
        target = (
            f"/v1/retirements?cursor={bad}"
            if bad not in ("before:x", "after:16.1")
            else f"/v1/retirements?project_id={PROJECT}&cursor={bad}"
        )
        answer = invoke("GET", target)
        assert answer.status == 400 and answer.json()["errors"][0]["field"] == "cursor", (bad, answer.body)
    assert invoke("GET", "/v1/retirements?project_id=no-such-project").status == 404
    assert invoke("GET", "/v1/projects/no-such-project/registry.jsonl").status == 404


def test_the_newest_first_listing_merges_its_shards_and_the_records_from_before_them(
    invoke, stack, published
) -> None:
    """Every project's records, paged two at a time, are every record in the table newest first, once
    each: records spread over the listing's shards and one kept under the key used before them."""
    from carbonneutral.store.ledger.registry import LISTING_KEYS

    for _ in range(4):
        retire(invoke, stack, name="Listing Reader", kg=7)
    client = stack.dynamodb_client()
    records = [
        item
        for page in client.get_paginator("scan").paginate(
            TableName=stack.table,
            FilterExpression="#type = :record",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={":record": {"S": "registry_record"}},
        )
        for item in page["Items"]
    ]
    oldest = min(records, key=lambda item: item["GSI1SK"]["S"])  # as a record from before the shards
    client.update_item(
        TableName=stack.table,
        Key={"PK": oldest["PK"], "SK": oldest["SK"]},
        UpdateExpression="SET GSI1PK = :before",
        ExpressionAttributeValues={":before": {"S": "REGISTRY"}},
    )
    oldest["GSI1PK"] = {"S": "REGISTRY"}
    assert len({item["GSI1PK"]["S"] for item in records}) >= 3
    assert {item["GSI1PK"]["S"] for item in records} <= set(LISTING_KEYS)
    newest_first = [
        json.loads(item["body"]["S"])["hash"]
        for item in sorted(records, key=lambda item: item["GSI1SK"]["S"], reverse=True)
    ]
    paged, cursor = [], ""
    while True:
        page = invoke("GET", "/v1/retirements?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        paged += [record["hash"] for record in page["items"]]
        if not page.get("cursor"):
            break
        cursor = page["cursor"]
    assert paged == newest_first


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
    ref = certificate["registry"]
    label = f"{ref['lane']}·{ref['position']}" if lane_of(ref) else str(ref["position"])
    certificate_page = invoke("GET", f"/c/{certificate['certificate_id']}?lang=en").text
    assert f"In the public registry: record {label} of this project" in certificate_page
    assert invoke("GET", "/registry?cursor=forged&lang=en").status == 404


def test_the_audit_finds_a_record_changed_in_the_table(stack, ledger, capsys, published) -> None:
    from carbonneutral.store.ledger.registry import record_key

    from infrastructure.admin import main

    client = stack.dynamodb_client()
    item_key = record_key(PROJECT, 0, 1)
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
