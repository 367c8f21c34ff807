"""Where an order finds its project's available credits: the project's pools, from the one the
order's id points at (one query while that pool holds the order)."""

from __future__ import annotations

from typing import NamedTuple

from carbonneutral.domain.orders import Order
from carbonneutral.domain.projects import SerialRange
from carbonneutral.store.ledger.order_items import OrderItems
from carbonneutral.store.ledger.table import MAX_BLOCKS_PER_ORDER, pool_pk, pool_start


class Stock(NamedTuple):
    """The lowest available blocks an order looked at (at most the limit it read with, so that it can
    never take more blocks than a transaction holds), each block's pool (by its first serial), whether
    they are all the project has, and whether there were more than it keeps (a pool read to its
    limit, or more blocks than the limit from several pools)."""

    blocks: list[SerialRange]
    pool: dict[int, int]
    complete: bool
    full: bool


class Pools(OrderItems):
    def _stock(self, order: Order, pools: tuple[int, ...], limit: int = MAX_BLOCKS_PER_ORDER) -> Stock:
        """The available blocks of the order's project, lowest serials first in each pool read (at
        most `limit` a pool): from the pool the order's id points at, then the next ones, until they
        hold the order (one query while that pool does)."""
        start = pool_start(order.order_id) % len(pools)
        blocks: list[SerialRange] = []
        pool: dict[int, int] = {}
        full, every = False, True
        for i, k in enumerate(pools[start:] + pools[:start]):
            found = self._blocks(pool_pk(order.project_id, k), "AVAILABLE", limit)
            blocks += found
            pool.update((block.first, k) for block in found)
            full = full or len(found) >= limit
            if sum(block.size for block in blocks) >= order.quantity_kg:
                every = i == len(pools) - 1
                break
        blocks.sort(key=lambda block: block.first)
        full = full or len(blocks) > limit
        return Stock(blocks[:limit], pool, every and not full, full)

    def _free_kg(self, project_id: str, stock: Stock, seen_kg: int, wanted: int) -> int:
        """What is free to reserve: the available blocks' sum when they are all the project has (read
        with the blocks, so exact); else the figure seen with the project (its counter shards as this
        process saw them within a minute), read afresh before it refuses an order."""
        if stock.complete:
            return sum(block.size for block in stock.blocks)
        if seen_kg >= wanted:
            return seen_kg
        found = self.project(project_id)
        return found[1].available_kg if found else 0
