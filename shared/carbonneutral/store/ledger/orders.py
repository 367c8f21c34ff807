"""Orders: reserving credits with the order and its idempotency record in one transaction,
the per-client cap on unpaid reservations, and releasing what ran out unpaid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Order, OrderStatus, hold_limit
from carbonneutral.domain.projects import SerialRange, take, take_spread
from carbonneutral.domain.settlement import cancellation, expiry
from carbonneutral.errors import (
    Busy,
    Conflict,
    FootprintClaimed,
    IdempotencyRace,
    InsufficientCredits,
    InvalidInput,
    NotFound,
    TooManyReservations,
    TransactionCancelled,
)
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.blocks import CreditBlocks
from carbonneutral.store.ledger.claims import Claims
from carbonneutral.store.ledger.holds import Holds, hold_id
from carbonneutral.store.ledger.table import (
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


class Orders(CreditBlocks, Claims, Holds):
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

        With a `client`, what that client holds unpaid in the project stays within
        `hold_limit(client_cap_kg, …)`, or the order is refused with TooManyReservations.

        Raises InsufficientCredits, FootprintClaimed, TooManyReservations, Busy after repeated
        conflicts, or IdempotencyRace when another request with the same key won.
        """
        hold = hold_id(client, order.project_id) if client else None
        order = order.model_copy(update={"hold": hold})
        for attempt in range(self._max_attempts):
            found = self.project(order.project_id)
            if found is None:
                raise InvalidInput(f"no project {order.project_id!r}", field="project_id")
            inventory = found[1]
            if inventory.available_kg < order.quantity_kg:
                raise InsufficientCredits(
                    f"{order.project_id} has {inventory.available_kg} kg available; the order needs {order.quantity_kg} kg"
                )
            room = None
            if hold:
                held, until = self.held(hold)
                room = hold_limit(client_cap_kg, inventory.available_kg, held)
                if held + order.quantity_kg > room:
                    # When the client's own reservations run out; holding none, when everyone else's
                    # reservations taken now will have, freeing what the share is measured on.
                    wait = (until or order.reserved_until) - now
                    bound = f", and never more than {client_cap_kg} kg" if client_cap_kg else ""
                    raise TooManyReservations(
                        f"one client may hold at most {room} kg of {order.project_id} unpaid now (a fifth "
                        f"of what is free{bound}); this client holds {held} kg: order at most "
                        f"{max(room - held, 0)} kg, pay for what it holds, or try again later",
                        retry_after=max(int(wait.total_seconds()), 1),
                        field="quantity_kg",
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
                if room is not None:
                    items.append(self._hold_add(reserved, room))
                self._transact(items)
                return reserved
            except TransactionCancelled as exc:
                if exc.codes[0] == "ConditionalCheckFailed":
                    raise IdempotencyRace from exc
                if order.footprint_id and exc.codes[2:3] == ["ConditionalCheckFailed"]:
                    raise FootprintClaimed(
                        f"footprint {order.footprint_id} already has an order, pending or retired",
                        field="footprint_id",
                    ) from exc
                self._backoff(attempt)  # credits or the client's hold changed meanwhile: look again
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
        if order.footprint_id:  # one claim per footprint: a second order for it cannot be written
            items.insert(2, self._claim_put(order))
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
        items += self._claim_release(order)
        items += self._hold_release(order)
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
