"""Money you can follow: buyers cancel unpaid orders, money that cannot be kept is paid back once,
events from the wrong provider or without an amount buy nothing, disputes are recorded, and what
each developer is owed and was paid adds up. Against DynamoDB Local, each test on its own project."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import OrderStatus
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.errors import Conflict, Forbidden, InvalidInput
from carbonneutral.payments.signing import sign

from tests.factories import DEMO_FOOTPRINT, an_order_request
from tests.integration.ledger_support import BASE, SECRET, inventory, key, pay

pytestmark = pytest.mark.integration


def balanced(ledger, project_id: str) -> bool:
    inv = inventory(ledger, project_id)
    return inv.balanced and not [b for b in ledger.audit() if b.project_id == project_id]


def test_a_buyer_cancels_an_unpaid_order_and_its_credits_go_back_at_once(
    service, ledger, project, clock
) -> None:
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 30), key(), base_url=BASE)
    token = service.token_for(order)
    with pytest.raises(Forbidden):
        service.cancel(order.order_id, "not-the-token")
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment  # nothing changed
    cancelled = service.cancel(order.order_id, token)
    assert cancelled.status is OrderStatus.cancelled
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (100, 0, 0)
    assert ledger.blocks(project_id, "RESERVED") == []
    assert service.cancel(order.order_id, token).status is OrderStatus.cancelled  # again: the same
    clock.now += timedelta(minutes=31)  # the sweeper later finds nothing of it to release
    service.sweep()
    assert ledger.order(order.order_id).status is OrderStatus.cancelled
    assert inventory(ledger, project_id).available_kg == 100
    assert balanced(ledger, project_id)


def test_a_paid_order_cannot_be_cancelled_retirement_is_final(service, ledger, sandbox, project) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    assert pay(service, sandbox, order).outcome == "retired"
    with pytest.raises(Conflict, match="retirement is final"):
        service.cancel(order.order_id, service.token_for(order))
    assert ledger.order(order.order_id).status is OrderStatus.retired
    assert inventory(ledger, project_id).retired_kg == 10


def test_a_payment_after_cancelling_is_refunded_never_kept(service, ledger, sandbox, project) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    service.cancel(order.order_id, service.token_for(order))
    assert pay(service, sandbox, order).outcome == "refund_due"
    owed = ledger.order(order.order_id)
    assert owed.status is OrderStatus.cancelled and owed.refund is not None
    assert owed.refund.status == "due" and "cancelled" in owed.refund.reason
    assert inventory(ledger, project_id).retired_kg == 0 and ledger.payout(f"dev-{project_id}")[0] == 0
    [(due_order, refund)] = service.refunds_due(order.order_id)
    assert service.pay_refund(due_order, refund).outcome == "refunded"
    back = ledger.order(order.order_id)
    assert back.status is OrderStatus.refunded and back.refund.status == "refunded"
    assert back.refund.refund_ref and back.refund.refunded_at is not None
    with pytest.raises(Conflict, match="no refund due"):  # a second run finds nothing to pay
        service.refunds_due(order.order_id)


def test_a_refund_is_paid_once_whatever_crashes_in_between(service, ledger, sandbox, project) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    service.cancel(order.order_id, service.token_for(order))
    pay(service, sandbox, order)
    [(due_order, refund)] = service.refunds_due(order.order_id)
    # the provider paid it back, and the process died before the ledger heard of it
    crashed = sandbox.refund(due_order, refund, f"refund:{order.order_id}:sandbox:{refund.event_id}")
    assert ledger.order(order.order_id).status is OrderStatus.cancelled
    retried = service.pay_refund(due_order, refund)  # the admin's rerun: the same refund, the same event
    assert retried.outcome == "refunded"
    assert ledger.apply_payment(crashed.event, datetime.now(UTC)).outcome == "duplicate"
    refunds = ledger.refunds_of(order.order_id)
    assert [(r.status, r.refund_ref) for r in refunds] == [("refunded", crashed.refund_ref)]


def test_a_second_payment_of_a_retired_order_is_owed_back_and_the_credits_stay_retired(
    service, ledger, sandbox, project
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    assert pay(service, sandbox, order).outcome == "retired"
    assert pay(service, sandbox, order).outcome == "refund_due"
    twice = ledger.order(order.order_id)
    assert twice.status is OrderStatus.retired and twice.refund.reason == "the order was already settled"
    [(due_order, refund)] = service.refunds_due(order.order_id)
    assert service.pay_refund(due_order, refund).outcome == "refunded"
    after = ledger.order(order.order_id)
    assert after.status is OrderStatus.retired and after.refund.status == "refunded"
    assert inventory(ledger, project_id).retired_kg == 10  # never un-retired
    assert ledger.payout(f"dev-{project_id}") == (Decimal("0.60"), 10)  # one sale, not two


def test_an_event_from_another_provider_buys_nothing_and_is_owed_back(
    service, ledger, sandbox, project
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    foreign = PaymentEvent(
        "stripe", "evt_foreign_" + key(), "succeeded", order.order_id, order.amount, payment_ref="pi_x"
    )
    assert ledger.apply_payment(foreign, datetime.now(UTC)).outcome == "refund_due"
    still = ledger.order(order.order_id)
    assert still.status is OrderStatus.pending_payment and inventory(ledger, project_id).retired_kg == 0
    [refund] = ledger.refunds_of(order.order_id)
    assert refund.provider == "stripe" and "paid through stripe" in refund.reason
    assert pay(service, sandbox, order).outcome == "retired"  # its own provider's payment still buys


def test_an_event_without_an_amount_is_refused_and_nothing_is_recorded(
    service, ledger, sandbox, project
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    body, _ = sandbox.event_for(order, event_id="evt_noamount_" + key())
    event = json.loads(body)
    del event["data"]["amount"]
    stripped = json.dumps(event, separators=(",", ":"))
    headers = {"sandbox-signature": sign(SECRET, stripped)}
    with pytest.raises(InvalidInput) as refused:
        service.receive_webhook("sandbox", stripped, headers, base_url=BASE)
    assert refused.value.field == "amount"
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment
    assert pay(service, sandbox, order, event_id=event["id"]).outcome == "retired"  # the id was not used up


def test_cancelling_while_the_payment_arrives_ends_one_way_or_the_other(
    service, ledger, sandbox, project
) -> None:
    project_id = project((1, 200))
    outcomes = set()
    for _ in range(12):
        order, _ = service.place(an_order_request(project_id, 5), key(), base_url=BASE)
        token, start = service.token_for(order), threading.Barrier(2)

        def cancel(order_id=order.order_id, token=token, start=start):
            start.wait()
            try:
                return service.cancel(order_id, token).status.value
            except Conflict:
                return "too late"

        def paid(order=order, start=start):
            start.wait()
            return pay(service, sandbox, order).outcome

        with ThreadPoolExecutor(max_workers=2) as pool:
            c, p = pool.submit(cancel), pool.submit(paid)
            result = (c.result(), p.result())
        final = ledger.order(order.order_id)
        # either the payment won (retired, the cancel refused) or the cancel did (the payment owed back)
        assert (result, final.status) in {
            (("too late", "retired"), OrderStatus.retired),
            (("cancelled", "refund_due"), OrderStatus.cancelled),
        }, (result, final.status)
        outcomes.add(final.status)
    inv = inventory(ledger, project_id)
    assert inv.reserved_kg == 0 and inv.retired_kg == 5 * sum(
        1 for o in ledger.retired_orders() if o.project_id == project_id
    )
    assert balanced(ledger, project_id)


def test_a_refund_racing_a_late_duplicate_webhook_is_paid_once(service, ledger, sandbox, project) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    assert pay(service, sandbox, order).outcome == "retired"
    second_body, second_headers = sandbox.event_for(order, event_id="evt_second_" + key())
    assert (
        service.receive_webhook("sandbox", second_body, second_headers, base_url=BASE).outcome == "refund_due"
    )
    [(due_order, refund)] = service.refunds_due(order.order_id)
    start = threading.Barrier(3)

    def refund_it():
        start.wait()
        try:
            return service.pay_refund(due_order, refund).outcome
        except Conflict:
            return "busy"

    def redeliver():
        start.wait()
        return service.receive_webhook("sandbox", second_body, second_headers, base_url=BASE).outcome

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = [
            f.result() for f in (pool.submit(refund_it), pool.submit(refund_it), pool.submit(redeliver))
        ]
    assert results[2] == "duplicate"  # the payment's event is applied once: no second refund due
    assert sorted(results[:2]) == ["duplicate", "refunded"]
    assert [r.status for r in ledger.refunds_of(order.order_id)] == ["refunded"]


def test_disputes_and_refunds_made_at_the_provider_are_recorded_against_the_payment(
    service, ledger, sandbox, project
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    pay(service, sandbox, order)
    retired = ledger.order(order.order_id)
    payment_ref = retired.retirement.payment_ref
    assert payment_ref and ledger.order_of_payment("sandbox", payment_ref) == order.order_id
    # events that name only the payment, as Stripe's charge and dispute events do
    disputed = PaymentEvent(
        "sandbox", "evt_dp_" + key(), "disputed", None, order.amount, payment_ref=payment_ref
    )
    assert ledger.apply_payment(disputed, datetime.now(UTC)).outcome == "disputed"
    assert ledger.order(order.order_id).dispute.status == "open"
    partial = Money(amount=Decimal("0.20"))
    outside = PaymentEvent("sandbox", "evt_rf_" + key(), "refunded", None, partial, payment_ref=payment_ref)
    assert ledger.apply_payment(outside, datetime.now(UTC)).outcome == "refunded"
    [refund] = ledger.refunds_of(order.order_id)
    assert (refund.status, refund.amount, refund.reason) == (
        "refunded",
        partial,
        "refunded at the payment provider",
    )
    after = ledger.order(order.order_id)
    assert after.status is OrderStatus.retired and inventory(ledger, project_id).retired_kg == 10
    lost = replace(disputed, event_id="evt_dp2_" + key(), outcome="dispute_lost")
    ledger.apply_payment(lost, datetime.now(UTC))
    assert ledger.order(order.order_id).dispute.status == "lost"


def test_payouts_are_recorded_once_per_reference_and_never_beyond_what_is_owed(
    service, ledger, sandbox, project
) -> None:
    project_id = project((1, 1000), price="100.00")
    developer = f"dev-{project_id}"
    for kg in (100, 50):
        order, _ = service.place(an_order_request(project_id, kg), key(), base_url=BASE)
        pay(service, sandbox, order)
    now = datetime.now(UTC)
    assert ledger.payout_totals(developer) == (Decimal("15.00"), Decimal(0), 150)
    ledger.mark_paid(developer, Money(amount=Decimal("10.00")), "BANK-001", now, "2026-11")
    with pytest.raises(Conflict, match="recorded already") as again:
        ledger.mark_paid(developer, Money(amount=Decimal("10.00")), "BANK-001", now)
    assert again.value.field == "reference"
    with pytest.raises(Conflict, match="outstanding") as beyond:
        ledger.mark_paid(developer, Money(amount=Decimal("5.01")), "BANK-002", now)
    assert beyond.value.field == "amount"
    with pytest.raises(InvalidInput):
        ledger.mark_paid(developer, Money(amount=Decimal("0")), "BANK-003", now)
    assert ledger.payout_totals(developer) == (Decimal("15.00"), Decimal("10.00"), 150)
    assert sorted((s.kg, s.amount.amount) for s in ledger.sales(developer)) == [  # same second: by order id
        (50, Decimal("5.00")),
        (100, Decimal("10.00")),
    ]
    assert ledger.payout_audit(developer) == []

    # a payout total edited behind the ledger's back is caught
    def set_paid(value: str) -> None:
        ledger.client.update_item(
            TableName=ledger._table,
            Key={"PK": {"S": f"DEVELOPER#{developer}"}, "SK": {"S": "PAYOUT"}},
            UpdateExpression="SET paid = :p",
            ExpressionAttributeValues={":p": {"N": value}},
        )

    set_paid("1")
    try:
        assert any("payouts do not add up" in p for p in ledger.payout_audit(developer))
    finally:
        set_paid("10.00")
    assert ledger.payout_audit(developer) == []


def _sold(service, sandbox, project_id: str, quantities: range) -> str:
    """One paid order of each quantity in the project; its developer."""
    for kg in quantities:
        order, _ = service.place(an_order_request(project_id, kg), key(), base_url=BASE)
        pay(service, sandbox, order)
    return f"dev-{project_id}"


def _developer_items(ledger, developer: str, prefix: str) -> list[dict]:
    """The developer's items whose sort key starts with `prefix`, as stored."""
    return ledger.client.query(
        TableName=ledger._table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"DEVELOPER#{developer}"}, ":prefix": {"S": prefix}},
        ConsistentRead=True,
    )["Items"]


