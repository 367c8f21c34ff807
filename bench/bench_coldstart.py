"""Cold starts of every function, from the built layer as Lambda loads it (figures, not pass/fail).

Each function gets fresh execution environments of the local rehearsal (its own process,
`python -I -S`, read-only task and layer, its role's credentials, secrets in SSM, and Lambda's CPU
and memory: a full vCPU while importing, then its memory's share of one), and for each:
- import: the handler's import inside the new process (Lambda's INIT phase, less the runtime);
- first request: the first invocation's own time, which creates the AWS clients and reads the
  secrets, and the same request once warm; "first extra" is their difference.
Goals (issue 11): import at most 250 ms, first extra at most 150 ms; what a visitor waits for is
the two together (at most 400 ms), and since the rehearsal holds Lambda's CPU share, the clients
every request uses are made in the import (services.clients_at_init). Beside them, the floor any
handler pays from the same layer in a fresh process: importing Powertools' HTTP resolver with
validation (pydantic included), and importing boto3 and creating one client (on a whole core).
Each function is measured at the template's memory and again at 1,769 MB, one vCPU, the share
that the first request's figures scale with.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import secrets
import statistics
import sys
from typing import Any

from infrastructure.local.gateway import event_for
from infrastructure.local.limits import VCPU_MB
from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack

RUNS = 7
FLOORS = {
    "Powertools resolver + validation": "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
    "from aws_lambda_powertools.event_handler.openapi.params import Path",
    "boto3 + a DynamoDB client": "import boto3\nboto3.session.Session().client('dynamodb', region_name='us-east-1')",
}
IMPORT_GOAL_MS, FIRST_EXTRA_GOAL_MS = 250, 150


def requests(stack: LocalStack) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    """A typical first request per function: (method, path, JSON body)."""
    certificate = _a_certificate(stack)
    return {
        "CalculateFunction": ("GET", "/v1/scenes/cdcnf-2021", None),
        "PurchaseFunction": (
            "POST",
            "/v1/orders",
            {"quantity_kg": 1, "project_id": "cdcer-sichuan-biogas", "beneficiary": {"name": "Bench"}},
        ),
        "CertifyFunction": ("GET", f"/v1/certificates/{certificate}/verify", None),
        "RankFunction": ("GET", "/v1/leaderboards/global", None),
        "OrganizeFunction": ("GET", "/v1/scenes/cdcnf-2021/qr.svg", None),
        "SweeperFunction": ("SCHEDULE", "", None),
    }


def _a_certificate(stack: LocalStack) -> str:
    from carbonneutral import services
    from carbonneutral.payments.sandbox import SandboxProvider

    order = _invoke(
        stack,
        "POST",
        "/v1/orders",
        {"quantity_kg": 2, "project_id": "cdcer-sichuan-biogas", "beneficiary": {"name": "Bench"}},
    )
    stored = services.ledger().order(json.loads(order["body"])["order_id"])
    assert stored is not None
    body, headers = SandboxProvider(stack.secret("sandbox-webhook-secret")).event_for(stored)
    _invoke(stack, "POST", "/v1/payments/sandbox/webhook", None, raw=body, headers=headers)
    retired = services.ledger().order(stored.order_id)
    assert retired and retired.certificate_id
    return retired.certificate_id


def _invoke(
    stack: LocalStack,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    *,
    raw: str | None = None,
    headers: dict[str, str] | None = None,
    function: str | None = None,
) -> Any:
    if method == "SCHEDULE":
        assert function
        return stack.invoke(function, {})
    assert stack.gateway
    data = raw.encode() if raw is not None else json.dumps(body).encode() if body is not None else b""
    sent = {
        "host": f"127.0.0.1:{stack.gateway.port}",
        "x-forwarded-proto": "http",
        "content-type": "application/json",
        "idempotency-key": "bench-" + secrets.token_hex(8),
        **(headers or {}),
    }
    route, event = event_for(method, path, body=data, headers=sent)
    return stack.invoke(route.function, event)


def measure(
    stack: LocalStack, function: str, request: tuple[str, str, dict[str, Any] | None], memory_mb: int
) -> dict[str, float]:
    """Medians of RUNS cold starts with the function's memory set to `memory_mb` (its CPU share)."""
    target = stack.functions[function]
    target.spec = dataclasses.replace(target.spec, memory_mb=memory_mb)
    imports, firsts, warms = [], [], []
    for _ in range(RUNS):
        target.stop()  # the next invocation starts a new execution environment
        _invoke(stack, *request, function=function)
        imports.append(target.init_ms[-1])
        firsts.append(target.last_duration_ms)
        _invoke(stack, *request, function=function)
        warms.append(target.last_duration_ms)
    first, warm = statistics.median(firsts), statistics.median(warms)
    return {"import": statistics.median(imports), "first": first, "warm": warm, "extra": first - warm}


def floor(stack: LocalStack, code: str) -> float:
    """Median ms of `code` in a fresh interpreter that sees only the layer, as a function does."""
    import subprocess

    from infrastructure.local.build import lambda_python

    assert stack.artifacts
    probe = (
        f"import sys, time\nsys.path[:0] = [{str(stack.artifacts.layer)!r}]\nt = time.perf_counter()\n{code}\n"
        "print((time.perf_counter() - t) * 1000)"
    )
    runs = [
        float(
            subprocess.run(
                [lambda_python(), "-I", "-S", "-c", probe], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(RUNS)
    ]
    return statistics.median(runs)


def main() -> None:
    stack = LocalStack(port=free_port(), quiet=True).start()
    try:
        print(
            f"{platform.machine()}, {platform.processor() or 'cpu'}; python {sys.version.split()[0]}; "
            f"median of {RUNS} cold starts each, from the built layer (read-only, bytecode shipped)"
        )
        for name, code in FLOORS.items():
            print(f"floor: {name}: {floor(stack, code):.0f} ms")
        print(
            "each environment as Lambda holds it: its import on a full vCPU, its invocations on its memory's "
            f"share of one ({VCPU_MB} MB: one vCPU)"
            + ("" if stack.limits else "; NOT HELD HERE (no control groups): figures on a whole core")
        )
        total_goal = IMPORT_GOAL_MS + FIRST_EXTRA_GOAL_MS
        print(
            f"{'function':<18} {'MB':>5} {'import ms':>9} {'first ms':>9} {'warm ms':>8} {'first extra':>11} "
            f"{'import + first':>14}   goals: import <= {IMPORT_GOAL_MS}, extra <= {FIRST_EXTRA_GOAL_MS}, "
            f"together <= {total_goal}   | at {VCPU_MB} MB: first, warm, extra"
        )
        for function, request in requests(stack).items():
            memory_mb = stack.functions[function].spec.memory_mb  # the template's
            m = measure(stack, function, request, memory_mb)
            one = measure(stack, function, request, VCPU_MB)
            total = m["import"] + m["first"]
            verdict = ", ".join(
                f"{name} {'met' if value <= goal else 'MISSED'}"
                for name, value, goal in (
                    ("import", m["import"], IMPORT_GOAL_MS),
                    ("extra", m["extra"], FIRST_EXTRA_GOAL_MS),
                    ("together", total, total_goal),
                )
            )
            print(
                f"{function:<18} {memory_mb:>5} {m['import']:>9.0f} {m['first']:>9.0f} {m['warm']:>8.0f} "
                f"{m['extra']:>11.0f} {total:>14.0f}   {verdict:<44} | {one['first']:>5.0f} {one['warm']:>5.0f} "
                f"{one['extra']:>5.0f}"
            )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
