"""Footprint claims: the one order that neutralizes a footprint, written in its reservation's
transaction, freed when the order expires or fails, marked retired with its certificate."""

from __future__ import annotations

from typing import Any

from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.store import aws
from carbonneutral.store.items import s
from carbonneutral.store.ledger.table import LedgerTable, claim_key


def claim_of(item: dict[str, Any]) -> tuple[str, OrderStatus, str | None]:
    """(order id, status, certificate id) from a footprint claim's item."""
    return item["order_id"]["S"], OrderStatus(item["status"]["S"]), item.get("certificate_id", {}).get("S")


class Claims(LedgerTable):
    def _claim_put(self, order: Order) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **claim_key(str(order.footprint_id)),
                    "type": s("footprint_claim"),
                    "order_id": s(order.order_id),
                    "status": s(OrderStatus.pending_payment.value),
                },
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _claim_release(self, order: Order) -> list[dict[str, Any]]:
        """Frees the footprint for another order (this order's claim only; none is fine)."""
        if not order.footprint_id:
            return []
        return [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": claim_key(order.footprint_id),
                    "ConditionExpression": "attribute_not_exists(PK) OR order_id = :order",
                    "ExpressionAttributeValues": {":order": s(order.order_id)},
                }
            }
        ]

    def claim(self, footprint_id: str) -> tuple[str, OrderStatus, str | None] | None:
        """(order id, status, certificate id) of the order that claims a footprint, if any."""
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=claim_key(footprint_id),
            ConsistentRead=True,
        ).get("Item")
        return claim_of(item) if item else None
