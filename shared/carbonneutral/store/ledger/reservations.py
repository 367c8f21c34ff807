"""Reserving credits: what placing an order reads (one batch), then the order, its idempotency record,
its footprint's claim, its client's hold and its credit blocks in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Order, hold_limit
from carbonneutral.domain.projects import Inventory, Project, SerialRange, take, take_largest, take_spread
from carbonneutral.domain.purchase import Snapshot
from carbonneutral.errors import (
    Busy,
    Conflict,
    FootprintClaimed,
    IdempotencyRace,
    InsufficientCredits,
    InvalidInput,
    SceneClosed,
    TooManyReservations,
    TransactionCancelled,
)
from carbonneutral.store.items import footprint_key, n, s
from carbonneutral.store.ledger.blocks import pools_taken
from carbonneutral.store.ledger.claims import claim_of
from carbonneutral.store.ledger.counters import counter_of, held_key, inventory_of, pools_of
from carbonneutral.store.ledger.holds import held_of, hold_id, hold_key
from carbonneutral.store.ledger.pools import Pools
from carbonneutral.store.ledger.table import (
    IDEMPOTENCY_TTL,
    MAX_BLOCKS_PER_ORDER,
    WIDER_BLOCKS,
    _rng,
    available_key,
    claim_key,
    idempotency_key,
    project_key,
)
from carbonneutral.store.scenes import scene_from_item, scene_key


def _scene_open(table: str, scene_id: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": scene_key(scene_id),
            "ConditionExpression": "#status = :open",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":open": s("open")},
        }
    }


class Reservations(Pools):
    def snapshot(
        self,
        key: str,
        project_id: str,
        client: str | None,
        footprint_id: str | None = None,
        scene_id: str | None = None,
    ) -> Snapshot:
        """What placing an order reads, in one BatchGetItem (strongly consistent): the idempotency
        record, the project, the client's hold, and the footprint, its claim and the scene if named."""
        hold = hold_id(client, project_id) if client else None
        keys: dict[str, dict[str, Any]] = {
            "earlier": idempotency_key(key),
            "project": project_key(project_id),
        }
        if hold:
            keys["hold"] = hold_key(hold)
        if footprint_id:
            keys["claim"], keys["footprint"] = claim_key(footprint_id), footprint_key(footprint_id)
        if scene_id:
            keys["scene"] = scene_key(scene_id)
        found = self._batch_get(list(keys.values()))
        item = {name: found[pk] for name, k in keys.items() if (pk := (k["PK"]["S"], k["SK"]["S"])) in found}
        earlier, footprint = item.get("earlier"), None
        if "footprint" in item:
            from carbonneutral.domain.footprints import Footprint  # the sweeper never gets here

            body = item["footprint"]["body"]["S"]
            footprint = Footprint.model_validate_json(body, context={"stored": True})
        return Snapshot(
            earlier=(earlier["fingerprint"]["S"], earlier["order_id"]["S"]) if earlier else None,
            project=self._snapshot_project(project_id, item.get("project")),
            held=held_of(item.get("hold")),
            claim=claim_of(item["claim"]) if "claim" in item else None,
            footprint=footprint,
            scene=scene_from_item(item["scene"]) if "scene" in item else None,
        )

    def _snapshot_project(
        self, project_id: str, item: dict[str, Any] | None
    ) -> tuple[Project, Inventory] | None:
        """The project as just read, with its figures as this process saw them within a minute
        (`_project_seen`): they only bound a client's hold in a project of many available blocks,
        and are read afresh before an order is refused (`_free_kg`)."""
        if item is None:
            return None
        seen = self._project_seen(project_id)
        figures = seen[1].model_copy(update={"pools": pools_of(item)}) if seen else inventory_of(item, [])
        return Project.model_validate_json(item["body"]["S"]), figures

    def reserve(
        self,
        order: Order,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
        client: str | None = None,
        client_cap_kg: int = 0,
        snapshot: Snapshot | None = None,
    ) -> Order:
        """Reserves the order's credits, lowest serials first, and records the order and its key.

        With a `client`, what that client holds unpaid in the project stays within
        `hold_limit(client_cap_kg, …)`, or the order is refused with TooManyReservations.

        Raises InsufficientCredits, FootprintClaimed, TooManyReservations, Busy after repeated
        conflicts, or IdempotencyRace when another request with the same key won.
        """
        hold = hold_id(client, order.project_id) if client else None
        order = order.model_copy(update={"hold": hold, "counter": counter_of(order.order_id)})
        for attempt in range(self._max_attempts):
            # The first attempt uses what placing the order read; a retry reads afresh.
            fresh = snapshot is None or attempt > 0
            found = self.project(order.project_id) if fresh else snapshot.project  # type: ignore[union-attr]
            if found is None:
                raise InvalidInput(f"no project {order.project_id!r}", field="project_id")
            stock = self._stock(order, found[1].pools)
            available = stock.blocks
            free = self._free_kg(order.project_id, stock, found[1].available_kg, order.quantity_kg)
            if free < order.quantity_kg:
                raise InsufficientCredits(
                    f"{order.project_id} has {free} kg available; the order needs {order.quantity_kg} kg"
                )
            room = None
            if hold:
                held, until = self.held(hold) if fresh else snapshot.held  # type: ignore[union-attr]
                room = hold_limit(client_cap_kg, free, held)
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
            # Lowest serials first; once buyers collide, spread out over the available blocks.
            picked = (
                take(available, order.quantity_kg)
                if attempt == 0
                else take_spread(available, order.quantity_kg, _rng)
            )
            if not picked and stock.full:
                # The lowest serials are too fragmented for this order: look further, at the largest.
                stock = self._stock(order, found[1].pools, WIDER_BLOCKS)
                wider = stock.blocks
                picked = take_largest(wider, order.quantity_kg, MAX_BLOCKS_PER_ORDER)
                if not picked and (stock.full or sum(b.size for b in wider) >= order.quantity_kg):
                    raise Conflict(
                        f"the available credits are too fragmented for one order of {order.quantity_kg} kg "
                        f"(it may take at most {MAX_BLOCKS_PER_ORDER} blocks); order less",
                        field="quantity_kg",
                    )
            if not picked:
                self._backoff(attempt)  # the counters were read mid-change: look again
                continue
            pools = [stock.pool[block.first] for block, _ in picked]
            reserved = order.model_copy(
                update={"reserved": [part for _, part in picked], "taken_from": pools if any(pools) else []}
            )
            try:
                items = self._reservation_items(reserved, picked, idempotency_key, fingerprint, now)
                if room is not None:
                    items.append(self._hold_add(reserved, room))
                if order.scene_id:  # last: the scene is still open (a closed scene takes no orders)
                    items.append(_scene_open(self._table, order.scene_id))
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
                if order.scene_id and exc.codes[-1:] == ["ConditionalCheckFailed"]:
                    raise SceneClosed(
                        f"scene {order.scene_id!r} is closed: its figures are final and it takes no new orders",
                        field="footprint_id" if order.footprint_id else "scene_id",
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
            self._move_counter(order, "available_kg", "reserved_kg"),
        ]
        if order.footprint_id:  # one claim per footprint: a second order for it cannot be written
            items.insert(2, self._claim_put(order))
        for (block, part), (pool, _) in zip(picked, pools_taken(order), strict=True):
            unchanged = {
                "ConditionExpression": "#last = :last",
                "ExpressionAttributeNames": {"#last": "last"},
            }
            source = available_key(order.project_id, pool, block.first)
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
            items.append(
                self._put_block(held_key(order, "RESERVED", part.first), part, order_id=order.order_id)
            )
            if part.last < block.last:
                rest = SerialRange(first=part.last + 1, last=block.last)
                items.append(self._put_block(available_key(order.project_id, pool, rest.first), rest))
        return items
