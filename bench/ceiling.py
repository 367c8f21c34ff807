"""The ceiling a purchase is measured against: the least DynamoDB Local work any purchase needs.

A purchase must at least reserve (the order, its idempotency record, a credit block and the
project's counter, conditionally, in one transaction) and retire (the order, the block and the
counter again) in a second one. Here each buyer process does exactly that and nothing more: no
reads, no Python beyond building the requests, the same hot counter item for every buyer, the same
full-jitter backoff as the ledger when a transaction is cancelled. bench_purchase.py runs it on the
same DynamoDB Local, with the same number of buyers, taking turns with the purchase runs.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from typing import Any


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def setup(client: Any, table: str, counter: str) -> None:
    """The hot counter every ceiling buyer takes from: plenty available, nothing reserved."""
    client.put_item(
        TableName=table,
        Item={"PK": _s(counter), "SK": _s("PROJECT"), "available_kg": _n(10**12), "reserved_kg": _n(0),
              "retired_kg": _n(0)},
    )  # fmt: skip


def _reserve(table: str, counter: str, order: str, q: int) -> list[dict[str, Any]]:
    absent = {"ConditionExpression": "attribute_not_exists(PK)"}
    return [
        {"Put": {"TableName": table, "Item": {"PK": _s(f"IDEM#{order}"), "SK": _s("IDEM"), "order_id": _s(order)},
                 **absent}},
        {"Put": {"TableName": table, "Item": {"PK": _s(f"ORDER#{order}"), "SK": _s("ORDER"),
                                              "status": _s("pending_payment")}, **absent}},
        {"Update": {"TableName": table, "Key": {"PK": _s(counter), "SK": _s("PROJECT")},
                    "UpdateExpression": "ADD available_kg :minus, reserved_kg :q",
                    "ConditionExpression": "available_kg >= :q",
                    "ExpressionAttributeValues": {":q": _n(q), ":minus": _n(-q)}}},
        {"Put": {"TableName": table, "Item": {"PK": _s(counter), "SK": _s(f"RESERVED#{order}"),
                                              "order_id": _s(order)}, **absent}},
    ]  # fmt: skip


def _retire(table: str, counter: str, order: str, q: int) -> list[dict[str, Any]]:
    return [
        {"Update": {"TableName": table, "Key": {"PK": _s(f"ORDER#{order}"), "SK": _s("ORDER")},
                    "UpdateExpression": "SET #status = :retired", "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":retired": _s("retired"), ":pending": _s("pending_payment")}}},
        {"Update": {"TableName": table, "Key": {"PK": _s(counter), "SK": _s("PROJECT")},
                    "UpdateExpression": "ADD reserved_kg :minus, retired_kg :q",
                    "ConditionExpression": "reserved_kg >= :q",
                    "ExpressionAttributeValues": {":q": _n(q), ":minus": _n(-q)}}},
        {"Delete": {"TableName": table, "Key": {"PK": _s(counter), "SK": _s(f"RESERVED#{order}")},
                    "ConditionExpression": "order_id = :order", "ExpressionAttributeValues": {":order": _s(order)}}},
        {"Put": {"TableName": table, "Item": {"PK": _s(counter), "SK": _s(f"RETIRED#{order}")},
                 "ConditionExpression": "attribute_not_exists(PK)"}},
    ]  # fmt: skip


def _transact(client: Any, items: list[dict[str, Any]], tally: dict[str, float]) -> None:
    from botocore.exceptions import ClientError

    for attempt in range(50):
        tally["requests"] += 1
        sent = time.perf_counter()
        try:
            client.transact_write_items(TransactItems=items)
            tally["ms"] += (time.perf_counter() - sent) * 1000
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {
                "TransactionCanceledException",
                "TransactionConflictException",
            }:
                raise
            tally["ms"] += (time.perf_counter() - sent) * 1000
            tally["cancelled"] += 1
            time.sleep(random.uniform(0, min(0.25, 0.01 * 2**attempt)))
    raise RuntimeError("the ceiling's transaction kept being cancelled")


def buyer(env: dict[str, str], table: str, counter: str, count: int, barrier: Any, results: Any) -> None:
    os.environ.update(env)
    from carbonneutral.store import aws

    client = aws.dynamodb()  # the project's own client and its retry settings
    tally: dict[str, float] = {"requests": 0, "cancelled": 0, "ms": 0.0}
    first = secrets.token_hex(10)  # a first purchase, neither timed nor counted, as the purchase's buyers do
    _transact(client, _reserve(table, counter, first, 5), dict(tally))
    _transact(client, _retire(table, counter, first, 5), dict(tally))
    barrier.wait()
    cpu = time.process_time()
    timings = []
    for _ in range(count):
        order = secrets.token_hex(10)
        start = time.perf_counter()
        _transact(client, _reserve(table, counter, order, 5), tally)
        reserved = time.perf_counter()
        _transact(client, _retire(table, counter, order, 5), tally)
        timings.append((reserved - start, time.perf_counter() - reserved))
    tally["cpu_s"] = time.process_time() - cpu
    results.put((timings, 0, tally))


def by_size(
    client: Any, table: str, sizes: tuple[int, ...] = (1, 4, 8, 12, 18, 24), runs: int = 40
) -> dict[int, float]:
    """Median ms of one conditional TransactWriteItems by its number of items, from one process with
    nothing else running: what an item costs in a transaction on this DynamoDB Local."""
    medians = {}
    for size in sizes:
        times = []
        for _ in range(runs):
            run = secrets.token_hex(6)
            items = [
                {"Put": {"TableName": table, "Item": {"PK": _s(f"SIZE#{run}#{i}"), "SK": _s("SIZE"), "n": _n(i)},
                         "ConditionExpression": "attribute_not_exists(PK)"}}
                for i in range(size)
            ]  # fmt: skip
            sent = time.perf_counter()
            client.transact_write_items(TransactItems=items)
            times.append((time.perf_counter() - sent) * 1000)
        medians[size] = sorted(times)[len(times) // 2]
    return medians
