"""Credits are never oversold, never retired twice, and money is never kept for nothing.

Every test gets a project of its own, issued fresh in DynamoDB Local.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import OrderStatus
from carbonneutral.domain.projects import SerialRange
from carbonneutral.domain.purchase import PurchaseService
from carbonneutral.errors import Conflict, IdempotencyKeyReused, InsufficientCredits, ServiceUnavailable
from carbonneutral.payments.sandbox import SandboxProvider
from carbonneutral.store.ledger import CreditLedger

from tests.factories import DEMO_FOOTPRINT, an_order_request
from tests.integration.ledger_support import (
    BASE,
    SECRET,
    audited_with,
    counting,
    inventory,
    items_under,
    key,
    pay,
)

pytestmark = pytest.mark.integration


def test_reserving_splits_a_block_lowest_serials_first(service, ledger, project) -> None:
    project_id = project((1, 100))
    order, created = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    assert created and order.status is OrderStatus.pending_payment
    assert order.reserved == [SerialRange(first=1, last=10)]
    assert ledger.blocks(project_id, "RESERVED") == [SerialRange(first=1, last=10)]
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=11, last=100)]
    inv = inventory(ledger, project_id)
    assert (inv.issued_kg, inv.available_kg, inv.reserved_kg, inv.retired_kg) == (100, 90, 10, 0)
    assert order.amount == Money(amount=Decimal("0.60"))  # 10 kg at 60 CNY/t


def test_an_order_can_span_several_blocks(service, ledger, project) -> None:
    project_id = project((1, 5), (11, 20))
    order, _ = service.place(an_order_request(project_id, 8), key(), base_url=BASE)
    assert order.reserved == [SerialRange(first=1, last=5), SerialRange(first=11, last=13)]
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=14, last=20)]


def test_payment_retires_the_reserved_serials_in_the_beneficiarys_name(
    service, ledger, sandbox, project
) -> None:
    project_id = project((1, 100), price="85.00")
    order, _ = service.place(an_order_request(project_id, 40), key(), base_url=BASE)
    applied = pay(service, sandbox, order)
    assert applied.outcome == "retired"
    retired = ledger.order(order.order_id)
    assert retired.status is OrderStatus.retired
    assert retired.retirement.labels == [f"CDCER-{project_id}-2024-1-40"]
    assert retired.retirement.beneficiary.name == "李雷"
    assert ledger.blocks(project_id, "RETIRED") == [SerialRange(first=1, last=40)]
    assert ledger.blocks(project_id, "RESERVED") == []
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (60, 0, 40)
    assert ledger.payout(f"dev-{project_id}") == (
        Decimal("3.40"),
        40,
    )  # 40 kg at 85 CNY/t goes to the developer


def test_the_same_event_twice_is_applied_once(service, ledger, sandbox, project) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    body, headers = sandbox.event_for(order, event_id="evt_once")
    assert service.receive_webhook("sandbox", body, headers, base_url=BASE).outcome == "retired"
    assert service.receive_webhook("sandbox", body, headers, base_url=BASE).outcome == "duplicate"
    assert ledger.payout(f"dev-{project_id}") == (Decimal("0.60"), 10)
    assert inventory(ledger, project_id).retired_kg == 10


def test_events_in_any_order_end_the_same(service, ledger, sandbox, project) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    assert pay(service, sandbox, order, outcome="payment.failed").outcome == "ignored"
    assert pay(service, sandbox, order).outcome == "retired"
    assert pay(service, sandbox, order, outcome="checkout.expired").outcome == "ignored"
    assert ledger.order(order.order_id).status is OrderStatus.retired
    assert inventory(ledger, project_id).retired_kg == 10


def test_unpaid_orders_expire_and_release_their_credits(service, ledger, project, clock) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 30), key(), base_url=BASE)
    assert service.sweep() == 0  # not yet due
    clock.now += timedelta(minutes=31)
    assert service.sweep() >= 1
    assert ledger.order(order.order_id).status is OrderStatus.expired
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg) == (100, 0)
    # the expired serials 1-30 join the available 31-100: one block again
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=1, last=100)]


def test_a_payment_after_expiry_is_marked_for_refund_not_kept(
    service, ledger, sandbox, project, clock
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 30), key(), base_url=BASE)
    clock.now += timedelta(minutes=31)
    service.sweep()
    applied = pay(service, sandbox, order)
    assert applied.outcome == "refund_due"
    failed = ledger.order(order.order_id)
    assert failed.status is OrderStatus.failed
    assert failed.refund.amount == order.amount and "expired" in failed.refund.reason
    assert inventory(ledger, project_id).retired_kg == 0
    assert ledger.payout(f"dev-{project_id}") == (Decimal(0), 0)


def test_a_wrong_amount_fails_the_order_with_a_refund_and_frees_the_credits(
    service, ledger, sandbox, project
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    applied = pay(service, sandbox, order, amount=Money(amount=Decimal("0.01")))
    assert applied.outcome == "refund_due"
    assert ledger.order(order.order_id).status is OrderStatus.failed
    assert inventory(ledger, project_id).available_kg == 100


def test_forged_and_stale_signatures_are_refused(service, sandbox, project) -> None:
    from carbonneutral.errors import InvalidSignature

    project_id = project()
    order, _ = service.place(an_order_request(project_id, 1), key(), base_url=BASE)
    forged_body, _ = SandboxProvider("another-secret-0123456789").event_for(order)
    _, headers = sandbox.event_for(order)
    with pytest.raises(InvalidSignature):
        service.receive_webhook("sandbox", forged_body, headers, base_url=BASE)
    stale_body, stale_headers = sandbox.event_for(order, timestamp=int(datetime.now(UTC).timestamp()) - 301)
    with pytest.raises(InvalidSignature):
        service.receive_webhook("sandbox", stale_body, stale_headers, base_url=BASE)


def test_ordering_more_than_is_available_is_a_conflict(service, project) -> None:
    project_id = project((1, 100))
    with pytest.raises(InsufficientCredits):
        service.place(an_order_request(project_id, 101), key(), base_url=BASE)


def test_same_key_same_body_gives_the_same_order_and_another_body_is_refused(service, project) -> None:
    project_id = project()
    k = key()
    first, created = service.place(an_order_request(project_id, 5), k, base_url=BASE)
    again, created_again = service.place(an_order_request(project_id, 5), k, base_url=BASE)
    assert created and not created_again and again.order_id == first.order_id
    with pytest.raises(IdempotencyKeyReused):
        service.place(an_order_request(project_id, 6), k, base_url=BASE)


def test_issuance_refuses_overlapping_serials(ledger, project) -> None:
    project_id = project((1, 100))
    with pytest.raises(Conflict):
        ledger.issue(project_id, [SerialRange(first=100, last=150)])
    with pytest.raises(Conflict):
        ledger.issue(project_id, [SerialRange(first=200, last=300), SerialRange(first=250, last=260)])
    assert ledger.issue(project_id, [SerialRange(first=101, last=150)]) == 50
    assert inventory(ledger, project_id).issued_kg == 150


def test_an_issuance_made_while_another_checks_for_overlaps_is_not_overlapped(stack, ledger, project) -> None:
    """Two issuances of overlapping serials at once: the other lands as this one reads the project's
    version. This one used to read the version after the blocks, so it missed the other's serials
    and its condition held; now it reads the version first and sees them."""
    project_id = project((1, 100))
    other = CreditLedger(stack.table, stack.dynamodb_client())
    landed: list[int] = []

    def meanwhile(params, **_):
        if params.get("ProjectionExpression") == "issuance_version" and not landed:
            landed.append(other.issue(project_id, [SerialRange(first=201, last=300)]))

    ledger.client.meta.events.register("before-parameter-build.dynamodb.GetItem", meanwhile)
    with pytest.raises(Conflict):
        ledger.issue(project_id, [SerialRange(first=251, last=350)])
    assert landed == [100]
    assert inventory(ledger, project_id).issued_kg == 200
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_an_issuance_sees_serials_that_move_back_while_it_reads(stack, ledger, service, project) -> None:
    """An order holds serials 1-10 when an issuance of 3-8 starts; it is cancelled after the
    issuance's first read, so its blocks go back from its shard's key to the project's. Checked
    against the blocks key by key, the issuance read the project's key before they came back and the
    shard's after they left, and issued 3-8 a second time; the issuances' records never move."""
    project_id = project((1, 100))
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    assert order.reserved == [SerialRange(first=1, last=10)]
    issuer, reads, _ = _cancelling_after(stack, ledger, order, None, "query")  # the check's first read
    with pytest.raises(Conflict, match="overlap issued serials 1-100"):
        issuer.issue(project_id, [SerialRange(first=3, last=8)])
    assert reads == ["version", "query"] and inventory(ledger, project_id).issued_kg == 100
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=1, last=100)]
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def _cancelling_after(
    stack, ledger, order, pk: str | None, label: str
) -> tuple[CreditLedger, list[str], list[str]]:
    """A ledger with a client of its own whose first query (of `pk`, or of any key) after it read the
    project's version cancels `order` (with `ledger`'s client: the hooks are on the issuer's only);
    with the reads it noted ("version", then `label`) and the keys it queried."""
    issuer = CreditLedger(stack.table, stack.dynamodb_client())
    reads: list[str] = []
    keys: list[str] = []

    def before_a_read(params, **_) -> None:
        if params.get("ProjectionExpression") == "issuance_version":
            reads.append("version")
        if "KeyConditionExpression" in params:
            keys.append(params["ExpressionAttributeValues"][":pk"]["S"])

    def after_a_query(**_) -> None:
        if reads == ["version"] and pk in (None, keys[-1]):
            reads.append(label)
            ledger.cancel(order)

    issuer.client.meta.events.register("before-parameter-build.dynamodb", before_a_read)
    issuer.client.meta.events.register("after-call.dynamodb.Query", after_a_query)
    return issuer, reads, keys


def test_the_audit_finds_serials_no_issuance_issued_even_where_the_counters_agree(
    stack, ledger, project
) -> None:
    project_id = project((1, 100))
    client = stack.dynamodb_client()
    stray = {"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": f"AVAILABLE#{201:012d}"}}

    def counters(by: int) -> None:
        client.update_item(
            TableName=stack.table,
            Key={"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": "PROJECT"}},
            UpdateExpression="ADD issued_kg :by, available_kg :by",
            ExpressionAttributeValues={":by": {"N": str(by)}},
        )

    client.put_item(
        TableName=stack.table,
        Item={**stray, "type": {"S": "credit_block"}, "first": {"N": "201"}, "last": {"N": "210"}},
    )
    counters(+10)
    try:
        problems = [b.problem for b in ledger.audit() if b.project_id == project_id]
    finally:
        client.delete_item(TableName=stack.table, Key=stray)
        counters(-10)
    assert problems == ["blocks hold serials [(1, 100), (201, 210)], the issuances issued [(1, 100)]"]
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def _as_issued_before_the_records(stack, project_id: str) -> None:
    record = {"PK": {"S": f"PROJECT#{project_id}#ISSUED"}, "SK": {"S": "ISSUANCE#000001"}}
    stack.dynamodb_client().delete_item(TableName=stack.table, Key=record)


def test_a_project_issued_before_the_records_is_checked_against_its_blocks_and_then_recorded(
    stack, ledger, project
) -> None:
    project_id = project((1, 100))
    _as_issued_before_the_records(stack, project_id)
    with pytest.raises(Conflict, match="overlap issued serials 1-100"):
        ledger.issue(project_id, [SerialRange(first=100, last=120)])
    assert set(items_under(stack, f"PROJECT#{project_id}#ISSUED")) == set()
    assert ledger.issue(project_id, [SerialRange(first=101, last=120)]) == 20
    records = items_under(stack, f"PROJECT#{project_id}#ISSUED")
    assert set(records) == {"BEFORE#000001", "ISSUANCE#000002"}
    assert records["BEFORE#000001"]["ranges"]["S"] == "[[1, 100]]"  # what its blocks held
    client = stack.dynamodb_client()
    stray = {"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": f"AVAILABLE#{301:012d}"}}
    client.put_item(TableName=stack.table, Item={**stray, "first": {"N": "301"}, "last": {"N": "301"}})
    try:  # the audit now knows every serial issued
        problems = [b.problem for b in ledger.audit() if b.project_id == project_id]
    finally:
        client.delete_item(TableName=stack.table, Key=stray)
    assert "blocks hold serials [(1, 120), (301, 301)], the issuances issued [(1, 120)]" in problems
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_the_largest_issuance_of_a_project_from_before_the_records_fits_one_transaction(
    stack, ledger, project
) -> None:
    """90 blocks (0.99 t, then 1 t each) cut into 97 pieces over 8 pools, with the project item and both
    records: 100 items, DynamoDB's limit for one transaction."""
    project_id = project((1, 100))
    _as_issued_before_the_records(stack, project_id)
    blocks, first = [], 1_001
    for size in [990] + [1_000] * 89:
        blocks.append(SerialRange(first=first, last=first + size - 1))
        first += size + 1  # apart: no two meet
    transactions: list[int] = []
    ledger.client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: transactions.append(len(params["TransactItems"])),
    )
    assert ledger.issue(project_id, blocks) == 89_990
    assert transactions == [100]
    assert set(items_under(stack, f"PROJECT#{project_id}#ISSUED")) == {"BEFORE#000001", "ISSUANCE#000002"}
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_a_project_issued_before_the_records_is_read_again_when_serials_move_while_it_reads(
    stack, ledger, service, project
) -> None:
    """As above, for a project issued before the records: its blocks are read key by key, and the order
    is cancelled right after the project's key was read, so that read misses serials 1-10. It no longer
    holds the 100 kg issued, so it is read again, finds them, and the issuance of 3-8 is refused."""
    project_id = project((1, 100))
    _as_issued_before_the_records(stack, project_id)
    order, _ = service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    issuer, reads, keys = _cancelling_after(
        stack, ledger, order, f"PROJECT#{project_id}", "the project's key"
    )
    with pytest.raises(Conflict, match="overlap issued serials 1-100"):
        issuer.issue(project_id, [SerialRange(first=3, last=8)])
    assert reads == ["version", "the project's key"]
    assert keys.count(f"PROJECT#{project_id}") >= 3  # the project's figures, then its blocks twice
    assert inventory(ledger, project_id).issued_kg == 100
    assert set(items_under(stack, f"PROJECT#{project_id}#ISSUED")) == set()
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_the_admin_records_a_project_issued_before_the_records_so_the_audit_checks_its_serials(
    stack, ledger, service, project, capsys
) -> None:
    """`record-issuances` reads an old project's blocks as an issuance would (credits reserved included)
    and records them without issuing anything; from then on the audit finds a serial no issuance
    issued, which it could not before."""
    from infrastructure.admin import main

    project_id = project((1, 100), (201, 250))
    service.place(an_order_request(project_id, 10), key(), base_url=BASE)
    _as_issued_before_the_records(stack, project_id)
    assert project_id in ledger.unrecorded()
    client = stack.dynamodb_client()
    stray = {"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": f"AVAILABLE#{301:012d}"}}

    def audited_with_a_stray_serial() -> list[str]:
        client.put_item(TableName=stack.table, Item={**stray, "first": {"N": "301"}, "last": {"N": "301"}})
        try:
            return [b.problem for b in ledger.audit() if b.project_id == project_id]
        finally:
            client.delete_item(TableName=stack.table, Key=stray)

    assert not any("the issuances issued" in p for p in audited_with_a_stray_serial())
    assert main(["audit"]) == 0
    assert f"{project_id}: issued before issuances were recorded" in capsys.readouterr().out
    assert main(["record-issuances"]) == 0
    assert f"{project_id}: recorded 150 kg issued" in capsys.readouterr().out
    records = items_under(stack, f"PROJECT#{project_id}#ISSUED")
    assert (
        set(records) == {"BEFORE#000001"}
        and records["BEFORE#000001"]["ranges"]["S"] == "[[1, 100], [201, 250]]"
    )
    assert inventory(ledger, project_id).issued_kg == 150 and project_id not in ledger.unrecorded()
    assert (
        "blocks hold serials [(1, 100), (201, 250), (301, 301)], the issuances issued [(1, 100), (201, 250)]"
        in (audited_with_a_stray_serial())
    )
    assert main(["record-issuances"]) == 0
    assert f"{project_id}: every issuance recorded, nothing added" in capsys.readouterr().out
    with pytest.raises(Conflict, match="overlap issued serials 201-250"):
        ledger.issue(project_id, [SerialRange(first=240, last=260)])
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_recording_an_old_project_while_it_is_issued_refuses_and_leaves_the_issuances_records(
    stack, ledger, project
) -> None:
    """An issuance lands between the recording's read of the blocks and its transaction: the recording
    is refused, and the records are the issuance's (what it read, and its own)."""
    project_id = project((1, 100))
    _as_issued_before_the_records(stack, project_id)
    recorder = CreditLedger(stack.table, stack.dynamodb_client())
    issued: list[int] = []

    def issue_first(**_) -> None:
        if not issued:
            issued.append(ledger.issue(project_id, [SerialRange(first=101, last=120)]))

    recorder.client.meta.events.register("before-call.dynamodb.TransactWriteItems", issue_first)
    with pytest.raises(Conflict, match="an issuance changed the project meanwhile"):
        recorder.record_issued(project_id)
    assert issued == [20]
    records = items_under(stack, f"PROJECT#{project_id}#ISSUED")
    assert set(records) == {"BEFORE#000001", "ISSUANCE#000002"}
    assert recorder.record_issued(project_id) is None
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_recording_refuses_when_the_project_was_issued_meanwhile_by_code_that_writes_no_such_record(
    stack, ledger, project
) -> None:
    """As above, with the issuance made by code from 2430883 (still running during a deploy): it writes
    its own record but no record of what came before it. The recording's check that the version is
    unchanged refuses it; run again, it records every serial up to the new version."""
    project_id = project((1, 100))
    _as_issued_before_the_records(stack, project_id)
    recorder = CreditLedger(stack.table, stack.dynamodb_client())
    client, issued = stack.dynamodb_client(), []

    def issue_as_2430883(**_) -> None:
        if issued:
            return
        issued.append(2)
        client.update_item(
            TableName=stack.table,
            Key={"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": "PROJECT"}},
            UpdateExpression="ADD issuance_version :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        client.put_item(
            TableName=stack.table,
            Item={
                "PK": {"S": f"PROJECT#{project_id}#ISSUED"},
                "SK": {"S": "ISSUANCE#000002"},
                "version": {"N": "2"},
                "ranges": {"S": "[]"},
            },
        )

    recorder.client.meta.events.register("before-call.dynamodb.TransactWriteItems", issue_as_2430883)
    with pytest.raises(Conflict, match="an issuance changed the project meanwhile"):
        recorder.record_issued(project_id)
    assert set(items_under(stack, f"PROJECT#{project_id}#ISSUED")) == {"ISSUANCE#000002"}
    assert recorder.record_issued(project_id) == 100
    assert set(items_under(stack, f"PROJECT#{project_id}#ISSUED")) == {"BEFORE#000002", "ISSUANCE#000002"}


