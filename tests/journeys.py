"""Steps through a running stack that several tests take: buying credits down to a certificate,
an organizer's key, a board's contributions."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from carbonneutral.domain.orders import Order
from carbonneutral.store.leaderboards import Leaderboards


def retire(
    invoke: Any, stack: Any, name: str = "李雷 Li Lei", kg: int = 461, full_name: bool = False
) -> dict:
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.services import ledger

    footprint_id = invoke(
        "POST",
        "/v1/footprints",
        json_body={
            "scene_id": "cdcnf-2021",
            "kind": "scene",
            "activities": [{"type": "hotel", "nights": 1}, {"type": "meal", "count": 2}],
        },
    ).json()["footprint_id"]
    order = invoke(
        "POST",
        "/v1/orders",
        json_body={
            "footprint_id": footprint_id,
            "project_id": "cdcer-longquan-forest",
            "beneficiary": {"name": name, "full_name": full_name},
        },
        headers={"Idempotency-Key": "cert-" + secrets.token_hex(8)},
    ).json()
    body, headers = SandboxProvider(stack.secret("sandbox-webhook-secret")).event_for(
        ledger().order(order["order_id"])
    )
    assert (
        invoke(
            "POST",
            "/v1/payments/sandbox/webhook",
            body=body.encode(),
            headers={**headers, "content-type": "application/json"},
        ).json()["outcome"]
        == "retired"
    )
    return invoke("GET", f"/v1/orders/{order['order_id']}?token={order['order_token']}").json()


def pay(invoke: Any, stack: Any, order: dict) -> str:
    """Pays a placed order through the sandbox's signed webhook; the outcome ("retired", …)."""
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.services import ledger

    body, headers = SandboxProvider(stack.secret("sandbox-webhook-secret")).event_for(
        ledger().order(order["order_id"])
    )
    answer = invoke(
        "POST",
        "/v1/payments/sandbox/webhook",
        body=body.encode(),
        headers={**headers, "content-type": "application/json"},
    )
    assert answer.status == 200, answer.body
    return str(answer.json()["outcome"])


def make_key(organizer: str, capsys: Any) -> str:
    from infrastructure.admin import main

    capsys.readouterr()
    assert main(["create-organizer-key", organizer, "--name", "tests"]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def record(boards: Leaderboards, client: Any, order: Order) -> None:
    client.transact_write_items(TransactItems=boards.contributions(order))


def run_out(stack, order_id: str, ago: timedelta | None = None) -> None:
    """Moves an order's reservation into the past, as if its 30 minutes had passed (a minute ago,
    or `ago`)."""
    from datetime import UTC, datetime

    from carbonneutral.domain.orders import Order

    table, key = stack.table, {"PK": {"S": f"ORDER#{order_id}"}, "SK": {"S": "ORDER"}}
    client = stack.dynamodb_client()
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    order = Order.model_validate_json(item["body"]["S"])
    past = datetime.now(UTC) - (ago or timedelta(minutes=1))
    body = order.model_copy(update={"reserved_until": past}).model_dump_json()
    due = f"{past.isoformat(timespec='seconds')}#{order_id}"
    client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET body = :b, GSI1SK = :due",
        ExpressionAttributeValues={":b": {"S": body}, ":due": {"S": due}},
    )
