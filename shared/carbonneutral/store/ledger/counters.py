"""A project's credit counters, sharded so that concurrent orders of one project do not all write
one item.

  PROJECT#{id} / PROJECT        issued_kg, and available/reserved/retired_kg as issuance and the
                                orders placed before the shards left them
  PROJECT#{id}#S{k} / COUNTER   reserved_kg and retired_kg of the orders counted in shard k (0-15)
  PROJECT#{id} / COUNTER#{k}    the same for orders counted before the shards had keys of their own

A shard's key also holds the credit blocks reserved and retired for its orders
(`PROJECT#{id}#S{k} / RESERVED#…, RETIRED#…`, `held_key`), so that a purchase writes 2 items under
the project's key (the available block it takes from, and what is left of it) and 5 under its
order's shard's (the counter twice, the reserved block in and out, the retired one), instead of 7
under one key. Orders counted before that carry shard numbers 0-15 (`Order.counter`) and keep their
counter and blocks under the project's key; orders since carry 16-31, shard `counter - 16` under a
key of its own.

and, beside retired_kg, in the same item: sold and sold_kg, what buyers paid for the kg retired, so
that a project's page reads its money here rather than summing its developer's every sale. Sales
recorded before this count are in neither (their sold_kg falls short of retired_kg) until
`admin count-sales` adds them to the project item.

An order is counted in one shard (`Order.counter`, from its id) from its reservation to its
retirement or release; an order placed before the shards (`counter` None) goes on in the project
item. A shard counts only what left the available credits, so the project's figures are:

  reserved  = project.reserved  + sum of the shards' reserved
  retired   = project.retired   + sum of the shards' retired
  available = project.available - sum of the shards' (reserved + retired)

and `issued = available + reserved + retired` holds as long as it holds for the project item. What
stops two orders taking the same credits is each credit block's own condition in the transaction;
the counters say how much, and `audit` checks them against the blocks.
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any

from carbonneutral.domain.orders import Order
from carbonneutral.domain.projects import Inventory, Project
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.table import LedgerTable, project_key

COUNTER_SHARDS = 16
_KINDS = ("issued_kg", "available_kg", "reserved_kg", "retired_kg")


def shard_pk(project_id: str, counter: int | None) -> str:
    """The partition key of what an order counted in `counter` holds of its project: its shard's own
    key (counter 16-31), or the project's (0-15, and None: orders from before)."""
    if counter is not None and counter >= COUNTER_SHARDS:
        return f"PROJECT#{project_id}#S{counter - COUNTER_SHARDS:02d}"
    return f"PROJECT#{project_id}"


def shard_counter_keys(project_id: str) -> list[dict[str, Any]]:
    """The counters of the project's shards under keys of their own."""
    return [counter_key(project_id, COUNTER_SHARDS + k) for k in range(COUNTER_SHARDS)]


def counter_key(project_id: str, counter: int) -> dict[str, Any]:
    if counter >= COUNTER_SHARDS:
        return {"PK": s(shard_pk(project_id, counter)), "SK": s("COUNTER")}
    return {"PK": s(f"PROJECT#{project_id}"), "SK": s(f"COUNTER#{counter:02d}")}


def held_key(order: Order, state: str, first: int) -> dict[str, Any]:
    """A block reserved or retired for the order: under its shard's key, or the project's for orders
    counted before the shards had keys of their own."""
    return {"PK": s(shard_pk(order.project_id, order.counter)), "SK": s(f"{state}#{first:012d}")}


def counter_of(order_id: str) -> int:
    """The shard a new order counts in: 16-31 (its shard's own key)."""
    return COUNTER_SHARDS + zlib.crc32(order_id.encode()) % COUNTER_SHARDS


def inventory_of(item: dict[str, Any], shards: list[dict[str, Any]]) -> Inventory:
    """The project's figures from its item and its counter shards (see the module's docstring)."""
    counts = {k: int(item.get(k, {"N": "0"})["N"]) for k in _KINDS}
    for shard in shards:
        reserved, retired = (int(shard.get(k, {"N": "0"})["N"]) for k in ("reserved_kg", "retired_kg"))
        counts["reserved_kg"] += reserved
        counts["retired_kg"] += retired
        counts["available_kg"] -= reserved + retired
    return Inventory(**counts, pools=pools_of(item))


