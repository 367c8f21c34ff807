"""Orders as items: reading an order and an idempotency record, writing an order conditioned on
its status."""

from __future__ import annotations

from typing import Any

from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.blocks import CreditBlocks
from carbonneutral.store.ledger.claims import Claims
from carbonneutral.store.ledger.holds import Holds
from carbonneutral.store.ledger.table import (
    idempotency_key,
    iso,
    order_key,
    reservation_shard,
)


class OrderItems(CreditBlocks, Claims, Holds):
    def order(self, order_id: str) -> Order | None:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=order_key(order_id),
            ConsistentRead=True,
        ).get("Item")
        return self.order_of_item(item) if item else None

    @staticmethod
    def order_of_item(item: dict[str, Any]) -> Order:
        return Order.model_validate_json(item["body"]["S"])

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
