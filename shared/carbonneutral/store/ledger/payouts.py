"""Money owed to the companies that cut the emissions: one entry per sale, one per payout made,
and running totals (owed, paid) that `audit` checks against them.

  DEVELOPER#{id} / PAYOUT#{shard}          owed, retired_kg, currency: a sixteenth of the sales each, so
                                           concurrent retirements of one developer's credits do not all
                                           write one item (a sale's shard follows from its order id)
  DEVELOPER#{id} / PAYOUT                  paid (payouts are an operator's, one at a time); owed and
                                           retired_kg of the sales recorded before the shards
  DEVELOPER#{id} / ENTRY#{shard}#{retired_at}#{order}  a sale: order, project, kg, amount, in its
                                           order's shard, so that new sales do not all land at the
                                           newest end of one key range (sales recorded before the
                                           shards: ENTRY#{retired_at}#{order}); `counted` when
                                           its project's counters hold it too (counters.py)
  DEVELOPER#{id} / PAID#{reference}        a payout made, by its bank reference (once)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order
from carbonneutral.errors import Busy, Conflict, InvalidInput, TransactionCancelled
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.table import LedgerTable, iso, project_key


@dataclass(frozen=True)
class Sale:
    order_id: str
    project_id: str
    kg: int
    amount: Money
    retired_at: str
    counted: bool = True  # in its project's sold (False: recorded before the count)


@dataclass(frozen=True)
class PayoutMade:
    reference: str
    amount: Money
    paid_at: str
    period: str | None


PAYOUT_SHARDS = 16


def _payout_key(developer_id: str) -> dict[str, Any]:
    return {"PK": s(f"DEVELOPER#{developer_id}"), "SK": s("PAYOUT")}


def _shard(order_id: str) -> int:
    return zlib.crc32(order_id.encode()) % PAYOUT_SHARDS


def _owed_key(developer_id: str, order_id: str) -> dict[str, Any]:
    return {"PK": s(f"DEVELOPER#{developer_id}"), "SK": s(f"PAYOUT#{_shard(order_id):02d}")}


def _sale(item: dict[str, Any]) -> Sale:
    return Sale(
        order_id=item["order_id"]["S"],
        project_id=item["project_id"]["S"],
        kg=int(item["kg"]["N"]),
        amount=Money(amount=Decimal(item["amount"]["N"]), currency=item["currency"]["S"]),
        retired_at=item["SK"]["S"].split("#")[-2],  # ENTRY#[shard#]{retired_at}#{order}
        counted="counted" in item,
    )


class Payouts(LedgerTable):
    def _payout_items(self, order: Order, now: datetime) -> list[dict[str, Any]]:
        """What a retired order owes its project's developer, written in the retirement's transaction."""
        q, amount = order.quantity_kg, order.amount.amount
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _owed_key(order.developer_id, order.order_id),
                    "UpdateExpression": "ADD owed :amount, retired_kg :q SET currency = :currency, #type = :type",
                    "ExpressionAttributeNames": {"#type": "type"},
                    "ExpressionAttributeValues": {
                        ":amount": n(str(amount)),
                        ":q": n(q),
                        ":currency": s(order.amount.currency),
                        ":type": s("payout_shard"),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "PK": s(f"DEVELOPER#{order.developer_id}"),
                        "SK": s(f"ENTRY#{_shard(order.order_id):02d}#{iso(now)}#{order.order_id}"),
                        "type": s("payout_entry"),
                        "order_id": s(order.order_id),
                        "amount": n(str(amount)),
                        "currency": s(order.amount.currency),
                        "kg": n(q),
                        "project_id": s(order.project_id),
                        "counted": {"BOOL": True},
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]

    def payout(self, developer_id: str) -> tuple[Decimal, int]:
        owed, _, kg = self.payout_totals(developer_id)
        return owed, kg

    def payout_totals(self, developer_id: str) -> tuple[Decimal, Decimal, int]:
        """(owed for every sale so far, paid so far, kg retired): the shards summed, in one query."""
        totals = {"owed": Decimal(0), "paid": Decimal(0), "retired_kg": Decimal(0)}
        for item in self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :payout)",
            ExpressionAttributeValues={":pk": s(f"DEVELOPER#{developer_id}"), ":payout": s("PAYOUT")},
            ConsistentRead=True,
        ):
            for name in totals:
                totals[name] += Decimal(item.get(name, {"N": "0"})["N"])
        return totals["owed"], totals["paid"], int(totals["retired_kg"])

    def sales(self, developer_id: str, period: str | None = None) -> list[Sale]:
        """The developer's sales, oldest first (by time, then order id); of one period (YYYY-MM or
        YYYY) when given: one query for all of them, else one per shard and one for the sales recorded
        before the shards."""
        prefixes = (
            [f"ENTRY#{period}", *(f"ENTRY#{shard:02d}#{period}" for shard in range(PAYOUT_SHARDS))]
            if period
            else ["ENTRY#"]
        )
        sales = [
            _sale(item)
            for prefix in prefixes
            for item in self._query(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={":pk": s(f"DEVELOPER#{developer_id}"), ":prefix": s(prefix)},
                ConsistentRead=True,
            )
        ]
        return sorted(sales, key=lambda sale: (sale.retired_at, sale.order_id))

    def count_earlier_sales(self, project_id: str, developer_id: str) -> tuple[Decimal, int] | None:
        """Adds the project's sales recorded before its counters counted them to its item's sold and
        sold_kg, once: (amount, kg) added, or None when they were added before. Such sales are all
        written already and never change, and new ones are counted as they are made, so nothing can
        slip between the sum and the write."""
        earlier = [x for x in self.sales(developer_id) if x.project_id == project_id and not x.counted]
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

    def payouts_made(self, developer_id: str) -> list[PayoutMade]:
        return [
            PayoutMade(
                reference=item["reference"]["S"],
                amount=Money(amount=Decimal(item["amount"]["N"]), currency=item["currency"]["S"]),
                paid_at=item["paid_at"]["S"],
                period=item["period"]["S"] if "period" in item else None,
            )
            for item in self._query(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :paid)",
                ExpressionAttributeValues={":pk": s(f"DEVELOPER#{developer_id}"), ":paid": s("PAID#")},
                ConsistentRead=True,
            )
        ]

    def mark_paid(
        self, developer_id: str, amount: Money, reference: str, now: datetime, period: str | None = None
    ) -> PayoutMade:
        """Records a payout to the developer by its bank reference, once, and never beyond what is
        owed: the record and the running total change in one transaction, conditioned on the paid
        total read. What is owed only grows (a sale is never taken back), so it can only be more
        than was read by the time the transaction lands."""
        if amount.amount <= 0:
            raise InvalidInput("a payout is a positive amount", field="amount")
        if not reference or len(reference) > 100 or not reference.isprintable():
            raise InvalidInput("the bank reference is 1 to 100 printable characters", field="reference")
        for attempt in range(self._max_attempts):
            earlier = next((p for p in self.payouts_made(developer_id) if p.reference == reference), None)
            if earlier is not None:
                raise Conflict(
                    f"payout {reference!r} was recorded already ({earlier.amount.amount} "
                    f"{earlier.amount.currency} on {earlier.paid_at}): nothing changed",
                    field="reference",
                )
            owed, paid, _ = self.payout_totals(developer_id)
            if paid + amount.amount > owed:
                raise Conflict(
                    f"{developer_id} is owed {owed - paid} {amount.currency} outstanding; "
                    f"a payout of {amount.amount} would exceed it",
                    field="amount",
                )
            made = PayoutMade(reference, amount, iso(now), period)
            record: dict[str, Any] = {
                "PK": s(f"DEVELOPER#{developer_id}"),
                "SK": s(f"PAID#{reference}"),
                "type": s("payout_made"),
                "reference": s(reference),
                "amount": n(str(amount.amount)),
                "currency": s(amount.currency),
                "paid_at": s(made.paid_at),
            }
            if period:
                record["period"] = s(period)
            condition = "paid = :before" if paid else "attribute_not_exists(paid) OR paid = :before"
            try:
                self._transact(
                    [
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": record,
                                "ConditionExpression": "attribute_not_exists(PK)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": self._table,
                                "Key": _payout_key(developer_id),
                                "UpdateExpression": "ADD paid :amount SET #type = :type",
                                "ConditionExpression": condition,
                                "ExpressionAttributeNames": {"#type": "type"},
                                "ExpressionAttributeValues": {
                                    ":amount": n(str(amount.amount)),
                                    ":before": n(str(paid)),
                                    ":type": s("payout"),
                                },
                            }
                        },
                    ]
                )
                return made
            except TransactionCancelled:
                self._backoff(attempt)  # a sale or another payout meanwhile: look again
        raise Busy("could not record the payout; try again")

    def payout_audit(self, developer_id: str) -> list[str]:
        """owed = the sum of the sales, paid = the sum of the payouts made, paid <= owed."""
        owed, paid, kg = self.payout_totals(developer_id)
        sales, made = self.sales(developer_id), self.payouts_made(developer_id)
        problems = []
        if sum((x.amount.amount for x in sales), Decimal(0)) != owed or sum(x.kg for x in sales) != kg:
            problems.append(f"its {len(sales)} sales do not add up to the {owed} owed for {kg} kg")
        if sum((x.amount.amount for x in made), Decimal(0)) != paid:
            problems.append(f"its {len(made)} payouts do not add up to the {paid} recorded as paid")
        if paid > owed:
            problems.append(f"paid {paid} is more than the {owed} owed")
        return [f"developer {developer_id}: {p}" for p in problems]