def pools_of(item: dict[str, Any]) -> tuple[int, ...]:
    """The pools holding a project's available credits, from its item (0 alone: none listed)."""
    return tuple(sorted(int(pool) for pool in item.get("pools", {}).get("NS", ["0"])))


def sold_of(item: dict[str, Any], shards: list[dict[str, Any]]) -> tuple[Decimal, int]:
    """What buyers paid for the kg counted as sold, and those kg, from the project's item and shards
    (short of its retired kg while sales from before the count are not in it)."""
    counted = [item, *shards]
    return (
        sum((Decimal(x.get("sold", {"N": "0"})["N"]) for x in counted), start=Decimal(0)),
        sum(int(x.get("sold_kg", {"N": "0"})["N"]) for x in counted),
    )


class Counters(LedgerTable):
    def project(self, project_id: str, *, consistent: bool = True) -> tuple[Project, Inventory] | None:
        """The project and its figures: its item and the shards from before in one query (COUNTER#…
        sort before PROJECT), the shards under their own keys in one batch."""
        items = self._project_items(project_id, consistent)
        if items is None:
            return None
        return Project.model_validate_json(items[-1]["body"]["S"]), inventory_of(items[-1], items[:-1])

    def project_sold(
        self, project_id: str, *, consistent: bool = True
    ) -> tuple[Project, Inventory, Decimal, int] | None:
        """The project, its figures, and what buyers paid for the kg counted as sold with those kg,
        from the same reads."""
        items = self._project_items(project_id, consistent)
        if items is None:
            return None
        project = Project.model_validate_json(items[-1]["body"]["S"])
        return project, inventory_of(items[-1], items[:-1]), *sold_of(items[-1], items[:-1])

    def _project_items(self, project_id: str, consistent: bool) -> list[dict[str, Any]] | None:
        """The project's counter shards, then its item; None when there is no such project. The shards
        under their own keys are 16 small items: 16 read units strongly consistent, 8 otherwise."""
        items = list(
            self._query(
                KeyConditionExpression="PK = :pk AND SK BETWEEN :shards AND :project",
                ExpressionAttributeValues={
                    ":pk": s(f"PROJECT#{project_id}"),
                    ":shards": s("COUNTER#"),
                    ":project": s("PROJECT"),
                },
                ConsistentRead=consistent,
            )
        )
        if not items or items[-1]["SK"]["S"] != "PROJECT":
            return None
        shards = self._batch_get(shard_counter_keys(project_id), consistent=consistent)
        return [*items[:-1], *shards.values(), items[-1]]

    def _move_counter(self, order: Order, source: str, target: str) -> dict[str, Any]:
        """Moves the order's kg between two of its project's figures, never below zero: in the order's
        shard (where available is not counted), or in the project item for an order placed before.
        A retirement counts the sale beside them (sold, sold_kg)."""
        q = order.quantity_kg
        sale: dict[str, int | Decimal] = (
            {"sold": order.amount.amount, "sold_kg": q} if target == "retired_kg" else {}
        )
        if order.counter is None:
            return {
                "Update": {
                    "TableName": self._table,
                    "Key": project_key(order.project_id),
                    "UpdateExpression": f"ADD {source} :minus, {target} :q"
                    + "".join(f", {name} :{name}" for name in sale),
                    "ConditionExpression": f"{source} >= :q",
                    "ExpressionAttributeValues": {
                        ":q": n(q),
                        ":minus": n(-q),
                        **{f":{name}": n(str(value)) for name, value in sale.items()},
                    },
                }
            }
        moves: dict[str, int | Decimal] = {
            name: delta for name, delta in ((source, -q), (target, q)) if name != "available_kg"
        }
        moves.update(sale)
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": counter_key(order.project_id, order.counter),
            "UpdateExpression": "ADD "
            + ", ".join(f"{name} :{name}" for name in moves)
            + " SET #type = :type",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": {
                **{f":{name}": n(str(delta)) for name, delta in moves.items()},
                ":type": s("counter_shard"),
            },
        }
        if source != "available_kg":
            update["ConditionExpression"] = f"{source} >= :q"
            update["ExpressionAttributeValues"][":q"] = n(q)
        return {"Update": update}
