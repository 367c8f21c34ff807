"""Money owed to the companies that cut the emissions: one entry per sale, and a running total."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from carbonneutral.domain.orders import Order
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.table import LedgerTable, iso


class Payouts(LedgerTable):
    def _payout_items(self, order: Order, now: datetime) -> list[dict[str, Any]]:
        """What a retired order owes its project's developer, written in the retirement's transaction."""
        q, amount = order.quantity_kg, order.amount.amount
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"PK": s(f"DEVELOPER#{order.developer_id}"), "SK": s("PAYOUT")},
                    "UpdateExpression": "ADD owed :amount, retired_kg :q SET currency = :currency, #type = :type",
                    "ExpressionAttributeNames": {"#type": "type"},
                    "ExpressionAttributeValues": {
                        ":amount": n(str(amount)),
                        ":q": n(q),
                        ":currency": s(order.amount.currency),
                        ":type": s("payout"),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "PK": s(f"DEVELOPER#{order.developer_id}"),
                        "SK": s(f"ENTRY#{iso(now)}#{order.order_id}"),
                        "type": s("payout_entry"),
                        "order_id": s(order.order_id),
                        "amount": n(str(amount)),
                        "currency": s(order.amount.currency),
                        "kg": n(q),
                        "project_id": s(order.project_id),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]

    def payout(self, developer_id: str) -> tuple[Decimal, int]:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key={"PK": s(f"DEVELOPER#{developer_id}"), "SK": s("PAYOUT")},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return Decimal(0), 0
        return Decimal(item["owed"]["N"]), int(item["retired_kg"]["N"])
