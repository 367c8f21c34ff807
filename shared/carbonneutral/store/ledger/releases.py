"""Releasing unpaid orders' credits: the buyer cancels, or the reservation runs out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.domain.projects import SerialRange, merged
from carbonneutral.domain.settlement import cancellation, expiry
from carbonneutral.errors import (
    Busy,
    NotFound,
    TransactionCancelled,
)
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.blocks import block_of, pools_taken
from carbonneutral.store.ledger.counters import held_key
from carbonneutral.store.ledger.order_items import OrderItems
from carbonneutral.store.ledger.table import (
    RESERVATION_SHARDS,
    available_key,
    iso,
    pool_pk,
)


class Releases(OrderItems):
    # Released credits join the available blocks they touch, so a project's available blocks stay
    # few however much is reserved and released (False: put back as they are, for the churn bench).
    merge_on_release = True

    def _release_items(self, order: Order, updated: Order) -> list[dict[str, Any]]:
        items = [
            self._order_update(updated, OrderStatus.pending_payment),
            self._move_counter(order, "reserved_kg", "available_kg"),
        ]
        items += (
            self._return_available(order)
            if self.merge_on_release
            else self._move_reserved(order, "AVAILABLE")
        )
        items += self._claim_release(order)
        items += self._hold_release(order)
        return items

    def _available_at_or_below(self, project_id: str, pool: int, serial: int) -> SerialRange | None:
        """The pool's available block that starts nearest at or below a serial (one query)."""
        items = aws.call(
            "ledger",
            self.client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": s(pool_pk(project_id, pool)),
                ":low": s("AVAILABLE#"),
                ":high": available_key(project_id, pool, serial)["SK"],
            },
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        ).get("Items", [])
        return block_of(items[0]) if items else None

    def _compact_around(self, project_id: str, pool: int, serial: int) -> None:
        """Joins the pool's available block holding a serial with its blocks that meet it. Each release
        joins what it saw in its own transaction; two releases side by side at once each saw the
        other still reserved, so each looks again once it is done: the later one joins them."""
        for attempt in range(3):
            block = self._available_at_or_below(project_id, pool, serial)
            if block is None or block.last < serial:
                return  # reserved again meanwhile
            left = self._available_at_or_below(project_id, pool, block.first - 1) if block.first > 1 else None
            right = self._batch_get([available_key(project_id, pool, block.last + 1)])
            parts = [block]
            if left is not None and left.last + 1 == block.first:
                parts.insert(0, left)
            for item in right.values():
                parts.append(block_of(item))
            if len(parts) == 1:
                return
            joined = SerialRange(first=parts[0].first, last=parts[-1].last)
            items = self._joined_items(project_id, pool, joined, parts)
            try:
                self._transact(items)
                return
            except TransactionCancelled:
                self._backoff(attempt)

    def _joined_items(
        self, project_id: str, pool: int, joined: SerialRange, absorbed: list[SerialRange]
    ) -> list[dict[str, Any]]:
        """One available block of the pool for `joined` from the pool's blocks it absorbs, each conditioned
        on being unchanged: the one starting where `joined` starts keeps its key and takes the new
        end, the others go; with none starting there, the joined block is put anew."""
        items: list[dict[str, Any]] = []
        for block in absorbed:
            unchanged = {
                "TableName": self._table,
                "Key": available_key(project_id, pool, block.first),
                "ConditionExpression": "#last = :last",
                "ExpressionAttributeNames": {"#last": "last"},
            }
            if block.first == joined.first:
                values = {":last": n(block.last), ":joined": n(joined.last)}
                items.append(
                    {
                        "Update": {
                            **unchanged,
                            "UpdateExpression": "SET #last = :joined",
                            "ExpressionAttributeValues": values,
                        }
                    }
                )
            else:
                items.append({"Delete": {**unchanged, "ExpressionAttributeValues": {":last": n(block.last)}}})
        if not any(block.first == joined.first for block in absorbed):
            items.append(self._put_block(available_key(project_id, pool, joined.first), joined))
        return items

    def _compacted(self, order: Order) -> None:
        if self.merge_on_release:
            for pool, part in pools_taken(order):
                self._compact_around(order.project_id, pool, part.first)

    def _neighbours(self, project_id: str, pool: int, released: list[SerialRange]) -> list[SerialRange]:
        """The pool's available blocks that end just before or begin just after each released range:
        the nearest block below each range (one query each) and the blocks at each range's end + 1."""
        found: dict[int, SerialRange] = {}
        for part in released:
            below = self._available_at_or_below(project_id, pool, part.first - 1) if part.first > 1 else None
            if below is not None:
                found[below.first] = below
        after = [available_key(project_id, pool, part.last + 1) for part in released]
        for item in self._batch_get(after).values():
            block = block_of(item)
            found[block.first] = block
        return list(found.values())

    def _return_available(self, order: Order) -> list[dict[str, Any]]:
        """The order's reserved blocks made available again in the pools they came from, joined with
        the pool's available blocks they touch: each block it absorbs is conditioned on being
        unchanged, so a concurrent reservation from a neighbour cancels the release, which is then
        decided again from fresh reads."""
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": held_key(order, "RESERVED", part.first),
                    "ConditionExpression": "order_id = :order",
                    "ExpressionAttributeValues": {":order": s(order.order_id)},
                }
            }
            for part in order.reserved
        ]
        by_pool: dict[int, list[SerialRange]] = {}
        for pool, part in pools_taken(order):
            by_pool.setdefault(pool, []).append(part)
        for pool, released in by_pool.items():
            for joined, absorbed in merged(released, self._neighbours(order.project_id, pool, released)):
                items += self._joined_items(order.project_id, pool, joined, absorbed)
        return items

    def cancel(self, order: Order) -> Order:
        """The buyer cancels an unpaid order: its credits, claim and hold go back in one transaction.
        Cancelling again answers the cancelled order; a paid or expired one is a 409."""
        for attempt in range(self._max_attempts):
            release = cancellation(order)
            if release is None:
                return order
            try:
                self._transact(self._release_items(order, release.order))
                self._compacted(order)
                return release.order
            except TransactionCancelled:
                self._backoff(attempt)  # paid, expired or cancelled meanwhile: decide again
                current = self.order(order.order_id)
                if current is None:  # pragma: no cover - orders are never deleted
                    raise NotFound(f"no order {order.order_id!r}") from None
                order = current
        raise Busy("could not cancel the order; try again in a moment")

    def expire(self, order_id: str) -> bool:
        """Releases an unpaid order's credits; False when it was paid or released meanwhile."""
        for attempt in range(self._max_attempts):
            order = self.order(order_id)
            release = expiry(order)
            if order is None or release is None:
                return False
            try:
                self._transact(self._release_items(order, release.order))
                self._compacted(order)
                return True
            except TransactionCancelled:
                self._backoff(attempt)  # paid meanwhile, or a neighbouring block changed: look again
        return False

    def expired_reservations(self, now: datetime, limit: int = 100) -> list[str]:
        """Pending orders whose reservation ran out, oldest first, across every shard."""
        found: list[str] = []
        for shard in range(RESERVATION_SHARDS):
            for item in self._query(
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :pk AND GSI1SK < :now",
                ExpressionAttributeValues={":pk": s(f"RESERVATIONS#{shard}"), ":now": s(iso(now))},
                page_size=limit,
            ):
                found.append(item["GSI1SK"]["S"].split("#", 1)[1])
                if len(found) >= limit:
                    return found
        return found
