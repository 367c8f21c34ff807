"""Helpers the ledger's tests share (their fixtures are in conftest.py)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from carbonneutral.domain.purchase import PurchaseService
from carbonneutral.payments.sandbox import SandboxProvider
from carbonneutral.store.ledger import CreditLedger

SECRET = "sandbox-secret-for-tests-0123456789"
BASE = "http://127.0.0.1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def key() -> str:
    return "k-" + secrets.token_hex(8)


def pay(service: PurchaseService, sandbox: SandboxProvider, order, **kw):
    body, headers = sandbox.event_for(order, **kw)
    return service.receive_webhook("sandbox", body, headers, base_url=BASE)


def inventory(ledger: CreditLedger, project_id: str):
    return ledger.project(project_id)[1]


def items_under(stack, pk: str) -> dict[str, dict]:
    """Every item under a partition key, by sort key, read strongly consistent."""
    answer = stack.dynamodb_client().query(
        TableName=stack.table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    return {item["SK"]["S"]: item for item in answer["Items"]}


def counting(*clients) -> list[str]:
    """The DynamoDB operations the given clients send, in order, from now on."""
    sent: list[str] = []
    for client in clients:
        client.meta.events.register("before-call.dynamodb", lambda model, **_: sent.append(model.name))
    return sent


def audited_with(stack, ledger: CreditLedger, key: dict, attribute: str, project_id: str) -> list[str]:
    """The audit's findings for a project while one of its counters is 1 kg off, behind the ledger's
    back; the counter is put back afterwards (the session's other tests audit the whole table)."""

    def nudge(by: int) -> None:
        stack.dynamodb_client().update_item(
            TableName=stack.table,
            Key=key,
            UpdateExpression=f"ADD {attribute} :by",
            ExpressionAttributeValues={":by": {"N": str(by)}},
        )

    nudge(+1)
    try:
        return [b.problem for b in ledger.audit() if b.project_id == project_id]
    finally:
        nudge(-1)
