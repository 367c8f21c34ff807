"""Organizer API keys and organizers' changes to scenes, in DynamoDB."""

from __future__ import annotations

from typing import Any

from carbonneutral.domain.organizers import ApiKey
from carbonneutral.domain.scenes import Scene
from carbonneutral.errors import Conflict, Forbidden
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.scenes import scene_item


def _key(key_id: str) -> dict[str, Any]:
    return {"PK": s(f"APIKEY#{key_id}"), "SK": s("APIKEY")}


class OrganizerStore:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table, self._client = table_name, client

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def put_key(self, key: ApiKey) -> None:
        aws.call(
            "organizers",
            self.client.put_item,
            TableName=self._table,
            Item={**_key(key.key_id), "type": s("api_key"), "v": n(1), "body": s(key.model_dump_json())},
            ConditionExpression="attribute_not_exists(PK)",
        )

    def key(self, key_id: str) -> ApiKey | None:
        item = aws.call("organizers", self.client.get_item, TableName=self._table, Key=_key(key_id)).get(
            "Item"
        )
        return ApiKey.model_validate_json(item["body"]["S"]) if item else None

    def revoke(self, key_id: str) -> bool:
        key = self.key(key_id)
        if key is None:
            return False
        revoked = key.model_copy(update={"revoked": True})
        aws.call(
            "organizers",
            self.client.put_item,
            TableName=self._table,
            Item={**_key(key_id), "type": s("api_key"), "v": n(1), "body": s(revoked.model_dump_json())},
        )
        return True

    def create_scene(self, scene: Scene) -> None:
        from botocore.exceptions import ClientError

        try:
            aws.call(
                "organizers",
                self.client.put_item,
                TableName=self._table,
                Item=scene_item(scene),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"scene {scene.scene_id!r} exists already", field="scene_id") from exc
            raise

    def replace_scene(self, scene: Scene, organizer_id: str) -> None:
        """Writes the scene only if it is still this organizer's (no read-then-write race)."""
        from botocore.exceptions import ClientError

        try:
            aws.call(
                "organizers",
                self.client.put_item,
                TableName=self._table,
                Item=scene_item(scene),
                ConditionExpression="organizer_id = :me",
                ExpressionAttributeValues={":me": s(organizer_id)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Forbidden("this scene belongs to another organizer") from exc
            raise
