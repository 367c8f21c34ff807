"""Footprints in DynamoDB: written once, never changed."""

from __future__ import annotations

from typing import Any

from carbonneutral.domain.footprints import Footprint
from carbonneutral.domain.ranking import beijing_day
from carbonneutral.errors import Conflict
from carbonneutral.store import aws
from carbonneutral.store.items import SCHEMA_VERSION, footprint_key, n, s
from carbonneutral.store.leaderboards import Leaderboards


class DynamoFootprintRepository:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def add(self, footprint: Footprint) -> None:
        from botocore.exceptions import ClientError

        item = {
            **footprint_key(footprint.footprint_id),
            "type": s("footprint"),
            "v": n(SCHEMA_VERSION),
            "kind": s(footprint.kind),
            "total_g": n(footprint.total_g),
            "factor_set": s(footprint.factor_set),
            "created_at": s(footprint.created_at.isoformat()),
            "body": s(footprint.model_dump_json(by_alias=True)),
        }
        put = {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        if not footprint.scene_id:
            try:
                aws.call("footprints", self.client.put_item, **put)
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    raise Conflict(f"footprint {footprint.footprint_id} exists already") from exc
                raise
            return
        # A scene's footprint counts towards its rating in the same transaction.
        item["scene_id"] = s(footprint.scene_id)
        by_activity: dict[str, int] = {}
        for line in footprint.breakdown:
            by_activity[line.type] = by_activity.get(line.type, 0) + line.g
        rating_item = Leaderboards(self._table, self._client).add_footprint(
            footprint.scene_id,
            footprint.footprint_id,
            footprint.total_g,
            by_activity,
            beijing_day(footprint.created_at),
        )
        try:
            aws.call(
                "footprints", self.client.transact_write_items, TransactItems=[{"Put": put}, rating_item]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict(f"footprint {footprint.footprint_id} exists already") from exc
            raise

    def get(self, footprint_id: str) -> Footprint | None:
        answer = aws.call(
            "footprints", self.client.get_item, TableName=self._table, Key=footprint_key(footprint_id)
        )
        item = answer.get("Item")
        # Stored footprints keep the fields of the factor set they were made with (2025.1's passengers).
        return Footprint.model_validate_json(item["body"]["S"], context={"stored": True}) if item else None
