"""Orders: reserving credits with the order and its idempotency record in one transaction,
the per-client cap on unpaid reservations, and releasing what ran out unpaid."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.domain.projects import SerialRange, take, take_spread
from carbonneutral.domain.settlement import expiry
from carbonneutral.errors import (
    Busy,
    Conflict,
    IdempotencyRace,
    InsufficientCredits,
    InvalidInput,
    TooManyReservations,
    TransactionCancelled,
)
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.blocks import CreditBlocks
from carbonneutral.store.ledger.table import (
    CLIENT_WINDOW_S,
    IDEMPOTENCY_TTL,
    MAX_BLOCKS_PER_ORDER,
    RESERVATION_SHARDS,
    _rng,
    block_key,
    idempotency_key,
    iso,
    order_key,
    reservation_shard,
)


class Orders(CreditBlocks):
    def order(self, order_id: str) -> Order | None:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=order_key(order_id),
            ConsistentRead=True,
        ).get("Item")
        return Order.model_validate_json(item["body"]["S"]) if item else None

    def find_idempotent(self, key: str) -> tuple[str, str] | None:
        """(fingerprint, order_id) of an earlier request with this key, if any."""
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=idempotency_key(key),
            ConsistentRead=True,
        ).get("Item")
        return (item["fingerprint"]["S"], item["order_id"]["S"]) if item else None

    def reserve(
        self,
        order: Order,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
        client: str | None = None,
        client_cap_kg: int = 0,
    ) -> Order:
        """Reserves the order's credits, lowest serials first, and records the order and its key.

        Raises InsufficientCredits, Busy after repeated conflicts, or IdempotencyRace when another
        request with the same key won.
        """
        for attempt in range(self._max_attempts):
            found = self.project(order.project_id)
            if found is None:
                raise InvalidInput(f"no project {order.project_id!r}", field="project_id")
            inventory = found[1]
            if inventory.available_kg < order.quantity_kg:
                raise InsufficientCredits(
                    f"{order.project_id} has {inventory.available_kg} kg available; the order needs {order.quantity_kg} kg"
                )
            available = self.blocks(order.project_id, "AVAILABLE", limit=MAX_BLOCKS_PER_ORDER)
            # Lowest serials first; once buyers collide, spread out over the available blocks.
            picked = (
                take(available, order.quantity_kg)
                if attempt == 0
                else take_spread(available, order.quantity_kg, _rng)
            )
            if not picked:
                if len(available) >= MAX_BLOCKS_PER_ORDER:
                    raise Conflict(
                        "the available credits are too fragmented for one order; order less",
                        field="quantity_kg",
                    )
                self._backoff(attempt)  # the counters were read mid-change: look again
                continue
            reserved = order.model_copy(update={"reserved": [part for _, part in picked]})
            try:
                items = self._reservation_items(reserved, picked, idempotency_key, fingerprint, now)
                capped = bool(client) and client_cap_kg > 0
                if capped:
                    items.append(self._client_window(str(client), order.quantity_kg, now, client_cap_kg))
                self._transact(items)
                return reserved
            except TransactionCancelled as exc:
                if exc.codes[0] == "ConditionalCheckFailed":
                    raise IdempotencyRace from exc
                if capped and exc.codes[-1] == "ConditionalCheckFailed":
                    raise TooManyReservations(
                        f"this client reserved {client_cap_kg} kg or more in the last half hour; "
                        "pay or let those orders expire first"
                    ) from exc
                self._backoff(attempt)
        raise Busy("the project's credits are in high demand; try again in a moment")

    def _reservation_items(
        self,
        order: Order,
        picked: list[tuple[SerialRange, SerialRange]],
        key: str,
        fingerprint: str,
        now: datetime,
    ) -> list[dict[str, Any]]:
        q = order.quantity_kg
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **idempotency_key(key),
                        "type": s("idempotency"),
                        "fingerprint": s(fingerprint),
                        "order_id": s(order.order_id),
                        "expires_at": n(int((now + IDEMPOTENCY_TTL).timestamp())),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._order_item(order),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._move_counter(order.project_id, "available_kg", "reserved_kg", q),
        ]
        for block, part in picked:
            unchanged = {
                "ConditionExpression": "#last = :last",
                "ExpressionAttributeNames": {"#last": "last"},
            }
            source = block_key(order.project_id, "AVAILABLE", block.first)
            if part.first == block.first:
                items.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": source,
                            **unchanged,
                            "ExpressionAttributeValues": {":last": n(block.last)},
                        }
                    }
                )
            else:  # the serials before the part stay available under the block's own key
                items.append(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": source,
                            **unchanged,
                            "UpdateExpression": "SET #last = :left",
                            "ExpressionAttributeValues": {":last": n(block.last), ":left": n(part.first - 1)},
                        }
                    }
                )
            items.append(self._put_block(order.project_id, "RESERVED", part, order_id=order.order_id))
            if part.last < block.last:
                rest = SerialRange(first=part.last + 1, last=block.last)
                items.append(self._put_block(order.project_id, "AVAILABLE", rest))
        return items

    def _client_window(self, client: str, q: int, now: datetime, cap_kg: int) -> dict[str, Any]:
        """Counts what one client reserves per half hour, so a flood of unpaid orders cannot
        starve a project. The first order of a window may be any size (an organizer's event)."""
        window = int(now.timestamp()) // CLIENT_WINDOW_S
        digest = hashlib.sha256(client.encode()).hexdigest()[:32]
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"PK": s(f"CLIENT#{digest}#{window}"), "SK": s("RESERVATIONS")},
                "UpdateExpression": "ADD reserved_kg :q SET expires_at = :expires, #type = :type",
                "ConditionExpression": "attribute_not_exists(reserved_kg) OR reserved_kg <= :room",
                "ExpressionAttributeNames": {"#type": "type"},
                "ExpressionAttributeValues": {
                    ":q": n(q),
                    ":room": n(cap_kg - q),
                    ":expires": n((window + 2) * CLIENT_WINDOW_S),
                    ":type": s("client_window"),
                },
            }
        }

    def _order_item(self, order: Order) -> dict[str, Any]:
        item = {
            **order_key(order.order_id),
            "type": s("order"),
            "v": n(1),
            "status": s(order.status.value),
            "project_id": s(order.project_id),
            "body": s(order.model_dump_json()),
        }
        if order.status is OrderStatus.pending_payment:
            item["GSI1PK"] = s(reservation_shard(order.order_id))
            item["GSI1SK"] = s(f"{iso(order.reserved_until)}#{order.order_id}")
        return item

    def _order_update(self, order: Order, expected: OrderStatus) -> dict[str, Any]:
        """Replaces the order, provided nobody changed its status meanwhile."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": self._order_item(order),
                "ConditionExpression": "#status = :expected",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":expected": s(expected.value)},
            }
        }

    def set_checkout_reference(self, order: Order) -> None:
        self._transact([self._order_update(order, OrderStatus.pending_payment)])

    def _release_items(self, order: Order, updated: Order) -> list[dict[str, Any]]:
        q = order.quantity_kg
        items = [
            self._order_update(updated, OrderStatus.pending_payment),
            self._move_counter(order.project_id, "reserved_kg", "available_kg", q),
        ]
        items += self._move_reserved(order, "AVAILABLE")
        return items

    def expire(self, order_id: str) -> bool:
        """Releases an unpaid order's credits; False when it was paid or released meanwhile."""
        order = self.order(order_id)
        release = expiry(order)
        if order is None or release is None:
            return False
        try:
            self._transact(self._release_items(order, release.order))
            return True
        except TransactionCancelled:
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
