"""Holds: what one client has reserved and not yet paid, per project, so that nobody can sit on a
project's stock. Added to in the reservation's transaction, taken off in the release's or the
retirement's, and bounded by domain.orders.hold_limit whatever order the requests come in."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Order
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.table import LedgerTable, iso


def hold_id(client: str, project_id: str) -> str:
    return f"{hashlib.sha256(client.encode()).hexdigest()[:32]}#{project_id}"


def held_of(item: dict[str, Any] | None) -> tuple[int, datetime | None]:
    """(kg held, when the last reservation ends) from a hold's item; none held without one."""
    if not item:
        return 0, None
    until = item.get("until", {}).get("S")
    return int(item.get("held_kg", {"N": "0"})["N"]), datetime.fromisoformat(until) if until else None


def hold_key(hold: str) -> dict[str, Any]:
    return {"PK": s(f"HOLD#{hold}"), "SK": s("HOLD")}


class Holds(LedgerTable):
    def held(self, hold: str) -> tuple[int, datetime | None]:
        """(kg the client holds unpaid in the project, when the last of those reservations ends)."""
        item = aws.call(
            "ledger", self.client.get_item, TableName=self._table, Key=hold_key(hold), ConsistentRead=True
        ).get("Item")
        return held_of(item)

    def _hold_add(self, order: Order, room_kg: int) -> dict[str, Any]:
        """Adds the order to its client's hold, provided the hold still has room for it."""
        assert order.hold
        return {
            "Update": {
                "TableName": self._table,
                "Key": hold_key(order.hold),
                "UpdateExpression": "ADD held_kg :q SET #until = :until, expires_at = :expires, #type = :type",
                "ConditionExpression": "attribute_not_exists(held_kg) OR held_kg <= :room",
                "ExpressionAttributeNames": {"#until": "until", "#type": "type"},
                "ExpressionAttributeValues": {
                    ":q": n(order.quantity_kg),
                    ":room": n(room_kg - order.quantity_kg),
                    ":until": s(iso(order.reserved_until)),
                    # kept a day past the reservation: the sweeper releases it long before
                    ":expires": n(int(order.reserved_until.timestamp()) + 86400),
                    ":type": s("client_hold"),
                },
            }
        }

    def _hold_release(self, order: Order) -> list[dict[str, Any]]:
        """Takes a paid or released order off its client's hold."""
        if not order.hold:
            return []
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": hold_key(order.hold),
                    "UpdateExpression": "ADD held_kg :minus",
                    "ExpressionAttributeValues": {":minus": n(-order.quantity_kg)},
                }
            }
        ]
