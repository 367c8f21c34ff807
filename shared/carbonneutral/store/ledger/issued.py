"""What retirements left behind, read back: certificates, the retired blocks behind them, and
every retired order (for the audit)."""

from __future__ import annotations

import json
from typing import Any

from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.domain.projects import SerialRange
from carbonneutral.store import aws
from carbonneutral.store.items import s
from carbonneutral.store.ledger.counters import counter_of, shard_pk
from carbonneutral.store.ledger.table import LedgerTable, block_key


class Issued(LedgerTable):
    def certificate(self, certificate_id: str) -> tuple[dict[str, Any], str, str] | None:
        """(signed document, order id, project id) of an issued certificate."""
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key={"PK": s(f"CERT#{certificate_id}"), "SK": s("CERT")},
        ).get("Item")
        if not item:
            return None
        return json.loads(item["body"]["S"]), item["order_id"]["S"], item["project_id"]["S"]

    def serials_retired_for(self, project_id: str, order_id: str, ranges: list[SerialRange]) -> bool:
        """Whether every range is a retired block of this order in the ledger: under its counter shard's
        key, or the project's for an order counted before the shards had keys of their own (both are
        asked, in one batch of at most 70 keys)."""
        if not ranges:
            return False
        keys = [block_key(project_id, "RETIRED", r.first) for r in ranges]
        keys += [{**key, "PK": s(shard_pk(project_id, counter_of(order_id)))} for key in keys]
        found = {int(i["first"]["N"]): i for i in self._batch_get(keys).values()}
        return all(
            r.first in found
            and int(found[r.first]["last"]["N"]) == r.last
            and found[r.first]["order_id"]["S"] == order_id
            for r in ranges
        )

    def retired_orders(self) -> list[Order]:
        """Every retired order (a scan: for the audit, never for a request)."""
        found: list[Order] = []
        start = None
        while True:
            page: dict[str, Any] = {
                "TableName": self._table,
                "FilterExpression": "#type = :order AND #status = :retired",
                "ExpressionAttributeNames": {"#type": "type", "#status": "status"},
                "ExpressionAttributeValues": {":order": s("order"), ":retired": s(OrderStatus.retired.value)},
                "ConsistentRead": True,
            }
            if start:
                page["ExclusiveStartKey"] = start
            answer = aws.call("ledger", self.client.scan, **page)
            found += [Order.model_validate_json(item["body"]["S"]) for item in answer.get("Items", [])]
            start = answer.get("LastEvaluatedKey")
            if not start:
                return found