def test_sixty_four_buyers_never_oversell_a_hundred_kilograms(service, ledger, sandbox, project) -> None:
    project_id = project((1, 100))
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(i: int) -> None:
        try:
            order, _ = service.place(
                an_order_request(project_id, 1 + i % 3, name=f"buyer {i}"), key(), base_url=BASE
            )
            if i % 2 == 0:
                pay(service, sandbox, order)
            result = "ok"
        except InsufficientCredits:
            result = "sold out"
        except Conflict:
            result = "busy"
        with lock:
            outcomes.append(result)

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(buy, range(500)))
    assert len(outcomes) == 500
    inv = inventory(ledger, project_id)
    assert inv.reserved_kg + inv.retired_kg == 100 and inv.available_kg == 0
    assert inv.issued_kg == inv.available_kg + inv.reserved_kg + inv.retired_kg
    taken = sorted(
        ledger.blocks(project_id, "RESERVED") + ledger.blocks(project_id, "RETIRED"), key=lambda r: r.first
    )
    serials = [n for block in taken for n in range(block.first, block.last + 1)]
    assert serials == list(range(1, 101))  # every serial once, none twice
    assert [b for b in ledger.audit() if b.project_id == project_id] == []


def test_one_key_sent_fifty_times_at_once_makes_one_order(service, ledger, project) -> None:
    project_id = project()
    k = key()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(
            pool.map(lambda _: service.place(an_order_request(project_id, 7), k, base_url=BASE), range(50))
        )
    assert len({order.order_id for order, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert inventory(ledger, project_id).reserved_kg == 7


def test_a_transaction_conflict_is_retried_to_success(stack, service, ledger, project) -> None:
    project_id = project()
    client = stack.dynamodb_client()
    real = client.transact_write_items
    calls = {"n": 0}

    def conflicting(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
                },
                "TransactWriteItems",
            )
        return real(**kwargs)

    client.transact_write_items = conflicting
    flaky = CreditLedger(stack.table, client, sleep=lambda _: None)
    svc = PurchaseService(
        flaky,
        service._footprints,
        service._scenes,
        service._providers,
        default_provider="sandbox",
        token_secret=lambda: "token-secret-for-tests-0123",
        reservation=timedelta(minutes=30),
    )
    _, created = svc.place(an_order_request(project_id, 3), key(), base_url=BASE)
    assert created and calls["n"] == 2
    assert inventory(ledger, project_id).reserved_kg == 3


def test_throttling_past_retries_is_a_clean_503_and_writes_nothing(stack, service, ledger, project) -> None:
    project_id = project()
    client = stack.dynamodb_client()

    def throttled(**kwargs):  # what botocore raises once its own retries are spent
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "TransactWriteItems",
        )

    client.transact_write_items = throttled
    svc = PurchaseService(
        CreditLedger(stack.table, client),
        service._footprints,
        service._scenes,
        service._providers,
        default_provider="sandbox",
        token_secret=lambda: "token-secret-for-tests-0123",
        reservation=timedelta(minutes=30),
    )
    k = key()
    with pytest.raises(ServiceUnavailable):
        svc.place(an_order_request(project_id, 3), k, base_url=BASE)
    assert inventory(ledger, project_id).reserved_kg == 0
    assert ledger.find_idempotent(k) is None  # the client may retry with the same key


