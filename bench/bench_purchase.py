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
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack

RUNS = {1: 100, 8: 320, 32: 640, 64: 1280}  # buyers: purchases (64: the conflict rate on one project)
# Purchases, and as many of the ceiling, run first and thrown away: DynamoDB Local's JVM compiles its
# hot paths during the first requests, and whichever ran first used to be measured on a cold engine.
WARM_UP = 100
PROJECT, OTHER_PROJECT = "cdcer-sichuan-biogas", "cdcer-chengdu-green-commute"  # 32 buyers: the other
# Each figure is two runs of half its purchases, the purchase's and the ceiling's taking turns as
# purchase, ceiling, ceiling, purchase, so that a drifting VM weighs on both alike.
TURNS = ("purchase", "ceiling", "ceiling", "purchase")


def _written_keys(items: list[dict[str, Any]]) -> list[str]:
    """The partition keys a transaction's items write: the table's, and each index's an item is in."""
    keys = []
    for item in items:
        ((_, body),) = item.items()
        keys.append((body.get("Key") or body.get("Item"))["PK"]["S"])
        for index in ("GSI1", "GSI2"):
            value = (body.get("Item") or {}).get(f"{index}PK")
            named = re.search(rf"{index}PK = (:\w+)", body.get("UpdateExpression", ""))
            if named:
                value = body["ExpressionAttributeValues"][named.group(1)]
            if value:
                keys.append(f"{index} {value['S']}")
    return keys


