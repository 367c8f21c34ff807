"""Purchases through the purchase handler against DynamoDB Local, with 1, 8 and 32 buyers.

Each buyer is its own process (as each Lambda instance is its own process) calling the real
lambda_handler with API Gateway events: POST /v1/orders (reserve), then a signed sandbox
webhook (retire). DynamoDB requests and consumed capacity are counted with botocore hooks
that ask for ReturnConsumedCapacity=TOTAL.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import secrets
import sys
import time
from typing import Any

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack

RUNS = {1: 60, 8: 240, 32: 480}  # buyers: purchases


def _meter(client: Any, tally: dict[str, float]) -> None:
    def ask(params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        tally[f"req:{model.name}"] = tally.get(f"req:{model.name}", 0) + 1
        capacities = parsed.get("ConsumedCapacity") or []
        for c in [capacities] if isinstance(capacities, dict) else capacities:
            kind = "rcu" if model.name in {"GetItem", "Query", "BatchGetItem"} else "wcu"
            tally[kind] = tally.get(kind, 0) + float(c.get("CapacityUnits") or 0)

    for op in ("GetItem", "Query", "PutItem", "UpdateItem", "TransactWriteItems"):
        client.meta.events.register(f"provide-client-params.dynamodb.{op}", ask)
    client.meta.events.register("after-call.dynamodb", count)


class Context:
    """The part of Lambda's context object the handler reads."""

    function_name, function_version, memory_limit_in_mb = "PurchaseFunction", "$LATEST", 512
    invoked_function_arn, aws_request_id = "arn:aws:lambda:us-east-1:000000000000:function:bench", "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def buyer(
    env: dict[str, str], secret: str, project_id: str, count: int, barrier: Any, results: Any, index: int
) -> None:
    os.environ.update(env)
    os.dup2(
        os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno()
    )  # the handler's logs, as CloudWatch takes them
    from carbonneutral import services
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.store import aws
    from purchase.app import lambda_handler

    from infrastructure.local.gateway import event_for

    tally: dict[str, float] = {}
    _meter(aws.dynamodb(), tally)
    sandbox, ledger = SandboxProvider(secret), services.ledger()

    def call(path: str, body: str, headers: dict[str, str]) -> dict[str, Any]:
        # each buyer from an address of its own, as people buying are: each has its own client hold
        _, event = event_for(
            "POST",
            path,
            body=body.encode(),
            headers={"content-type": "application/json", **headers},
            client_ip=f"198.51.100.{index + 1}",
        )
        return lambda_handler(event, Context())  # type: ignore[no-any-return]

    barrier.wait()
    timings, failures = [], 0
    for _ in range(count):
        start = time.perf_counter()
        answer = call(
            "/v1/orders",
            json.dumps({"quantity_kg": 5, "project_id": project_id, "beneficiary": {"name": "Bench"}}),
            {"idempotency-key": "bench-" + secrets.token_hex(8)},
        )
        reserved = time.perf_counter()
        if answer["statusCode"] != 201:
            failures += 1
            continue
        order = ledger.order(json.loads(answer["body"])["order_id"])
        assert order is not None
        before_read = dict(tally)
        body, headers = sandbox.event_for(order)
        outcome = json.loads(call("/v1/payments/sandbox/webhook", body, headers)["body"]).get("outcome")
        # the bench's own read of the order to sign the event is not part of a purchase
        tally["req:GetItem"] -= 1 if before_read.get("req:GetItem") else 0
        failures += outcome != "retired"
        timings.append((reserved - start, time.perf_counter() - reserved))
    results.put((timings, failures, tally))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000 if ordered else 0.0


def _audit() -> list[str]:
    """What `admin audit` checks of the credits, and each project's registry chain."""
    from carbonneutral import services

    ledger = services.ledger()
    problems = [f"{b.project_id}: {b.problem}" for b in ledger.audit()]
    for project, inventory in ledger.projects():
        found, _ = ledger.chain_problems(project.project_id, inventory.retired_kg)
        problems += [f"{project.project_id}: {p}" for p in found]
    return problems


def main() -> None:
    stack = LocalStack(port=free_port(), quiet=True).start()
    ctx = mp.get_context("spawn")
    secret = stack.secret("sandbox-webhook-secret")
    try:
        print(
            "buyers  purchases/s  reserve p50/p99 ms  retire p50/p99 ms  requests/purchase  RCU  WCU  failed"
        )
        for buyers, count in RUNS.items():
            barrier, results = ctx.Barrier(buyers + 1), ctx.Queue()
            project_id = "cdcer-chengdu-green-commute" if buyers == 32 else "cdcer-sichuan-biogas"
            procs = [
                ctx.Process(
                    target=buyer,
                    args=(stack.environ, secret, project_id, count // buyers, barrier, results, index),
                )
                for index in range(buyers)
            ]
            for proc in procs:
                proc.start()
            barrier.wait()
            started = time.perf_counter()
            gathered = [results.get(timeout=600) for _ in procs]
            elapsed = time.perf_counter() - started
            for proc in procs:
                proc.join()
            timings = [t for g in gathered for t in g[0]]
            failed = sum(g[1] for g in gathered)
            tally: dict[str, float] = {}
            for g in gathered:
                for k, v in g[2].items():
                    tally[k] = tally.get(k, 0) + v
            done = max(1, len(timings))
            requests = sum(v for k, v in tally.items() if k.startswith("req:")) / done
            reserve, retire = [t[0] for t in timings], [t[1] for t in timings]
            print(
                f"{buyers:>6}  {len(timings) / elapsed:>11.1f}  {pct(reserve, 50):>8.1f} / {pct(reserve, 99):<7.1f}"
                f"  {pct(retire, 50):>7.1f} / {pct(retire, 99):<7.1f}  {requests:>17.1f}"
                f"  {tally.get('rcu', 0) / done:>4.1f} {tally.get('wcu', 0) / done:>4.1f}  {failed:>6}"
            )
        per_op = {k[4:]: round(v / done, 2) for k, v in sorted(tally.items()) if k.startswith("req:")}
        print("requests per purchase (last run):", per_op)
        print(
            "2 cores: 32 buyer processes and DynamoDB Local's one JVM share them, so latency grows with queueing;"
        )
        print("all buyers take from one project, so concurrent reservations retry on transaction conflicts.")
        print(
            "audit after the runs:",
            "; ".join(_audit()) or "clean (credits balance, every registry chain intact)",
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