def test_a_crash_between_payment_and_retirement_loses_nothing(
    stack, service, ledger, sandbox, project
) -> None:
    project_id = project()
    order, _ = service.place(an_order_request(project_id, 12), key(), base_url=BASE)
    body, headers = sandbox.event_for(order, event_id="evt_crash")
    client = stack.dynamodb_client()

    def crash(**kwargs):
        raise ConnectionError("the process died before the transaction reached DynamoDB")

    client.transact_write_items = crash
    crashing = PurchaseService(
        CreditLedger(stack.table, client),
        service._footprints,
        service._scenes,
        service._providers,
        default_provider="sandbox",
        token_secret=lambda: "token-secret-for-tests-0123",
        reservation=timedelta(minutes=30),
    )
    with pytest.raises(ConnectionError):
        crashing.receive_webhook("sandbox", body, headers, base_url=BASE)
    assert ledger.order(order.order_id).status is OrderStatus.pending_payment  # nothing half-written
    assert (
        service.receive_webhook("sandbox", body, headers, base_url=BASE).outcome == "retired"
    )  # the provider's retry
    assert service.receive_webhook("sandbox", body, headers, base_url=BASE).outcome == "duplicate"
    assert inventory(ledger, project_id).retired_kg == 12


def test_expiry_racing_a_late_payment_ends_one_way_only(service, ledger, sandbox, project, clock) -> None:
    project_id = project()
    for _ in range(10):
        order, _ = service.place(an_order_request(project_id, 2), key(), base_url=BASE)
        clock.now += timedelta(minutes=31)
        with ThreadPoolExecutor(max_workers=2) as pool:
            paid = pool.submit(pay, service, sandbox, order)
            pool.submit(service.sweep).result()
            outcome = paid.result().outcome
        final = ledger.order(order.order_id)
        assert (outcome, final.status) in {
            ("retired", OrderStatus.retired),
            ("refund_due", OrderStatus.failed),
        }
    inv = inventory(ledger, project_id)
    assert inv.balanced and inv.reserved_kg == 0
    assert [b for b in ledger.audit() if b.project_id == project_id] == []