def _sharded_items(ledger, developer: str, kind: str) -> dict[str, list[dict]]:
    """The items under each of the developer's partition keys of one kind (PAYOUT or SALES) that has any."""
    from carbonneutral.store.ledger.sales import SHARDS

    by_key = {}
    for shard in range(SHARDS):
        pk = f"DEVELOPER#{developer}#{kind}#{shard:02d}"
        items = ledger.client.query(
            TableName=ledger._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )["Items"]
        if items:
            by_key[pk] = items
    return by_key


def _move(ledger, item: dict, pk: str, sk: str) -> dict:
    """The item moved to another key, as the ledger wrote it there before."""
    ledger.client.delete_item(TableName=ledger._table, Key={"PK": item["PK"], "SK": item["SK"]})
    moved = {**item, "PK": {"S": pk}, "SK": {"S": sk}}
    ledger.client.put_item(TableName=ledger._table, Item=moved)
    return moved


def test_what_a_developer_is_owed_is_spread_over_shards_and_summed_and_audited(
    service, ledger, sandbox, project
) -> None:
    """Issue 17: one developer's sales do not all write one item, nor one partition key; the totals
    and the audit sum the shards, with those written under the developer's own key before."""
    from carbonneutral.store.ledger.sales import SHARDS

    developer = _sold(service, sandbox, project((1, 1000), price="100.00"), range(1, 13))
    shards = _sharded_items(ledger, developer, "PAYOUT")
    assert 4 <= len(shards) <= SHARDS  # twelve sales: the chance all fall in three shards is ~0
    assert (
        all(len(items) == 1 for items in shards.values())
        and _developer_items(ledger, developer, "PAYOUT#") == []
    )
    assert sum(int(items[0]["retired_kg"]["N"]) for items in shards.values()) == 78
    assert ledger.payout_totals(developer) == (Decimal("7.80"), Decimal(0), 78)
    # one shard as the ledger wrote them while they shared the developer's partition key
    first = next(iter(shards.values()))[0]
    legacy = _move(ledger, first, f"DEVELOPER#{developer}", f"PAYOUT#{first['PK']['S'][-2:]}")
    assert ledger.payout_totals(developer) == (Decimal("7.80"), Decimal(0), 78)
    ledger.mark_paid(developer, Money(amount=Decimal("7.80")), "BANK-ALL", datetime.now(UTC))
    assert ledger.payout_totals(developer) == (Decimal("7.80"), Decimal("7.80"), 78)
    assert ledger.payout_audit(developer) == []

    def edit_shard(by: str) -> None:
        ledger.client.update_item(
            TableName=ledger._table,
            Key={"PK": legacy["PK"], "SK": legacy["SK"]},
            UpdateExpression="ADD owed :by",
            ExpressionAttributeValues={":by": {"N": by}},
        )

    edit_shard("1")  # a shard edited behind the ledger's back is caught, as the single total was
    try:
        assert any("sales do not add up" in p for p in ledger.payout_audit(developer))
    finally:
        edit_shard("-1")  # the table is shared: leave no breach for the admin's audit below
    assert ledger.payout_audit(developer) == []