def _meter(client: Any, tally: dict[str, float], engine_pid: int | None = None) -> None:
    """Counts each request by operation with its time (request sent to answer parsed, retries within
    botocore included), the items of each transaction, cancellations, consumed capacity, and the
    items each partition key (table or index) takes; with `engine_pid` (one buyer, so the engine
    serves no one else meanwhile), the CPU time DynamoDB Local spent on each request too."""
    sent: list[float] = []
    engine: list[float] = []
    pending: list[dict[str, Any]] = []

    def ask(params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def items(params: dict[str, Any], **_: Any) -> None:
        tally["items:TransactWriteItems"] = tally.get("items:TransactWriteItems", 0) + len(
            params["TransactItems"]
        )
        pending[:] = params["TransactItems"]

    def start(**_: Any) -> None:
        sent[:] = [time.perf_counter()]
        if engine_pid:
            engine[:] = [_cpu_seconds(engine_pid)]

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        tally[f"req:{model.name}"] = tally.get(f"req:{model.name}", 0) + 1
        tally[f"ms:{model.name}"] = tally.get(f"ms:{model.name}", 0) + (time.perf_counter() - sent[0]) * 1000
        if engine_pid:
            label = model.name + (f" of {len(pending)}" if model.name == "TransactWriteItems" else "")
            tally[f"cpu:{label}"] = tally.get(f"cpu:{label}", 0) + _cpu_seconds(engine_pid) - engine[0]
            tally[f"cpus:{label}"] = tally.get(f"cpus:{label}", 0) + 1
        if (parsed.get("Error") or {}).get("Code") in {
            "TransactionCanceledException",
            "TransactionConflictException",
        }:
            tally["cancelled"] = tally.get("cancelled", 0) + 1
        elif model.name == "TransactWriteItems":
            for key in _written_keys(pending):
                tally[f"key:{key}"] = tally.get(f"key:{key}", 0) + 1
        capacities = parsed.get("ConsumedCapacity") or []
        for c in [capacities] if isinstance(capacities, dict) else capacities:
            kind = "rcu" if model.name in {"GetItem", "Query", "BatchGetItem"} else "wcu"
            tally[kind] = tally.get(kind, 0) + float(c.get("CapacityUnits") or 0)

    for op in ("GetItem", "Query", "PutItem", "UpdateItem", "TransactWriteItems"):
        client.meta.events.register(f"provide-client-params.dynamodb.{op}", ask)
    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", items)
    client.meta.events.register("before-call.dynamodb", start)
    client.meta.events.register("after-call.dynamodb", count)


class Context:
    """The part of Lambda's context object the handler reads."""

    function_name, function_version, memory_limit_in_mb = "PurchaseFunction", "$LATEST", 512
    invoked_function_arn, aws_request_id = "arn:aws:lambda:us-east-1:000000000000:function:bench", "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def buyer(
    env: dict[str, str], secret: str, project_id: str, count: int, index: int, barrier: Any, results: Any
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
    engine_pid = int(os.environ.get("BENCH_ENGINE_PID") or 0) or None
    _meter(aws.dynamodb(), tally, engine_pid)
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

    failures = 0

    def purchase() -> tuple[float, float] | None:
        """One purchase: (seconds reserving, seconds retiring); None when it could not reserve."""
        nonlocal failures
        start = time.perf_counter()
        answer = call(
            "/v1/orders",
            json.dumps({"quantity_kg": 5, "project_id": project_id, "beneficiary": {"name": "Bench"}}),
            {"idempotency-key": "bench-" + secrets.token_hex(8)},
        )
        reserved = time.perf_counter()
        if answer["statusCode"] != 201:
            failures += 1
            _why(tally, "reserve", answer)
            return None
        # the bench's own read of the order, to sign the provider's event, is not part of a purchase:
        # neither counted nor timed
        mine = ("req:GetItem", "ms:GetItem", "cpu:GetItem", "cpus:GetItem")
        kept: dict[str, float] = {key: tally[key] for key in mine if key in tally}
        order = ledger.order(json.loads(answer["body"])["order_id"])
        assert order is not None
        for counted in mine:
            tally.pop(counted, None)
        tally.update(kept)
        body, headers = sandbox.event_for(order)
        paying = time.perf_counter()
        paid = call("/v1/payments/sandbox/webhook", body, headers)
        outcome = json.loads(paid["body"]).get("outcome")
        if outcome != "retired":  # a provider sends a webhook answered 5xx again later; counted here
            failures += 1
            _why(tally, "retire", paid)
        return reserved - start, time.perf_counter() - paying

    # This process's first purchase is neither timed nor counted (its failure would be): it pays the
    # handler's cold start, which bench_coldstart.py measures, not a purchase's steady cost.
    purchase()
    for key in [key for key in tally if not key.startswith("failed:")]:
        del tally[key]
    barrier.wait()
    cpu = time.process_time()
    timings = [timing for timing in (purchase() for _ in range(count)) if timing is not None]
    tally["cpu_s"] = time.process_time() - cpu  # with the bench's own read and signing of each order
    results.put((timings, failures, tally))


def _why(tally: dict[str, float], step: str, answer: dict[str, Any]) -> None:
    """Counts a failed step by its status and problem title, to print beside the figures."""
    title = json.loads(answer["body"] or "{}").get("title") or json.loads(answer["body"] or "{}").get(
        "outcome"
    )
    key = f"failed:{step} {answer['statusCode']} {title}"
    tally[key] = tally.get(key, 0) + 1


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


def _run(
    ctx: Any, target: Any, args: Any, buyers: int
) -> tuple[float, list[tuple[float, float]], int, dict[str, float]]:
    """(seconds, timings, failures, summed tally) of `buyers` processes running `target`."""
    barrier, results = ctx.Barrier(buyers + 1), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args(index), barrier, results)) for index in range(buyers)]
    for proc in procs:
        proc.start()
    barrier.wait()  # each buyer's first purchase, not counted, is done by now
    engine = _cpu_seconds(ENGINE_PID[0]) if ENGINE_PID else 0.0
    started = time.perf_counter()
    gathered = [results.get(timeout=900) for _ in procs]
    elapsed = time.perf_counter() - started
    engine_s = (_cpu_seconds(ENGINE_PID[0]) - engine) if ENGINE_PID else 0.0
    for proc in procs:
        proc.join()
    timings = [t for g in gathered for t in g[0]]
    tally: dict[str, float] = {"engine_cpu_s": engine_s}
    for g in gathered:
        for k, v in g[2].items():
            tally[k] = tally.get(k, 0) + v
    return elapsed, timings, sum(g[1] for g in gathered), tally


