"""Money due back to buyers: one item per payment that could not be kept, until it is refunded,
and the way from a provider's payment back to its order (a refund or dispute event names only
the payment)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Refund
from carbonneutral.store import aws
from carbonneutral.store.items import s
from carbonneutral.store.ledger.table import LedgerTable, iso


def refund_key(order_id: str, refund: Refund) -> dict[str, Any]:
    return {"PK": s(f"ORDER#{order_id}"), "SK": s(f"REFUND#{refund.provider}#{refund.event_id}")}


def payment_key(provider: str, payment_ref: str) -> dict[str, Any]:
    return {"PK": s(f"PAYMENTREF#{provider}#{payment_ref}"), "SK": s("PAYMENT")}


def _refund_of(item: dict[str, Any]) -> Refund:
    if "body" in item:
        return Refund.model_validate_json(item["body"]["S"])
    # written before refunds carried their provider: the key names it
    _, provider, event_id = item["SK"]["S"].split("#", 2)
    return Refund.model_validate(
        {
            "status": item["status"]["S"],
            "amount": {"amount": item["amount"]["N"], "currency": item["currency"]["S"]},
            "reason": item["reason"]["S"],
            "event_id": event_id,
            "provider": provider,
        }
    )


class Refunds(LedgerTable):
    def _refund_put(self, order_id: str, refund: Refund, now: datetime) -> dict[str, Any]:
        """A refund, due or (made at the provider) already paid; written once."""
        return self._refund_write(order_id, refund, now, {"ConditionExpression": "attribute_not_exists(PK)"})

    def _refund_paid(self, order_id: str, refund: Refund, now: datetime) -> dict[str, Any]:
        """The refund due is paid: only once, whoever (the admin, a late provider event) is first."""
        return self._refund_write(
            order_id,
            refund,
            now,
            {
                "ConditionExpression": "#status = :due",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":due": s("due")},
            },
        )

    def _refund_write(
        self, order_id: str, refund: Refund, now: datetime, condition: dict[str, Any]
    ) -> dict[str, Any]:
        item = {
            **refund_key(order_id, refund),
            "type": s("refund"),
            "status": s(refund.status),
            "order_id": s(order_id),
            "body": s(refund.model_dump_json()),
            "GSI1PK": s("REFUNDS"),
            "GSI1SK": s(f"{iso(now)}#{order_id}"),
        }
        return {"Put": {"TableName": self._table, "Item": item, **condition}}

    def _payment_ref_put(self, provider: str, payment_ref: str, order_id: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **payment_key(provider, payment_ref),
                    "type": s("payment_ref"),
                    "order_id": s(order_id),
                },
            }
        }

    def order_of_payment(self, provider: str, payment_ref: str) -> str | None:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=payment_key(provider, payment_ref),
            ConsistentRead=True,
        ).get("Item")
        return item["order_id"]["S"] if item else None

    def refunds_of(self, order_id: str) -> list[Refund]:
        return [
            _refund_of(item)
            for item in self._query(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :refund)",
                ExpressionAttributeValues={":pk": s(f"ORDER#{order_id}"), ":refund": s("REFUND#")},
                ConsistentRead=True,
            )
        ]

    def refunds(self) -> list[tuple[str, Refund]]:
        """(order id, refund) of every refund, due or paid, oldest first."""
        return [
            (
                item["order_id"]["S"] if "order_id" in item else item["PK"]["S"].removeprefix("ORDER#"),
                _refund_of(item),
            )
            for item in self._query(
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :refunds",
                ExpressionAttributeValues={":refunds": s("REFUNDS")},
            )
        ]
