"""A bounded load test on loopback: 50 concurrent users with a mixed workload for a few minutes.

  python bench/load.py [--users 50] [--seconds 180]

It targets the running `make run` (found through .local/data/stack.json) or, when none runs,
starts a stack of its own on free ports. It sends traffic only to 127.0.0.1, stops by itself,
then prints throughput, p50/p99 per operation, unexpected 5xx, and audits the credit ledger.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from typing import Any

from infrastructure.template import ROOT

STACK_FILE = ROOT / ".local" / "data" / "stack.json"
ACTIVITIES = [
    {"type": "flight", "from": "PEK", "to": "CTU", "round_trip": True},
    {"type": "rail", "km": 350, "service": "high_speed"},
    {"type": "hotel", "nights": 2},
    {"type": "meal", "count": 6},
    {"type": "taxi", "km": 18},
]
WEIGHTS = {
    "calculate": 30,
    "scene": 15,
    "projects": 10,
    "order_and_pay": 20,
    "certificate": 10,
    "leaderboard": 15,
}


SLOW_S = 1.0  # a request that took longer is reported with when it was sent


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.slow_sent_at: dict[str, list[float]] = defaultdict(list)  # seconds into the run
        self.certificates: list[str] = []

    def record(self, op: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latency[op].append(seconds)
            self.statuses[op][status] += 1
            if seconds > SLOW_S:
                self.slow_sent_at[op].append(time.monotonic() - self.started - seconds)


def call(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    assert base.startswith("http://127.0.0.1:"), "load only ever goes to loopback"
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""  # a transport error: counted as status 0


def user(base: str, sandbox: Any, ledger: Any, deadline: float, rec: Recorder, rng: random.Random) -> None:
    ops, weights = list(WEIGHTS), list(WEIGHTS.values())
    while time.monotonic() < deadline:
        op = rng.choices(ops, weights)[0]
        start = time.perf_counter()
        if op == "calculate":
            status, _ = call(
                base,
                "POST",
                "/v1/footprints",
                {
                    "kind": "scene",
                    "scene_id": "cdcnf-2021",
                    "activities": rng.sample(ACTIVITIES, rng.randint(1, 4)),
                },
            )
        elif op == "scene":
            status, _ = call(base, "GET", "/s/cdcnf-2021?lang=" + rng.choice(["en", "zh-CN"]))
        elif op == "projects":
            status, _ = call(base, "GET", "/v1/projects")
        elif op == "leaderboard":
            status, _ = call(base, "GET", "/v1/leaderboards/scene:cdcnf-2021?limit=10")
        elif op == "certificate":
            with rec.lock:
                cert = rng.choice(rec.certificates) if rec.certificates else None
            if cert is None:
                continue
            status, _ = call(base, "GET", f"/v1/certificates/{cert}/verify")
        else:
            body = {
                "quantity_kg": rng.randint(1, 50),
                "project_id": "cdcer-sichuan-biogas",
                "beneficiary": {"name": f"Load {rng.randint(1, 999)}"},
                "scene_id": "cdcnf-2021",
            }
            status, raw = call(
                base, "POST", "/v1/orders", body, {"Idempotency-Key": "load-" + secrets.token_hex(8)}
            )
            rec.record("order", status, time.perf_counter() - start)
            if status != 201:
                continue
            order = ledger.order(json.loads(raw)["order_id"])
            event, headers = sandbox.event_for(order)
            start = time.perf_counter()
            status, raw = call(base, "POST", "/v1/payments/sandbox/webhook", event, headers)
            op = "pay"
            if status == 200:
                retired = ledger.order(order.order_id)
                if retired and retired.certificate_id:
                    with rec.lock:
                        rec.certificates.append(retired.certificate_id)
        rec.record(op, status, time.perf_counter() - start)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=180)
    args = parser.parse_args()
    users, seconds = min(args.users, 200), min(args.seconds, 900)  # bounded whatever is asked
    stack = None
    if STACK_FILE.exists():
        os.environ.update(json.loads(STACK_FILE.read_text()))
        base = os.environ["LOCAL_GATEWAY_URL"]
        print(f"target: the running make run at {base}")
    else:
        from infrastructure.local.services import free_port
        from infrastructure.local.stack import LocalStack

        stack = LocalStack(port=free_port(), quiet=True).start()
        base = stack.url
        print(f"target: a stack of its own at {base}")
    try:
        from carbonneutral import services
        from carbonneutral.payments.sandbox import SandboxProvider

        services.reset()
        sandbox, ledger, rec = (
            SandboxProvider(services.secrets().get("sandbox-webhook-secret")),  # as the sandbox "bank" has it
            services.ledger(),
            Recorder(),
        )
        deadline = time.monotonic() + seconds
        rec.started = time.monotonic()
        threads = [
            threading.Thread(target=user, args=(base, sandbox, ledger, deadline, rec, random.Random(i)))
            for i in range(users)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        total = sum(len(v) for v in rec.latency.values())
        print(f"{users} users for {elapsed:.0f} s: {total} requests, {total / elapsed:.1f} requests/s")
        print("operation     count    p50 ms   p99 ms   statuses")
        unexpected = 0
        for op in sorted(rec.latency):
            values, statuses = rec.latency[op], dict(rec.statuses[op])
            unexpected += sum(c for s, c in statuses.items() if (s >= 500 and s != 503) or s == 0)
            print(f"{op:<12} {len(values):>6}  {pct(values, 50):>8.1f} {pct(values, 99):>8.1f}   {statuses}")
        for op, sent in sorted(rec.slow_sent_at.items()):
            print(
                f"over {SLOW_S:.0f} s: {op} {len(sent)}, sent {min(sent):.0f}-{max(sent):.0f} s into the run "
                f"({sum(1 for s in sent if s < 30)} in the first 30 s)"
            )
        if stack:  # the run's own stack: each function's cold starts (process start to handler imported)
            for name, function in sorted(stack.functions.items()):
                starts = ", ".join(f"{ms / 1000:.1f}" for ms in function.cold_starts)
                print(f"cold starts: {name} {len(function.cold_starts)} ({starts} s)")
        breaches = ledger.audit()
        print(
            f"unexpected 5xx or transport errors: {unexpected}; ledger audit: {'no breaches' if not breaches else breaches}"
        )
        print(
            f"median of all requests: {statistics.median([x for v in rec.latency.values() for x in v]) * 1000:.1f} ms"
        )
    finally:
        if stack:
            stack.stop()


if __name__ == "__main__":
    main()