def test_audit_reports_a_counter_that_does_not_match_the_blocks(stack, ledger, project) -> None:
    project_id = project()
    item = {"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": "PROJECT"}}
    breaches = audited_with(stack, ledger, item, "available_kg", project_id)
    assert any("issued 100 != available + reserved + retired" in p for p in breaches)
    assert any("available blocks hold 100 kg, counter says 101" in p for p in breaches)


def test_a_projects_counters_are_spread_over_shards_and_summed_and_audited(
    stack, service, ledger, sandbox, project
) -> None:
    """Issue 17: concurrent orders of one project do not all write one counter item; its figures are
    the project item's and its shards' together, and the audit checks them against the blocks. Each
    shard has a partition key of its own, which also holds its orders' reserved and retired blocks:
    the project's key keeps only the project and its available blocks."""
    from carbonneutral.store.ledger.counters import COUNTER_SHARDS, counter_key

    project_id = project((1, 1_000))
    orders = [service.place(an_order_request(project_id, kg), key(), base_url=BASE)[0] for kg in range(1, 13)]
    assert all(o.counter is not None and COUNTER_SHARDS <= o.counter < 2 * COUNTER_SHARDS for o in orders)
    for order in orders[:4]:
        pay(service, sandbox, order)
    for order in orders[4:6]:
        service.cancel(order.order_id, service.token_for(order))

    shards = {
        o.counter: items_under(stack, f"PROJECT#{project_id}#S{o.counter - COUNTER_SHARDS:02d}")
        for o in orders
    }
    assert len(shards) >= 4  # twelve orders in three shards or fewer: about one chance in a million
    for order in orders:  # the order's blocks are under its shard's key
        state = "RETIRED" if order in orders[:4] else "RESERVED" if order in orders[6:] else None
        held = [
            sk
            for sk, item in shards[order.counter].items()
            if item.get("order_id", {}).get("S") == order.order_id
        ]
        assert held == ([f"{state}#{order.reserved[0].first:012d}"] if state else [])
        assert "COUNTER" in shards[order.counter]
    project_items = items_under(stack, f"PROJECT#{project_id}")
    assert {sk.split("#")[0] for sk in project_items} == {"PROJECT", "AVAILABLE"}
    assert project_items["PROJECT"]["available_kg"]["N"] == "1000"  # no order wrote the project item
    reserved, retired = sum(range(7, 13)), sum(range(1, 5))
    inv = inventory(ledger, project_id)
    assert (inv.issued_kg, inv.available_kg, inv.reserved_kg, inv.retired_kg) == (
        1_000,
        1_000 - reserved - retired,
        reserved,
        retired,
    )
    assert [listed for p, listed in ledger.projects() if p.project_id == project_id] == [inv]
    assert [b for b in ledger.audit() if b.project_id == project_id] == []
    shard = counter_key(project_id, orders[-1].counter)  # a shard edited behind the ledger's back
    breaches = audited_with(stack, ledger, shard, "reserved_kg", project_id)
    assert any("reserved blocks hold" in p for p in breaches)


