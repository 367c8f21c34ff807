"""Leaderboard reads at 10^3, 10^4 and 10^5 entries on DynamoDB Local.

Boards are bulk-loaded (entries plus their sharded histograms, built with the store's own
key functions), then top-10 and an entry's exact rank are timed and their DynamoDB requests
and consumed read units counted.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from carbonneutral import threads
from carbonneutral.domain.ranking import bucket_of, shard_of
from carbonneutral.store import leaderboards
from carbonneutral.store.items import n, s
from carbonneutral.store.leaderboards import (
    Leaderboards,
    _entry_key,
    _hist_pk,
    _sort_key,
    index_key,
    index_shard_of,
)

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack

SIZES = (1_000, 10_000, 100_000)


def load(client: Any, table: str, board: str, size: int, rng: random.Random) -> list[str]:
    coarse: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    fine: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    items, ids = [], []
    for i in range(size):
        entry_id, kg = f"p_bench{size}x{i:08d}", int(rng.lognormvariate(5, 1.5)) + 1
        ids.append(entry_id)
        shard, bucket = shard_of(entry_id), bucket_of(kg)
        coarse[shard][bucket] += 1
        fine[(shard, bucket)][kg] += 1
        items.append(
            {
                **_entry_key(board, "individual", "all", entry_id),
                "kg": n(kg),
                "name": s(f"Buyer {i}"),
                "entry_id": s(entry_id),
                "GSI2PK": s(index_key(board, "individual", "all", index_shard_of(entry_id))),
                "GSI2SK": s(_sort_key(kg, entry_id)),
            }
        )
    for shard, counts in coarse.items():
        items.append(
            {
                "PK": _hist_pk(board, "individual", "all", shard),
                "SK": s("C"),
                **{f"b{b}": n(c) for b, c in counts.items()},
            }
        )
    for (shard, bucket), counts in fine.items():
        items.append(
            {
                "PK": _hist_pk(board, "individual", "all", shard),
                "SK": s(f"F#{bucket}"),
                **{f"s{k}": n(c) for k, c in counts.items()},
            }
        )

    def write(chunk: list[dict[str, Any]]) -> None:
        request = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, [items[i : i + 25] for i in range(0, len(items), 25)]))
    return ids


class Meter:
    def __init__(self, client: Any) -> None:
        self.requests, self.units = 0, 0.0
        counting = threading.Lock()  # a read's queries come back on the store's threads

        def ask(params: dict[str, Any], **_: Any) -> None:
            params["ReturnConsumedCapacity"] = "TOTAL"

        def count(parsed: dict[str, Any], **_: Any) -> None:
            capacities = parsed.get("ConsumedCapacity") or []
            with counting:
                self.requests += 1
                for c in [capacities] if isinstance(capacities, dict) else capacities:
                    self.units += float(c.get("CapacityUnits") or 0)

        for op in ("GetItem", "Query", "BatchGetItem"):
            client.meta.events.register(f"provide-client-params.dynamodb.{op}", ask)
            client.meta.events.register(f"after-call.dynamodb.{op}", count)


def measure(boards: Leaderboards, meter: Meter, fn: Any, runs: int = 30) -> tuple[float, float, float, float]:
    meter.requests, meter.units, samples = 0, 0.0, []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)
    return (
        meter.requests / runs,
        meter.units / runs,
        statistics.median(samples) * 1000,
        ordered[int(0.99 * (len(ordered) - 1))] * 1000,
    )


def _in_turn(fn: Any, args: Any) -> list[Any]:
    """Stands in for `threads.at_once`: a read's queries one after the other."""
    return [fn(arg) for arg in args]


def main() -> None:
    stack = LocalStack(port=free_port(), quiet=True, seed=False).start()
    sharded, at_once = leaderboards.INDEX_SHARDS, threads.at_once
    # each size three times, each board loaded with the same entries: over the index's keys with a
    # read's queries sent at once (as the store does), the same one after the other, and under one
    # key as before the index was sharded (the baseline: one query for the top, two for neighbours)
    ways = ((sharded, "at once"), (sharded, "in turn"), (1, "before"))
    try:
        loader, reader = stack.dynamodb_client(), stack.dynamodb_client()
        boards, meter, rng = Leaderboards(stack.table, reader), Meter(reader), random.Random(7)
        print("entries   index keys  queries  operation              requests  read units  p50 ms  p99 ms")
        for size, (keys, way) in ((size, way) for size in SIZES for way in ways):
            leaderboards.INDEX_SHARDS = keys
            threads.at_once = at_once if way == "at once" else _in_turn
            board = f"scene:bench-{size}-{keys}-{way.replace(' ', '-')}"
            started = time.perf_counter()
            ids = load(loader, stack.table, board, size, random.Random(size))
            loaded = time.perf_counter() - started
            top = measure(boards, meter, lambda board=board: boards.top(board, "individual", "all", 10))
            picks = iter(rng.choice(ids) for _ in range(10**6))

            def rank_one(board: str = board, picks: Any = picks) -> None:
                entry = boards.entry(board, "individual", "all", next(picks))
                assert entry is not None
                boards.rank(board, "individual", "all", entry)

            def place_one(board: str = board, picks: Any = picks) -> None:
                assert boards.ranked_with_neighbours(board, "individual", "all", next(picks)) is not None

            ranked = measure(boards, meter, rank_one)
            placed = measure(boards, meter, place_one)
            for name, (req, units, p50, p99) in (
                ("top-10", top),
                ("exact rank", ranked),
                ("rank and neighbours", placed),
            ):
                print(
                    f"{size:>7}   {keys:>10}  {way:<7}  {name:<20} {req:>8.1f}  {units:>10.1f}"
                    f"  {p50:>6.1f}  {p99:>6.1f}"
                )
            print(f"          (loaded in {loaded:.0f} s)")
        print(
            f"cost model at 10^7 entries: top-10 is one Query of each of the {sharded} index keys, reading"
            " up to 10 items each"
        )
        print(
            "(0.5 RCU each: 10 small items, eventually consistent); an exact rank is one GetItem (0.5 RCU) and one"
            " BatchGetItem of 16 small"
        )
        print(
            "histogram items (16 x 0.5 RCU + size); its neighbours one Query each way of each index key"
            " (0.5 RCU each):"
        )
        print(
            "independent of the board's size. Each purchase writes 1 entry, 1-2 fine and 0-1 coarse"
            " histogram counters per board"
        )
        print(
            f"and period, spread over 8 shards, and the entry's index item (a delete and a put when its score"
            f" moves) under one of {sharded} keys."
        )
    finally:
        leaderboards.INDEX_SHARDS, threads.at_once = sharded, at_once
        stack.stop()


if __name__ == "__main__":
    main()
