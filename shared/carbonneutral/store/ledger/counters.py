"""A project's credit counters, sharded so that concurrent orders of one project do not all write
one item.

  PROJECT#{id} / PROJECT        issued_kg, and available/reserved/retired_kg as issuance and the
                                orders placed before the shards left them
  PROJECT#{id} / COUNTER#{k}    reserved_kg and retired_kg of the orders counted in shard k (0-15)

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


def counter_key(project_id: str, shard: int) -> dict[str, Any]:
    return {"PK": s(f"PROJECT#{project_id}"), "SK": s(f"COUNTER#{shard:02d}")}


def counter_of(order_id: str) -> int:
    return zlib.crc32(order_id.encode()) % COUNTER_SHARDS


def inventory_of(item: dict[str, Any], shards: list[dict[str, Any]]) -> Inventory:
    """The project's figures from its item and its counter shards (see the module's docstring)."""
    counts = {k: int(item.get(k, {"N": "0"})["N"]) for k in _KINDS}
    for shard in shards:
        reserved, retired = (int(shard.get(k, {"N": "0"})["N"]) for k in ("reserved_kg", "retired_kg"))
        counts["reserved_kg"] += reserved
        counts["retired_kg"] += retired
        counts["available_kg"] -= reserved + retired
    return Inventory(**counts)


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
        """The project and its figures, its item and shards in one query (COUNTER#… sort before
        PROJECT), read by their size: a few read units, however many shards."""
        items = self._project_items(project_id, consistent)
        if items is None:
            return None
        return Project.model_validate_json(items[-1]["body"]["S"]), inventory_of(items[-1], items[:-1])

    def project_sold(self, project_id: str) -> tuple[Project, Inventory, Decimal, int] | None:
        """The project, its figures, and what buyers paid for the kg counted as sold with those kg,
        from the same one query."""
        items = self._project_items(project_id, True)
        if items is None:
            return None
        project = Project.model_validate_json(items[-1]["body"]["S"])
        return project, inventory_of(items[-1], items[:-1]), *sold_of(items[-1], items[:-1])

    def _project_items(self, project_id: str, consistent: bool) -> list[dict[str, Any]] | None:
        """The project's counter shards, then its item; None when there is no such project."""
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
        return items

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