def test_an_order_placed_before_the_shards_settles_on_the_project_item(
    stack, service, ledger, sandbox, project
) -> None:
    """Orders reserved before the counters were sharded counted in the project item: they are
    retired or released there, and the figures stay whole."""
    project_id = project((1, 100))
    paid, released = (
        service.place(an_order_request(project_id, 10), key(), base_url=BASE)[0] for _ in range(2)
    )
    client = stack.dynamodb_client()
    for order in (paid, released):  # as such an order was stored and counted
        counted_before(stack, ledger, order, None)
    assert [b for b in ledger.audit() if b.project_id == project_id] == []
    assert pay(service, sandbox, ledger.order(paid.order_id)).outcome == "retired"
    service.cancel(released.order_id, service.token_for(released))
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (90, 0, 10)
    item = client.get_item(
        TableName=stack.table, Key={"PK": {"S": f"PROJECT#{project_id}"}, "SK": {"S": "PROJECT"}}
    )
    assert (item["Item"]["reserved_kg"]["N"], item["Item"]["retired_kg"]["N"]) == ("0", "10")
    assert [b for b in ledger.audit() if b.project_id == project_id] == []


def counted_before(stack, ledger, order, counter: int | None):
    """Rewrites a just-placed order as the ledger stored and counted it before its counter shard had
    a key of its own: in shard `counter` (0-15) under the project's key, or in the project item
    (None); and its reserved blocks under the project's key."""
    from carbonneutral.store.ledger.counters import counter_key, held_key

    client, q = stack.dynamodb_client(), order.quantity_kg
    legacy = order.model_copy(update={"counter": counter})
    client.put_item(TableName=stack.table, Item=ledger._order_item(legacy))

    def add(key: dict, **by: int) -> None:
        client.update_item(
            TableName=stack.table,
            Key=key,
            UpdateExpression="ADD " + ", ".join(f"{name} :{name}" for name in by),
            ExpressionAttributeValues={f":{name}": {"N": str(v)} for name, v in by.items()},
        )

    add(counter_key(order.project_id, order.counter), reserved_kg=-q)
    if counter is None:  # its kg counted in the project item, not in a shard
        add(
            {"PK": {"S": f"PROJECT#{order.project_id}"}, "SK": {"S": "PROJECT"}},
            available_kg=-q,
            reserved_kg=q,
        )
    else:
        add(counter_key(order.project_id, counter), reserved_kg=q)
    for part in order.reserved:
        block = client.get_item(TableName=stack.table, Key=held_key(order, "RESERVED", part.first))["Item"]
        client.delete_item(TableName=stack.table, Key=held_key(order, "RESERVED", part.first))
        client.put_item(TableName=stack.table, Item={**block, **held_key(legacy, "RESERVED", part.first)})
    return legacy


def test_an_order_counted_in_a_shard_under_the_projects_key_settles_there(
    stack, service, ledger, sandbox, project
) -> None:
    """Orders counted in a shard before the shards had keys of their own keep their counter and
    blocks under the project's key: retired, released and read back there (the certificate's check
    of its retired serials too), beside orders counted since."""
    from carbonneutral.store.ledger.counters import counter_key

    project_id = project((1, 100))
    paid, released, later = (
        service.place(an_order_request(project_id, 10), key(), base_url=BASE)[0] for _ in range(3)
    )
    for order in (paid, released):
        counted_before(stack, ledger, order, 3)
    assert [b for b in ledger.audit() if b.project_id == project_id] == []
    for order in (paid, later):
        assert pay(service, sandbox, ledger.order(order.order_id)).outcome == "retired"
    service.cancel(released.order_id, service.token_for(released))
    inv = inventory(ledger, project_id)
    assert (inv.available_kg, inv.reserved_kg, inv.retired_kg) == (80, 0, 20)
    client = stack.dynamodb_client()
    shard = client.get_item(TableName=stack.table, Key=counter_key(project_id, 3))["Item"]
    assert (shard["reserved_kg"]["N"], shard["retired_kg"]["N"], shard["sold_kg"]["N"]) == ("0", "10", "10")
    retired = {
        o.order_id: client.query(
            TableName=stack.table,
            KeyConditionExpression="PK = :pk AND SK = :sk",
            ExpressionAttributeValues={
                ":pk": {
                    "S": f"PROJECT#{project_id}"
                    if o is paid
                    else f"PROJECT#{project_id}#S{o.counter - 16:02d}"
                },
                ":sk": {"S": f"RETIRED#{o.reserved[0].first:012d}"},
            },
            ConsistentRead=True,
        )["Items"]
        for o in (paid, later)
    }
    assert [len(items) for items in retired.values()] == [1, 1]
    for order in (paid, later):
        assert ledger.serials_retired_for(project_id, order.order_id, list(order.reserved))
    assert not ledger.serials_retired_for(project_id, released.order_id, list(released.reserved))
    assert ledger.project_sold(project_id)[2:] == (paid.amount.amount + later.amount.amount, 20)
    assert [b for b in ledger.audit() if b.project_id == project_id] == []