# DynamoDB Local's JVM, whose CPU time each run reads from /proc before and after (Linux only)
ENGINE_PID: list[int] = []


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _turns(
    ctx: Any, runs: dict[str, tuple[Any, Any]], buyers: int
) -> dict[str, tuple[float, list[tuple[float, float]], int, dict[str, float]]]:
    """Each of `runs` (name: target, args) in TURNS, merged by name: (purchases per second over all
    its turns, timings, failures, summed tally)."""
    merged: dict[str, tuple[float, list[tuple[float, float]], int, dict[str, float]]] = {}
    for name in TURNS:
        elapsed, timings, failed, tally = _run(ctx, *runs[name], buyers)
        before_s, before_t, before_f, before_tally = merged.get(name, (0.0, [], 0, {}))
        for key, value in before_tally.items():
            tally[key] = tally.get(key, 0) + value
        merged[name] = (before_s + elapsed, before_t + timings, before_f + failed, tally)
    return {name: (len(t) / max(s, 1e-9), t, f, tally) for name, (s, t, f, tally) in merged.items()}


def main() -> None:
    from bench import ceiling

    stack = LocalStack(port=free_port(), quiet=True).start()
    assert stack.dynamodb is not None and stack.dynamodb.proc is not None
    ENGINE_PID.append(stack.dynamodb.proc.pid)
    ctx = mp.get_context("spawn")
    secret = stack.secret("sandbox-webhook-secret")
    try:
        print(
            "buyers  purchases/s  ceiling/s  ratio  reserve p50/p99 ms  ceiling p99 ms  p99 ratio  "
            "retire p50/p99 ms  requests/purchase  cancelled/purchase  RCU  WCU  failed"
        )
        warm = f"CEILING#warm-up#{secrets.token_hex(4)}"
        ceiling.setup(stack.dynamodb_client(), stack.table, warm)
        cold = _turns(
            ctx,
            {
                "purchase": (
                    buyer,
                    lambda i: (stack.environ, secret, PROJECT, WARM_UP // 2, i),
                ),
                "ceiling": (ceiling.buyer, lambda i: (stack.environ, stack.table, warm, WARM_UP // 2)),
            },
            1,
        )
        print(
            f"warm-up, not counted: {WARM_UP} purchases at {cold['purchase'][0]:.1f}/s and {WARM_UP} of the"
            f" ceiling at {cold['ceiling'][0]:.1f}/s, one buyer"
        )
        chosen = [int(a) for a in sys.argv[1:]] or list(RUNS)  # e.g. `bench_purchase.py 64`
        for buyers, count in ((b, RUNS[b]) for b in chosen):
            project_id = OTHER_PROJECT if buyers == 32 else PROJECT
            # the ceiling on the same DynamoDB Local, the same buyers, the same number of purchases
            counter = f"CEILING#{buyers}#{secrets.token_hex(4)}"
            ceiling.setup(stack.dynamodb_client(), stack.table, counter)
            each = count // buyers // 2  # purchases per buyer process in each of its two turns
            env = {**stack.environ, **({"BENCH_ENGINE_PID": str(ENGINE_PID[0])} if buyers == 1 else {})}
            measured = _turns(
                ctx,
                {
                    "purchase": (buyer, lambda i, p=project_id, c=each, e=env: (e, secret, p, c, i)),
                    "ceiling": (
                        ceiling.buyer,
                        lambda i, c=each, k=counter: (stack.environ, stack.table, k, c),
                    ),
                },
                buyers,
            )
            rate, timings, failed, tally = measured["purchase"]
            top, top_timings, _, top_tally = measured["ceiling"]
            done = max(1, len(timings))
            requests = sum(v for k, v in tally.items() if k.startswith("req:")) / done
            reserve, retire = [t[0] for t in timings], [t[1] for t in timings]
            top_p99 = pct([t[0] for t in top_timings], 99)
            print(
                f"{buyers:>6}  {rate:>11.1f}  {top:>9.1f}  {rate / top:>5.0%}"
                f"  {pct(reserve, 50):>8.1f} / {pct(reserve, 99):<7.1f}  {top_p99:>14.1f}"
                f"  {pct(reserve, 99) / max(top_p99, 0.001):>8.1f}x"
                f"  {pct(retire, 50):>7.1f} / {pct(retire, 99):<7.1f}  {requests:>17.1f}"
                f"  {tally.get('cancelled', 0) / done:>18.2f}"
                f"  {tally.get('rcu', 0) / done:>4.1f} {tally.get('wcu', 0) / done:>4.1f}  {failed:>6}"
            )
            print(
                f"        ceiling: {top_tally['requests'] / max(1, len(top_timings)):.2f} requests and "
                f"{top_tally['cancelled'] / max(1, len(top_timings)):.2f} cancelled transactions per purchase"
            )
            per_op = {
                k[4:]: round(v / done, 2) for k, v in sorted(tally.items()) if k.startswith("req:") and v
            }
            print("        requests per purchase by operation:", per_op)
            print(
                "        ms per request by operation:",
                {op: round(tally[f"ms:{op}"] / tally[f"req:{op}"], 1) for op in per_op},
                f"(ceiling: TransactWriteItems {top_tally['ms'] / max(1, top_tally['requests']):.1f})",
            )
            transactions = tally.get("req:TransactWriteItems", 0)
            print(
                f"        items per transaction: {tally.get('items:TransactWriteItems', 0) / max(1, transactions):.1f}"
                " (ceiling: 4)"
            )
            print(
                "        CPU per purchase: DynamoDB Local"
                f" {tally['engine_cpu_s'] / done * 1000:.1f} ms (ceiling:"
                f" {top_tally['engine_cpu_s'] / max(1, len(top_timings)) * 1000:.1f}), buyer processes"
                f" {tally.get('cpu_s', 0) / done * 1000:.1f} ms (ceiling:"
                f" {top_tally.get('cpu_s', 0) / max(1, len(top_timings)) * 1000:.1f}); the machine has"
                f" {os.cpu_count()} cores"
            )
            if buyers == 1:
                print(
                    "        DynamoDB Local's CPU per request (one buyer: it serves no one else meanwhile):",
                    ", ".join(
                        f"{k[4:]} {v / tally['cpus:' + k[4:]] * 1000:.1f} ms"
                        for k, v in sorted(tally.items())
                        if k.startswith("cpu:")
                    ),
                    "(TransactWriteItems by its items)",
                )
            in_requests = sum(v for k, v in tally.items() if k.startswith("ms:")) / done
            whole = sum(a + b for a, b in timings) / done * 1000
            print(
                f"        a purchase's {whole:.0f} ms (mean): {in_requests:.0f} ms waiting on DynamoDB requests,"
                f" {whole - in_requests:.0f} ms in the handlers' own work"
                f" (ceiling: {sum(a + b for a, b in top_timings) / max(1, len(top_timings)) * 1000:.0f} ms,"
                f" {top_tally['ms'] / max(1, len(top_timings)):.0f} ms of it in requests)"
            )
            shared = sorted(
                ((v / done, k[4:]) for k, v in tally.items() if k.startswith("key:")), reverse=True
            )
            print(
                "        items written per purchase to the partition keys purchases share (table; GSI1/GSI2:"
                " an index):",
                ", ".join(f"{key} {per:.2f}" for per, key in shared if per >= 0.25) or "none",
            )
            for why, times in sorted((k[7:], v) for k, v in tally.items() if k.startswith("failed:")):
                print(f"        failed: {why} ({times:.0f})")
        sizes = ceiling.by_size(stack.dynamodb_client(), stack.table)
        print(
            "one conditional transaction alone on this DynamoDB Local, median ms by its items:",
            ", ".join(f"{n} items {ms:.1f}" for n, ms in sizes.items()),
        )
        print("goal (issue 17): purchases/s at least 50 % of the ceiling and reserve p99 at most 2x its p99.")
        print(
            "2 cores: the buyer processes and DynamoDB Local's one JVM share them, so latency grows with queueing;"
        )
        print("all buyers take from one project, so concurrent reservations retry on cancelled transactions.")
        print(
            "audit after the runs:",
            "; ".join(_audit()) or "clean (credits balance, every registry chain intact)",
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
