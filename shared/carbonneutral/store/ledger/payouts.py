"""Money owed to the companies that cut the emissions: one entry per sale (sales.py), one per payout
made, and running totals (owed, paid) that `audit` checks against them.

  DEVELOPER#{id}#PAYOUT#{shard} / PAYOUT   owed, retired_kg, currency of a sixteenth of the sales (a
                                           sale's shard follows from its order id), each under its own
                                           partition key, so that one developer's retirements do not
                                           all write one partition
  DEVELOPER#{id} / PAYOUT                  paid (payouts are an operator's, one at a time); owed and
                                           retired_kg of the sales recorded before the shards
  DEVELOPER#{id} / PAYOUT#{shard}          owed and retired_kg of the sales recorded while the shards
                                           shared the developer's partition key (read, never written)
  DEVELOPER#{id} / PAID#{reference}        a payout made, by its bank reference (once)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order
from carbonneutral.errors import Busy, Conflict, InvalidInput, TransactionCancelled
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.sales import SHARDS, Sale, Sales, shard_of
from carbonneutral.store.ledger.table import iso


@dataclass(frozen=True)
class PayoutMade:
    reference: str
    amount: Money
    paid_at: str
    period: str | None


def _payout_key(developer_id: str) -> dict[str, Any]:
    return {"PK": s(f"DEVELOPER#{developer_id}"), "SK": s("PAYOUT")}


def owed_key(developer_id: str, shard: int) -> dict[str, Any]:
    return {"PK": s(f"DEVELOPER#{developer_id}#PAYOUT#{shard:02d}"), "SK": s("PAYOUT")}


class Payouts(Sales):
    def _payout_items(self, order: Order, now: datetime) -> list[dict[str, Any]]:
        """What a retired order owes its project's developer, written in the retirement's transaction."""
        update = {
            "TableName": self._table,
            "Key": owed_key(order.developer_id, shard_of(order.order_id)),
            "UpdateExpression": "ADD owed :amount, retired_kg :q SET currency = :currency, #type = :type",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": {
                ":amount": n(str(order.amount.amount)),
                ":q": n(order.quantity_kg),
                ":currency": s(order.amount.currency),
                ":type": s("payout_shard"),
            },
        }
        return [{"Update": update}, self._sale_put(order, now)]

    def payout(self, developer_id: str) -> tuple[Decimal, int]:
        owed, _, kg = self.payout_totals(developer_id)
        return owed, kg

    def payout_totals(self, developer_id: str, *, consistent: bool = True) -> tuple[Decimal, Decimal, int]:
        """(owed for every sale so far, paid so far, kg retired): the shards in one batch, and the
        developer's own items (paid, and the totals from before the shards) in one query; a public
        page reads them eventually consistent (half the read units)."""
        totals = {"owed": Decimal(0), "paid": Decimal(0), "retired_kg": Decimal(0)}
        keys = [owed_key(developer_id, shard) for shard in range(SHARDS)]
        shards = self._batch_get(keys, consistent=consistent)
        for item in [
            *shards.values(),
            *self._query(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :payout)",
                ExpressionAttributeValues={":pk": s(f"DEVELOPER#{developer_id}"), ":payout": s("PAYOUT")},
                ConsistentRead=consistent,
            ),
        ]:
            for name in totals:
                totals[name] += Decimal(item.get(name, {"N": "0"})["N"])
        return totals["owed"], totals["paid"], int(totals["retired_kg"])

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

    def payout_audit(
        self,
        developer_id: str,
        totals: tuple[Decimal, Decimal, int] | None = None,
        sales: list[Sale] | None = None,
    ) -> list[str]:
        """owed = the sum of the sales, paid = the sum of the payouts made, paid <= owed (`totals` and
        `sales`, the developer's as read already, may stand in for reading them again)."""
        owed, paid, kg = totals if totals is not None else self.payout_totals(developer_id)
        sales = sales if sales is not None else self.sales(developer_id)
        made = self.payouts_made(developer_id)
        problems = []
        if sum((x.amount.amount for x in sales), Decimal(0)) != owed or sum(x.kg for x in sales) != kg:
            problems.append(f"its {len(sales)} sales do not add up to the {owed} owed for {kg} kg")
        if sum((x.amount.amount for x in made), Decimal(0)) != paid:
            problems.append(f"its {len(made)} payouts do not add up to the {paid} recorded as paid")
        if paid > owed:
            problems.append(f"paid {paid} is more than the {owed} owed")
        return [f"developer {developer_id}: {p}" for p in problems]