CAP = 5_000


@pytest.fixture
def capped(service) -> PurchaseService:
    service._client_cap_kg = CAP
    return service


def test_no_first_order_is_uncapped(capped, ledger, project) -> None:
    from carbonneutral.errors import TooManyReservations

    service = capped
    project_id = project((1, 100_000))
    client = "203.0.113." + str(secrets.randbelow(250))
    with pytest.raises(TooManyReservations) as refused:
        service.place(an_order_request(project_id, CAP + 1), key(), client, base_url=BASE)
    # holding nothing, it may try again once the reservations taken meanwhile have run out
    assert refused.value.field == "quantity_kg" and 29 * 60 <= refused.value.retry_after <= 30 * 60
    service.place(an_order_request(project_id, CAP), key(), client, base_url=BASE)
    with pytest.raises(TooManyReservations) as refused:
        service.place(an_order_request(project_id, 1), key(), client, base_url=BASE)
    # try again once the client's reservations have run out: 30 minutes from now at the latest
    assert 0 < refused.value.retry_after <= 30 * 60
    other, _ = service.place(
        an_order_request(project_id, 1), key(), client + "0", base_url=BASE
    )  # everyone else still buys
    assert other.quantity_kg == 1
    assert inventory(ledger, project_id).reserved_kg == CAP + 1  # the refused orders reserved nothing


def test_a_client_holds_at_most_a_fifth_of_what_a_project_has_free(capped, ledger, project) -> None:
    from carbonneutral.errors import TooManyReservations

    service = capped
    project_id = project((1, 1_000))  # 1 t: a fifth is 200 kg, whatever the order of the requests
    client = "192.0.2." + str(secrets.randbelow(250))
    for kg in (150, 50):
        service.place(an_order_request(project_id, kg), key(), client, base_url=BASE)
    with pytest.raises(TooManyReservations):
        service.place(an_order_request(project_id, 1), key(), client, base_url=BASE)
    assert inventory(ledger, project_id).reserved_kg == 200


def test_paying_or_releasing_frees_the_clients_hold(capped, ledger, project) -> None:
    service = capped
    project_id = project((1, 1_000))
    client = "192.0.2." + str(secrets.randbelow(250))
    held, _ = service.place(an_order_request(project_id, 200), key(), client, base_url=BASE)
    assert ledger.held(str(held.hold))[0] == 200
    assert ledger.expire(held.order_id)
    assert ledger.held(str(held.hold))[0] == 0
    again, _ = service.place(an_order_request(project_id, 200), key(), client, base_url=BASE)
    assert again.quantity_kg == 200