def test_a_developers_sales_are_spread_over_partition_keys_and_read_back_with_those_from_before(
    service, ledger, sandbox, project
) -> None:
    """Sales are under 16 partition keys by their order's id, so one developer's do not all land in
    one partition; reading them (all, or one month's) merges those keys and the entries recorded
    before them under the developer's own key, oldest first, and the audit still balances."""
    developer = _sold(service, sandbox, project((1, 1000), price="100.00"), range(1, 9))
    by_key = _sharded_items(ledger, developer, "SALES")
    entries = [item for items in by_key.values() for item in items]
    assert len(entries) == 8 and len(by_key) >= 3 and _developer_items(ledger, developer, "ENTRY#") == []
    assert all(item["SK"]["S"].endswith("#" + item["order_id"]["S"]) for item in entries)  # {time}#{order}
    # two of them as the ledger wrote sales before: in the developer's key range by order shard, and
    # before that by time alone, a month earlier
    sharded, by_time = entries[0], entries[1]
    _move(ledger, sharded, f"DEVELOPER#{developer}", f"ENTRY#{sharded['PK']['S'][-2:]}#{sharded['SK']['S']}")
    _move(
        ledger,
        by_time,
        f"DEVELOPER#{developer}",
        f"ENTRY#2020-01-31T23:59:59+00:00#{by_time['order_id']['S']}",
    )
    sales = ledger.sales(developer)
    assert len(sales) == 8 and sales[0].order_id == by_time["order_id"]["S"]
    assert sharded["order_id"]["S"] in {sale.order_id for sale in sales}
    assert [(sale.retired_at, sale.order_id) for sale in sales] == sorted(
        (sale.retired_at, sale.order_id) for sale in sales
    )
    month = sales[-1].retired_at[:7]
    this_month = [sale.order_id for sale in sales if sale.retired_at.startswith(month)]
    assert this_month and [sale.order_id for sale in ledger.sales(developer, month)] == this_month
    assert [sale.order_id for sale in ledger.sales(developer, "2020-01")] == [by_time["order_id"]["S"]]
    assert ledger.payout_audit(developer) == []


