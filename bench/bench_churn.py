"""Churn on one project: 10,000 orders, 30 % of them cancelled or left to expire, the rest paid,
from 8 concurrent buyers against DynamoDB Local, through the ledger itself.

It prints, every 1,000 orders, how many available blocks the project has and how many blocks the
last thousand orders were made of, then the orders refused. Three runs: released credits joined
with their neighbours (as now); the baseline, put back as they are; and as before issue 17, put
back as they are and a block split in the middle whenever buyers collide.

    python bench/bench_churn.py [orders] [merged|unmerged|before ...]
"""

from __future__ import annotations

import random
import secrets
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from carbonneutral.domain.projects import SPREAD_BLOCKS, SPREAD_WINDOW

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
MODES = {
    "merged": ("released credits join their neighbours (issue 17)", True, False),
    "unmerged": ("baseline: released credits put back as they are", False, False),
    "before": (
        "before issue 17: put back as they are, and a block split whenever buyers collide",
        False,
        True,
    ),
}
BUYERS = 8
RELEASED = 0.30  # of orders: half cancelled by the buyer, half left to expire
ISSUED_KG = 10_000_000


def run(stack: LocalStack, merge: bool, split_always: bool = False) -> None:
    from carbonneutral.domain import projects

    # before issue 17, a reservation under contention always split a block in the middle
    projects.SPREAD_BLOCKS = 10**9 if split_always else SPREAD_BLOCKS
    projects.SPREAD_WINDOW = 10**12 if split_always else SPREAD_WINDOW  # anywhere in the block
    from carbonneutral.domain.orders import Beneficiary, OrderRequest
    from carbonneutral.domain.projects import Project, SerialRange
    from carbonneutral.domain.purchase import PurchaseService
    from carbonneutral.errors import Busy, Conflict
    from carbonneutral.payments.sandbox import SandboxProvider
    from carbonneutral.store.footprints import DynamoFootprintRepository
    from carbonneutral.store.ledger import CreditLedger
    from carbonneutral.store.scenes import DynamoSceneRepository

    client = stack.dynamodb_client()
    ledger = CreditLedger(stack.table, client)
    ledger.merge_on_release = merge
    project_id = "churn-" + secrets.token_hex(4)
    template = ledger.project("cdcer-sichuan-biogas")
    assert template is not None
    project: Project = template[0].model_copy(update={"project_id": project_id})
    ledger.put_project(project)
    ledger.issue(project_id, [SerialRange(first=1, last=ISSUED_KG)])
    sandbox = SandboxProvider("churn-bench-secret-0123456789")
    service = PurchaseService(
        ledger,
        DynamoFootprintRepository(stack.table, client),
        DynamoSceneRepository(stack.table, client),
        lambda: {"sandbox": sandbox},
        default_provider="sandbox",
        token_secret=lambda: "churn-bench-token-secret-0123",
        reservation=timedelta(minutes=30),
    )
    lock, placed = threading.Lock(), [0]
    sizes: list[int] = []
    refused: Counter[str] = Counter()
    print(f"  {'orders':>7}  {'available blocks':>16}  {'blocks per order (last 1,000)':>29}  {'refused':>7}")

    def report() -> None:
        blocks = len(ledger.blocks(project_id, "AVAILABLE"))
        recent = sizes[-1000:]
        print(
            f"  {placed[0]:>7}  {blocks:>16}  {sum(recent) / max(1, len(recent)):>29.2f}  {sum(refused.values()):>7}"
        )

    def buyer(seed: int) -> None:
        rng = random.Random(seed)
        pending: list[Any] = []
        while True:
            with lock:
                if placed[0] >= ORDERS:
                    break
                placed[0] += 1
                if placed[0] % 1000 == 0:
                    report()
            request = OrderRequest(
                quantity_kg=rng.randint(1, 400), project_id=project_id, beneficiary=Beneficiary(name="Churn")
            )
            try:
                order, _ = service.place(
                    request, "churn-" + secrets.token_hex(8), base_url="http://127.0.0.1"
                )
            except Conflict as exc:
                refused[type(exc).__name__ + (" (fragmented)" if "fragmented" in str(exc) else "")] += 1
                continue
            except Busy:
                refused["Busy"] += 1
                continue
            sizes.append(len(order.reserved))
            pending.append(order)
            if len(pending) > 6:  # settle one of this buyer's unpaid orders, not always the oldest
                done = pending.pop(rng.randrange(len(pending)))
                roll = rng.random()
                if roll < RELEASED / 2:
                    ledger.cancel(done)
                elif roll < RELEASED:
                    ledger.expire(done.order_id)
                else:
                    body, headers = sandbox.event_for(done)
                    service.receive_webhook("sandbox", body, headers, base_url="http://127.0.0.1")
        for done in pending:
            ledger.expire(done.order_id)

    started = time.perf_counter()
    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"  done in {time.perf_counter() - started:.0f} s; refused: {dict(refused) or 'none'}")
    problems = [b.problem for b in ledger.audit() if b.project_id == project_id]
    print("  audit:", "; ".join(problems) or "clean (issued = available + reserved + retired, blocks match)")


def main() -> None:
    stack = LocalStack(port=free_port(), quiet=True).start()
    try:
        for mode in sys.argv[2:] or list(MODES):
            title, merge, split_always = MODES[mode]
            print(title)
            run(stack, merge, split_always)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