def test_small_orders_from_one_client_add_up_to_the_cap(capped, project) -> None:
    from carbonneutral.errors import TooManyReservations

    service = capped
    project_id = project((1, 100_000))
    client = "198.51.100." + str(secrets.randbelow(250))
    for _ in range(5):
        service.place(an_order_request(project_id, CAP // 5), key(), client, base_url=BASE)
    with pytest.raises(TooManyReservations):
        service.place(an_order_request(project_id, 1), key(), client, base_url=BASE)


def test_placing_an_order_reads_once_queries_once_and_writes_once(
    stack, invoke, service, ledger, sandbox
) -> None:
    """Issue 17: reserve in at most three requests, whether for an amount or a scene's footprint."""
    from carbonneutral.domain.orders import Beneficiary, OrderRequest

    from tests.factories import DEMO_FOOTPRINT

    capped = 5_000  # with a client's hold too: it is read in the same batch
    service._client_cap_kg = capped
    fresh = [
        invoke("POST", "/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"] for _ in range(2)
    ]

    def for_footprint(footprint_id: str) -> OrderRequest:
        return OrderRequest(
            footprint_id=footprint_id, project_id="cdcer-sichuan-biogas", beneficiary=Beneficiary(name="李雷")
        )

    from carbonneutral.store.leaderboards import Leaderboards

    service._contribute = Leaderboards(stack.table, ledger.client)  # the boards move with a retirement
    warm, _ = service.place(for_footprint(fresh[0]), key(), "198.51.100.7", base_url=BASE)  # scene kept
    sent = counting(ledger.client, service._footprints.client, service._scenes.client)
    order, created = service.place(for_footprint(fresh[1]), key(), "198.51.100.7", base_url=BASE)
    assert created and sent == ["BatchGetItem", "Query", "TransactWriteItems"]
    sent.clear()
    service.place(an_order_request("cdcer-sichuan-biogas", 3), key(), "198.51.100.8", base_url=BASE)
    assert sent == ["BatchGetItem", "Query", "TransactWriteItems"]
    assert pay(service, sandbox, warm).outcome == "retired"  # the project's description, kept a minute
    sent.clear()
    assert pay(service, sandbox, order).outcome == "retired"
    # the order, the registry's head, the scene and the order's four leaderboard entries, as the
    # payment's hint names them; then the retirement
    assert sent == ["BatchGetItem", "TransactWriteItems"]


def _hinted(sandbox: SandboxProvider, order, hint: str | None) -> tuple[str, dict[str, str]]:
    """The sandbox's payment event for `order`, its hint replaced (None: without one), signed again."""
    import json

    from carbonneutral.payments.sandbox import SIGNATURE_HEADER
    from carbonneutral.payments.signing import sign

    body, _ = sandbox.event_for(order)
    event = json.loads(body)
    event["data"].pop("hint")
    if hint is not None:
        event["data"]["hint"] = hint
    body = json.dumps(event)
    return body, {SIGNATURE_HEADER: sign(SECRET, body)}


@pytest.mark.parametrize(
    "hint",
    [
        None,  # WeChat Pay's and Alipay's events, and Stripe sessions started before the hint
        "cdcer-sichuan-biogas - o org_0123456789abcdef01234567",  # another buyer's entry, no scene
        "another-project cdcnf-2021 i p_0123456789abcdef01234567-01234567",
        "not a hint",
    ],
    ids=["none", "another-entry", "another-project", "malformed"],
)
def test_a_payment_without_the_right_hint_reads_the_order_first_and_retires_the_same(
    stack, invoke, service, ledger, sandbox, hint
) -> None:
    """The hint only saves a request: one missing, stale or wrong costs the read it would have saved,
    and the retirement adds to the order's own entries, certificate and registry chain."""
    from carbonneutral.domain.orders import Beneficiary, OrderRequest
    from carbonneutral.domain.ranking import RetirementHint
    from carbonneutral.store.leaderboards import Leaderboards

    boards = Leaderboards(stack.table, ledger.client)
    service._contribute = boards
    footprint = invoke("POST", "/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]
    name = "韩梅梅" + secrets.token_hex(3)
    request = OrderRequest(
        footprint_id=footprint, project_id="cdcer-sichuan-biogas", beneficiary=Beneficiary(name=name)
    )
    order, _ = service.place(request, key(), "198.51.100.9", base_url=BASE)
    before = ledger.chain_position("cdcer-sichuan-biogas")[0]
    sent = counting(ledger.client)
    body, headers = _hinted(sandbox, order, hint)
    applied = service.receive_webhook("sandbox", body, headers, base_url=BASE)
    assert applied.outcome == "retired"
    first = "GetItem" if RetirementHint.decode(hint) is None else "BatchGetItem"  # malformed: as none
    assert sent == [first, "BatchGetItem", "TransactWriteItems"]
    retired = ledger.order(order.order_id)
    assert retired.status is OrderStatus.retired
    assert ledger.chain_position("cdcer-sichuan-biogas")[0] == before + 1
    own = RetirementHint.of(order)
    month = retired.retirement.retired_at.strftime("%Y-%m")
    for board in ("global", f"scene:{order.scene_id}"):
        for period in ("all", month):
            entry = boards.entry(board, own.entity, period, own.entry_id)
            assert entry is not None and entry.kg >= order.quantity_kg, (board, period)


def test_a_scene_closed_after_its_page_was_read_takes_no_order(stack, invoke, service, ledger) -> None:
    """The scene an order reads may be a minute old: the reservation itself checks it is open."""
    from carbonneutral.domain.orders import Beneficiary, OrderRequest
    from carbonneutral.domain.scenes import SceneStatus
    from carbonneutral.errors import SceneClosed
    from carbonneutral.store.scenes import DynamoSceneRepository

    scenes = DynamoSceneRepository(stack.table, stack.dynamodb_client())
    scene_id = "closing-" + secrets.token_hex(4)
    scenes.put(scenes.get("cdcnf-2021").model_copy(update={"scene_id": scene_id}))
    body = {"kind": "scene", "scene_id": scene_id, "activities": [{"type": "meal", "count": 2}]}
    first, late = (invoke("POST", "/v1/footprints", json_body=body).json()["footprint_id"] for _ in range(2))

    def order(footprint_id: str) -> OrderRequest:
        return OrderRequest(
            footprint_id=footprint_id, project_id="cdcer-sichuan-biogas", beneficiary=Beneficiary(name="x")
        )

    service.place(order(first), key(), base_url=BASE)  # the service now keeps the scene as open
    scenes.put(scenes.get(scene_id).model_copy(update={"status": SceneStatus.closed}))
    before = inventory(ledger, "cdcer-sichuan-biogas")
    with pytest.raises(SceneClosed):
        service.place(order(late), key(), base_url=BASE)
    assert inventory(ledger, "cdcer-sichuan-biogas") == before  # nothing reserved
    assert ledger.claim(late) is None  # and the footprint is still free


def test_released_credits_join_their_neighbours_so_blocks_stay_few(service, ledger, sandbox, project) -> None:
    """Issue 17: churn never fragments a project: what is released joins the blocks it touches."""
    project_id = project((1, 100))
    one, two, three, four = (
        service.place(an_order_request(project_id, 10), key(), base_url=BASE)[0] for _ in range(4)
    )
    assert pay(service, sandbox, four).outcome == "retired"  # serials 31-40 retired for good
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=41, last=100)]
    ledger.cancel(two)  # 11-20: between two reservations, nothing to join yet
    assert ledger.blocks(project_id, "AVAILABLE") == [
        SerialRange(first=11, last=20),
        SerialRange(first=41, last=100),
    ]
    assert ledger.expire(three.order_id)  # 21-30 joins 11-20; retired 31-40 keeps it from 41-100
    assert ledger.blocks(project_id, "AVAILABLE") == [
        SerialRange(first=11, last=30),
        SerialRange(first=41, last=100),
    ]
    ledger.cancel(one)
    assert ledger.blocks(project_id, "AVAILABLE") == [
        SerialRange(first=1, last=30),
        SerialRange(first=41, last=100),
    ]
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_an_order_the_lowest_serials_are_too_fragmented_for_takes_the_largest_blocks(
    service, ledger, project
) -> None:
    """Issue 17: forty 2 kg blocks below a large one; an order bigger than the lowest 35 blocks hold
    is not refused for fragmentation, and one that even the 35 largest cannot hold is, naming the field."""
    scattered = [(i * 10 + 1, i * 10 + 2) for i in range(40)]
    project_id = project(*scattered, (1001, 1100))
    placed, _ = service.place(an_order_request(project_id, 150), key(), base_url=BASE)
    assert [(r.first, r.last) for r in placed.reserved] == [
        (1001, 1100),
        *[(a, b) for a, b in scattered[:25]],
    ]
    assert inventory(ledger, project_id).available_kg == 80 + 100 - 150
    only_small = project(*scattered)  # 80 kg, but an order takes at most 35 blocks: 70 kg
    with pytest.raises(Conflict) as refused:
        service.place(an_order_request(only_small, 71), key(), base_url=BASE)
    assert refused.value.field == "quantity_kg" and "at most 35 blocks" in refused.value.detail
    assert inventory(ledger, only_small).reserved_kg == 0  # nothing reserved
    assert len(service.place(an_order_request(only_small, 70), key(), base_url=BASE)[0].reserved) == 35
    assert [b.problem for b in ledger.audit() if b.project_id in (project_id, only_small)] == []


def test_a_block_split_in_the_middle_under_contention_is_whole_again_once_released(
    stack, service, ledger, project
) -> None:
    project_id = project((1, 100))
    flaky = CreditLedger(stack.table, ledger.client, sleep=lambda _: None)
    real, calls = flaky._transact, {"n": 0}

    def conflict_once(items):  # the first try is cancelled: the retry takes a stretch mid-block
        calls["n"] += 1
        if calls["n"] == 1:
            from carbonneutral.errors import TransactionCancelled

            raise TransactionCancelled(["None", "TransactionConflict"])
        return real(items)

    flaky._transact = conflict_once
    order = flaky.reserve(
        service._new_order(
            an_order_request(project_id, 7), BASE, None, None, service._ledger.snapshot("k", project_id, None)
        ),
        key(),
        "f",
        datetime(2026, 11, 24, 8, tzinfo=UTC),
    )
    assert len(ledger.blocks(project_id, "AVAILABLE")) in (1, 2)  # the stretch left one or two pieces
    ledger.cancel(order)
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=1, last=100)]