def test_a_projects_page_reads_its_money_from_its_counters_and_earlier_sales_are_counted_once(
    service, ledger, sandbox, project, monkeypatch
) -> None:
    """Issue 17: a project's public page does not sum its developer's every sale, which grows with
    history: retirements count what was paid beside the kg retired. Sales from before that count are
    summed until `admin count-sales` adds them to the project, once."""
    from carbonneutral.certify.registry import RegistryService
    from carbonneutral.store.ledger.counters import counter_key

    from infrastructure.admin import audit_sold

    project_id = project((1, 1000), price="100.00")
    developer = _sold(service, sandbox, project_id, range(1, 7))  # 21 kg at 0.10 a kg
    registry, real_sales = RegistryService(ledger), ledger.sales

    def no_sales(*args, **kwargs):
        raise AssertionError("the project's page read its developer's sales")

    monkeypatch.setattr(ledger, "sales", no_sales)
    consistent: list[bool] = []  # each read the page makes: strongly consistent or not

    def read(params, **_):
        batches = params.get("RequestItems", {}).values()
        consistent.append(bool(params.get("ConsistentRead") or any(b.get("ConsistentRead") for b in batches)))

    ledger.client.meta.events.register("provide-client-params.dynamodb", read)
    try:
        assert registry.money(project_id).sold == Money(amount=Decimal("2.10"))
    finally:
        ledger.client.meta.events.unregister("provide-client-params.dynamodb", read)
    assert len(consistent) == 4 and not any(consistent)  # a page: half the read units
    monkeypatch.setattr(ledger, "sales", real_sales)
    # two of them as the ledger recorded sales before it counted them: in no counter, unmarked
    earlier = [sale for sale in ledger.sales(developer) if sale.kg in (2, 5)]
    for sale in earlier:
        order = ledger.order(sale.order_id)
        ledger.client.update_item(
            TableName=ledger._table,
            Key=counter_key(project_id, order.counter),
            UpdateExpression="ADD sold :amount, sold_kg :kg",
            ExpressionAttributeValues={
                ":amount": {"N": f"-{sale.amount.amount}"},
                ":kg": {"N": f"-{sale.kg}"},
            },
        )
    for entry in (item for items in _sharded_items(ledger, developer, "SALES").values() for item in items):
        if entry["order_id"]["S"] in {sale.order_id for sale in earlier}:
            ledger.client.update_item(
                TableName=ledger._table,
                Key={"PK": entry["PK"], "SK": entry["SK"]},
                UpdateExpression="REMOVE counted",
            )
    assert ledger.project_sold(project_id)[2:] == (Decimal("1.40"), 14)
    assert registry.money(project_id).sold == Money(amount=Decimal("2.10"))  # summed from the sales
    assert not [b for b in audit_sold() if project_id in b]  # the counted ones match those counted
    assert ledger.count_earlier_sales(project_id, developer) == (Decimal("0.70"), 7)
    assert ledger.count_earlier_sales(project_id, developer) is None  # once: a second run adds nothing
    assert ledger.project_sold(project_id)[2:] == (Decimal("2.10"), 21)
    assert not [b for b in audit_sold() if project_id in b]
    shard = counter_key(project_id, ledger.order(earlier[0].order_id).counter)
    for by in ("0.01", "-0.01"):  # a counter edited behind the ledger's back is caught
        ledger.client.update_item(
            TableName=ledger._table,
            Key=shard,
            UpdateExpression="ADD sold :by",
            ExpressionAttributeValues={":by": {"N": by}},
        )
        assert [b for b in audit_sold() if project_id in b] == (
            [
                f"sold {project_id}: counted 2.11 for 21 kg, its 6 sales add up to 2.1 for 21 kg, 21 kg are retired"
            ]
            if by == "0.01"
            else []
        )
    monkeypatch.setattr(ledger, "sales", no_sales)
    assert registry.money(project_id).sold == Money(amount=Decimal("2.10"))
    monkeypatch.setattr(ledger, "sales", real_sales)
    _sold(service, sandbox, project_id, range(7, 8))  # and later sales are counted as they are made
    assert ledger.project_sold(project_id)[2:] == (Decimal("2.80"), 28)


