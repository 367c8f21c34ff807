"""Projects and their serial-numbered credit blocks: reading them, and the block moves every change
of credits is made of (issuance and the audit are in issuance.py).

A block's state is part of its sort key (AVAILABLE#, RESERVED#, RETIRED#{first:012d}), so
finding available credits reads only available blocks, and a state change is a Delete plus a
Put that either both happen or neither. Available blocks are in the project's pools (its key, and
`PROJECT#{id}#A01`-`A07` once an issuance was large enough to share out, `table.pool_pk`); reserved
and retired ones under their order's counter shard's key (`counters.held_key`).
"""

from __future__ import annotations

import time
from typing import Any

from carbonneutral.domain.orders import Order
from carbonneutral.domain.projects import Inventory, Project, SerialRange
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.counters import Counters, held_key, pools_of, shard_counter_keys
from carbonneutral.store.ledger.table import (
    available_key,
    pool_pk,
    project_key,
)

PROJECT_TTL_S = 60.0
_PROJECTS_SEEN: dict[tuple[str, str], tuple[float, tuple[Project, Inventory]]] = {}


class CreditBlocks(Counters):
    def _project_seen(self, project_id: str, *, fresh: bool = False) -> tuple[Project, Inventory] | None:
        """A project as read within the last minute (its counters as they were then: for what needs
        the project's description, never for what needs its counters)."""
        key, now = (self._table, project_id), time.monotonic()
        kept = _PROJECTS_SEEN.get(key)
        if fresh or kept is None or now - kept[0] > PROJECT_TTL_S:
            found = self.project(project_id)
            if found is None:
                return None
            kept = _PROJECTS_SEEN[key] = (now, found)
        return kept[1]

    def project_ids(self) -> list[str]:
        return [
            item["GSI1SK"]["S"]
            for item in self._query(
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :pk",
                ExpressionAttributeValues={":pk": s("PROJECTS")},
            )
        ]

    def projects(self) -> list[tuple[Project, Inventory]]:
        """Every project with its figures (item and counter shards, as a listing reads: eventually
        consistent, a query and a batch each)."""
        return [found for pid in self.project_ids() if (found := self.project(pid, consistent=False))]

    def blocks(self, project_id: str, state: str) -> list[SerialRange]:
        """The project's blocks in a state, lowest serials first: available ones from each of its
        pools; reserved and retired ones from the project's key and each shard's that has counted an
        order."""
        if state != "AVAILABLE":
            pks = self._held_pks(project_id)
        else:
            pks = [pool_pk(project_id, pool) for pool in self._pools(project_id)]
        return sorted((b for pk in pks for b in self._blocks(pk, state)), key=lambda b: b.first)

    def _pools(self, project_id: str) -> tuple[int, ...]:
        return pools_of(self._project_attribute(project_id, "pools"))

    def _project_attribute(self, project_id: str, name: str) -> dict[str, Any]:
        """The project's item with only the named attribute, strongly consistent (empty without it)."""
        item: dict[str, Any] = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=project_key(project_id),
            ConsistentRead=True,
            ProjectionExpression=name,
        ).get("Item", {})
        return item

    def _every_item(self, project_id: str) -> list[dict[str, Any]]:
        """Every item under the project's key, each counting shard's and each pool's, strongly
        consistent: the project, its counters and its blocks in every state."""
        pools = [pool_pk(project_id, pool) for pool in self._pools(project_id) if pool]
        return [
            item
            for pk in [*self._held_pks(project_id), *pools]
            for item in self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": s(pk)},
                ConsistentRead=True,
            )
        ]

    def _held_pks(self, project_id: str) -> list[str]:
        """The keys that may hold the project's reserved and retired blocks: the project's, and each
        shard's whose counter exists (an order's reservation writes it with the order's blocks)."""
        counting = self._batch_get(shard_counter_keys(project_id))
        return [f"PROJECT#{project_id}", *sorted(pk for pk, _ in counting)]

    def _blocks(self, pk: str, state: str, limit: int | None = None) -> list[SerialRange]:
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :state)",
            "ExpressionAttributeValues": {":pk": s(pk), ":state": s(f"{state}#")},
            "ConsistentRead": True,
        }
        blocks = []
        for item in self._query(**params, page_size=limit):
            blocks.append(block_of(item))
            if limit and len(blocks) >= limit:
                break
        return blocks

    def put_project(self, project: Project) -> None:
        """Creates or updates a project's metadata; counters start at zero and are never overwritten."""
        aws.call(
            "ledger",
            self.client.update_item,
            TableName=self._table,
            Key=project_key(project.project_id),
            UpdateExpression=(
                "SET #body = :body, #type = :type, GSI1PK = :g1, GSI1SK = :id, "
                "issued_kg = if_not_exists(issued_kg, :zero), available_kg = if_not_exists(available_kg, :zero), "
                "reserved_kg = if_not_exists(reserved_kg, :zero), retired_kg = if_not_exists(retired_kg, :zero), "
                "issuance_version = if_not_exists(issuance_version, :zero)"
            ),
            ExpressionAttributeNames={"#body": "body", "#type": "type"},
            ExpressionAttributeValues={
                ":body": s(project.model_dump_json()),
                ":type": s("project"),
                ":g1": s("PROJECTS"),
                ":id": s(project.project_id),
                ":zero": n(0),
            },
        )

    def _move_reserved(self, order: Order, state: str, **attrs: str) -> list[dict[str, Any]]:
        """The order's reserved blocks become `state`, provided they are still held for this order."""
        items: list[dict[str, Any]] = []
        for pool, serials in pools_taken(order):
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": held_key(order, "RESERVED", serials.first),
                        "ConditionExpression": "order_id = :order",
                        "ExpressionAttributeValues": {":order": s(order.order_id)},
                    }
                }
            )
            key = available_key(order.project_id, pool, serials.first) if state == "AVAILABLE" else None
            items.append(self._put_block(key or held_key(order, state, serials.first), serials, **attrs))
        return items

    def _put_block(self, key: dict[str, Any], serials: SerialRange, **attrs: str) -> dict[str, Any]:
        item = {
            **key,
            "type": s("credit_block"),
            "first": n(serials.first),
            "last": n(serials.last),
            **{k: s(v) for k, v in attrs.items()},
        }
        return {
            "Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        }


def pools_taken(order: Order) -> list[tuple[int, SerialRange]]:
    """Each block reserved for the order with the pool it came from (pool 0 for orders from before)."""
    return list(zip(order.taken_from or [0] * len(order.reserved), order.reserved, strict=True))


def block_of(item: dict[str, Any]) -> SerialRange:
    """A credit block's serials, from its item."""
    return SerialRange(first=int(item["first"]["N"]), last=int(item["last"]["N"]))