def test_neighbours_released_at_once_still_end_as_one_block(service, ledger, project) -> None:
    project_id = project((1, 240))
    orders = [service.place(an_order_request(project_id, 10), key(), base_url=BASE)[0] for _ in range(24)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ledger.cancel, orders))
    assert ledger.blocks(project_id, "AVAILABLE") == [SerialRange(first=1, last=240)]
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_a_large_issuance_is_shared_out_over_pools_and_released_credits_go_back_to_theirs(
    stack, service, ledger, sandbox, project
) -> None:
    """Issue 17: 80 t make 8 pools of 10 t, each under a key of its own (pool 0 the project's); an
    order takes from the pool its id points at, or the next ones when that pool runs short, and
    what is released goes back to the pool it came from and joins its blocks there, never across."""
    from carbonneutral.store.ledger.table import pool_start

    project_id = project((1, 80_000))
    pools = [SerialRange(first=k * 10_000 + 1, last=(k + 1) * 10_000) for k in range(8)]
    assert inventory(ledger, project_id).pools == tuple(range(8))
    assert set(items_under(stack, f"PROJECT#{project_id}")) == {"PROJECT", "AVAILABLE#000000000001"}
    assert {sk: int(i["last"]["N"]) for sk, i in items_under(stack, f"PROJECT#{project_id}#A03").items()} == {
        "AVAILABLE#000000030001": 40_000
    }
    orders = [service.place(an_order_request(project_id, 10), key(), base_url=BASE)[0] for _ in range(16)]
    for order in orders:
        pool = pool_start(order.order_id) % 8
        (part,) = order.reserved
        assert pools[pool].first <= part.first and part.last <= pools[pool].last
        assert order.taken_from == ([pool] if pool else [])
        counted = f"PROJECT#{project_id}#S{order.counter - 16:02d}"
        assert f"RESERVED#{order.reserved[0].first:012d}" in items_under(stack, counted)
    assert len({pool_start(o.order_id) % 8 for o in orders}) > 1
    assert sum(b.size for b in ledger.blocks(project_id, "AVAILABLE")) == 80_000 - 160
    # more than one pool holds: the order goes on to the next pools, and keeps where each part came from
    big, _ = service.place(an_order_request(project_id, 15_000), key(), base_url=BASE)
    start = pool_start(big.order_id) % 8
    assert set(big.taken_from) == {start, (start + 1) % 8}  # the next pool's credits hold the rest
    assert all(
        pools[pool].first <= part.first and part.last <= pools[pool].last
        for pool, part in zip(big.taken_from, big.reserved, strict=True)
    )
    with pytest.raises(InsufficientCredits):  # every pool read: what they hold is exact
        service.place(an_order_request(project_id, 80_000), key(), base_url=BASE)
    assert pay(service, sandbox, orders[0]).outcome == "retired"
    for order in [*orders[1:], big]:
        ledger.cancel(order)
    first = orders[0].reserved[0]
    pool = pool_start(orders[0].order_id) % 8
    assert ledger.blocks(project_id, "AVAILABLE") == sorted(
        [
            *(p for k, p in enumerate(pools) if k != pool),
            SerialRange(first=first.last + 1, last=pools[pool].last),
        ]
        + (
            [SerialRange(first=pools[pool].first, last=first.first - 1)]
            if first.first > pools[pool].first
            else []
        ),
        key=lambda b: b.first,
    )
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []


def test_an_order_reading_several_pools_never_takes_more_blocks_than_a_transaction_holds(
    service, ledger, project
) -> None:
    """Issue 17: forty 2 kg blocks and 20 t make 2 pools, pool 0 holding the small blocks. An order of
    150 kg starting there reads 35 small blocks and pool 1's large one: the lowest 35 of those cannot
    hold it, so it looks wider and takes a large block, rather than 36 blocks (more than its retirement's
    transaction could hold: MAX_BLOCKS_PER_ORDER)."""
    from carbonneutral.store.ledger.table import pool_start

    scattered = [(i * 10 + 1, i * 10 + 2) for i in range(40)]
    project_id = project(*scattered, (1001, 21_000))
    assert inventory(ledger, project_id).pools == (0, 1)
    order_id = next(f"ord_pool0_{i}" for i in range(100) if pool_start(f"ord_pool0_{i}") % 2 == 0)
    snapshot = ledger.snapshot("k", project_id, None)
    order = service._new_order(an_order_request(project_id, 150), BASE, None, None, snapshot)
    placed = ledger.reserve(
        order.model_copy(update={"order_id": order_id}), key(), "f", datetime(2026, 11, 24, 8, tzinfo=UTC)
    )
    assert [(r.first, r.last) for r in placed.reserved] == [(1001, 1150)]  # pool 0's share of the large block
    assert placed.taken_from == []
    assert inventory(ledger, project_id).available_kg == 80 + 20_000 - 150
    assert [b.problem for b in ledger.audit() if b.project_id == project_id] == []