def test_the_admin_audit_reads_each_developers_sales_and_totals_once(stack, capsys) -> None:
    """The money checks and the sold checks share each developer's sales, and the payout check uses
    the totals the audit printed: every sales partition and owed shard is read once per audit."""
    from collections import Counter

    from carbonneutral.store import aws

    from infrastructure.admin import main

    queried: Counter[str] = Counter()
    fetched: Counter[str] = Counter()

    def note(params, **_) -> None:
        if "KeyConditionExpression" in params:  # "PK = :placeholder ..."
            placeholder = params["KeyConditionExpression"].split()[2]
            queried[params["ExpressionAttributeValues"][placeholder]["S"]] += 1
        for asked in params.get("RequestItems", {}).values():
            fetched.update(k["PK"]["S"] + "/" + k["SK"]["S"] for k in asked["Keys"])

    events = aws.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", note, unique_id="audit-reads")
    try:
        code = main(["audit"])
    finally:
        events.unregister("before-parameter-build.dynamodb", unique_id="audit-reads")
    assert code == 0, capsys.readouterr().err
    sales = {pk: times for pk, times in queried.items() if "#SALES#" in pk}
    owed = {key: times for key, times in fetched.items() if "#PAYOUT#" in key}
    assert sales and owed  # the demo developers' partitions, with sales or without
    assert set(sales.values()) == {1} and set(owed.values()) == {1}, (sales, owed)


