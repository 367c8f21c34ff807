"""A developer's sales: one entry per retired order, what its buyer paid and for which project.

  DEVELOPER#{id}#SALES#{shard} / {retired_at}#{order}   a sale: order, project, kg, amount; under
                                           one of 16 partition keys by its order id, so that one
                                           developer's sales spread over partitions from the first
                                           one, however many of its projects sell at once
  DEVELOPER#{id} / ENTRY#…                 sales recorded before those keys, read as they are
                                           (ENTRY#{shard}#{retired_at}#{order}, and before the
                                           shards ENTRY#{retired_at}#{order})

A sale is `counted` when its project's counters hold it too (counters.py). Those recorded before
that count carry no mark; `count_earlier_sales` adds them to their project's counters, once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order
from carbonneutral.errors import Busy, TransactionCancelled
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.table import LedgerTable, iso, project_key

SHARDS = 16  # the sales' partition keys, and the payout shards', per developer


@dataclass(frozen=True)
class Sale:
    order_id: str
    project_id: str
    kg: int
    amount: Money
    retired_at: str
    counted: bool = True  # in its project's sold (False: recorded before the count)


def shard_of(order_id: str) -> int:
    return zlib.crc32(order_id.encode()) % SHARDS


def sales_key(developer_id: str, shard: int) -> str:
    return f"DEVELOPER#{developer_id}#SALES#{shard:02d}"


def _sale(item: dict[str, Any]) -> Sale:
    return Sale(
        order_id=item["order_id"]["S"],
        project_id=item["project_id"]["S"],
        kg=int(item["kg"]["N"]),
        amount=Money(amount=Decimal(item["amount"]["N"]), currency=item["currency"]["S"]),
        # {retired_at}#{order}; before: ENTRY#[shard#]{retired_at}#{order}
        retired_at=item["SK"]["S"].split("#")[-2],
        counted="counted" in item,
    )


class Sales(LedgerTable):
    def _sale_put(self, order: Order, now: datetime) -> dict[str, Any]:
        """The sale, written in the retirement's transaction."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    "PK": s(sales_key(order.developer_id, shard_of(order.order_id))),
                    "SK": s(f"{iso(now)}#{order.order_id}"),
                    "type": s("payout_entry"),
                    "order_id": s(order.order_id),
                    "amount": n(str(order.amount.amount)),
                    "currency": s(order.amount.currency),
                    "kg": n(order.quantity_kg),
                    "project_id": s(order.project_id),
                    "counted": {"BOOL": True},
                },
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def sales(self, developer_id: str, period: str | None = None) -> list[Sale]:
        """The developer's sales, oldest first (by time, then order id); of one period (YYYY-MM or
        YYYY) when given: one query per partition key, and one for the sales recorded before them."""
        within = " AND begins_with(SK, :period)" if period else ""
        sales = [
            _sale(item)
            for shard in range(SHARDS)
            for item in self._query(
                KeyConditionExpression="PK = :pk" + within,
                ExpressionAttributeValues={
                    ":pk": s(sales_key(developer_id, shard)),
                    **({":period": s(period)} if period else {}),
                },
                ConsistentRead=True,
            )
        ]
        earlier = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :entry)",
            ExpressionAttributeValues={":pk": s(f"DEVELOPER#{developer_id}"), ":entry": s("ENTRY#")},
            ConsistentRead=True,
        )
        sales += [sale for sale in map(_sale, earlier) if sale.retired_at.startswith(period or "")]
        return sorted(sales, key=lambda sale: (sale.retired_at, sale.order_id))

    def count_earlier_sales(
        self, project_id: str, developer_id: str, sales: list[Sale] | None = None
    ) -> tuple[Decimal, int] | None:
        """Adds the project's sales recorded before its counters counted them to its item's sold and
        sold_kg, once: (amount, kg) added, or None when they were added before. Such sales are all
        written already and never change, and new ones are counted as they are made, so nothing can
        slip between the sum and the write; `sales`, the developer's as read already, may stand in
        for reading them again."""
        sold = self.sales(developer_id) if sales is None else sales
        earlier = [x for x in sold if x.project_id == project_id and not x.counted]
        amount = sum((x.amount.amount for x in earlier), start=Decimal(0))
        kg = sum(x.kg for x in earlier)
        update = {
            "Update": {
                "TableName": self._table,
                "Key": project_key(project_id),
                "UpdateExpression": "ADD sold :amount, sold_kg :kg SET earlier_sales = :count",
                "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(earlier_sales)",
                "ExpressionAttributeValues": {
                    ":amount": n(str(amount)),
                    ":kg": n(kg),
                    ":count": n(len(earlier)),
                },
            }
        }
        for attempt in range(self._max_attempts):
            try:
                self._transact([update])
                return amount, kg
            except TransactionCancelled as exc:
                if "ConditionalCheckFailed" in exc.codes:
                    return None
                self._backoff(attempt)  # a retirement of an order counted in the project item meanwhile
        raise Busy("could not count the earlier sales; try again")