def test_the_admin_pays_refunds_states_payouts_and_the_audit_shows_them(invoke, stack, capsys) -> None:
    from carbonneutral.services import ledger as stack_ledger

    from infrastructure.admin import main
    from tests.journeys import pay as pay_through_webhook

    footprint_id = invoke("POST", "/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]

    def place():
        body = {
            "footprint_id": footprint_id,
            "project_id": "cdcer-longquan-forest",
            "beneficiary": {"name": "Li"},
        }
        return invoke("POST", "/v1/orders", json_body=body, headers={"Idempotency-Key": key()})

    order = place().json()
    bearer = {"Authorization": f"Bearer {order['order_token']}"}
    assert (
        invoke(
            "POST", f"/v1/orders/{order['order_id']}/cancel", headers={"Authorization": "Bearer nope"}
        ).status
        == 403
    )
    assert invoke("POST", f"/v1/orders/{order['order_id']}/cancel").status == 401
    cancelled = invoke("POST", f"/v1/orders/{order['order_id']}/cancel", headers=bearer)
    assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.headers["cache-control"] == "no-store"
    # the footprint is free again: another order for it is taken
    again = place()
    assert again.status == 201, again.body
    assert pay_through_webhook(invoke, stack, order) == "refund_due"  # paid after cancelling
    checkout = f"/checkout/{order['order_id']}?lang=en&token={order['order_token']}"
    amount = order["amount"]["amount"]
    assert f"A payment of ¥{amount} could not buy these credits, so it is being returned to you." in (
        invoke("GET", checkout).text
    )
    capsys.readouterr()
    assert main(["refunds", "--list"]) == 0
    assert f"due {order['order_id']}:" in capsys.readouterr().out
    assert main(["refunds", "--order", order["order_id"]]) == 0
    assert f"refunded {order['order_id']}:" in capsys.readouterr().out
    assert main(["refunds", "--order", order["order_id"]]) == 1  # nothing left to pay
    assert "no refund due" in capsys.readouterr().err
    assert main(["refunds", "--order", again.json()["order_id"]]) == 1  # never paid: nothing owed back
    assert "no refund due" in capsys.readouterr().err
    answer = invoke("GET", f"/v1/orders/{order['order_id']}", headers=bearer).json()
    assert answer["status"] == "refunded" and answer["refund"]["status"] == "refunded"
    # the page gives the date in Beijing time, which runs 8 hours ahead of the API's UTC
    refunded_on = (datetime.fromisoformat(answer["refund"]["refunded_at"]) + timedelta(hours=8)).date()
    assert f"¥{amount} was returned to you on {refunded_on.isoformat()}." in invoke("GET", checkout).text
    # the developer's statement and a payout against it
    assert pay_through_webhook(invoke, stack, again.json()) == "retired"
    developer = stack_ledger().order(again.json()["order_id"]).developer_id
    assert main(["statement", developer, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert again.json()["order_id"] in [s["order_id"] for s in document["sales"]]
    assert Decimal(document["owed_to_date"]) == Decimal(document["paid_to_date"]) + Decimal(
        document["outstanding"]
    )
    assert main(["statement", developer, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == "order_id,project_id,kg,amount,currency,retired_at"
        and len(lines) == len(document["sales"]) + 1
    )
    assert main(["count-sales"]) == 0  # projects made by this ledger hold no sales from before the count
    assert "cdcer-longquan-forest: added 0 CNY for 0 kg" in capsys.readouterr().out
    assert main(["count-sales"]) == 0
    assert "cdcer-longquan-forest: counted before, nothing added" in capsys.readouterr().out
    reference = "BANK-" + key()
    assert main(["mark-paid", developer, "--amount", "0.01", "--reference", reference]) == 0
    assert main(["mark-paid", developer, "--amount", "0.01", "--reference", reference]) == 1
    assert "recorded already" in capsys.readouterr().err
    code = main(["audit"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "refunds refunded:" in out.out and f"developer {developer}: owed" in out.out
