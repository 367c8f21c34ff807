"""Organizer API keys, their browser sessions, and organizers' changes to scenes, in DynamoDB."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from carbonneutral.domain.organizers import ApiKey
from carbonneutral.domain.scenes import Scene
from carbonneutral.domain.sessions import OrganizerSession
from carbonneutral.errors import Conflict, SceneClosed
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.scenes import scene_item


def _key(key_id: str) -> dict[str, Any]:
    return {"PK": s(f"APIKEY#{key_id}"), "SK": s("APIKEY")}


def _session(session_hash: str) -> dict[str, Any]:
    return {"PK": s(f"SESSION#{session_hash}"), "SK": s("SESSION")}


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

    def put_session(self, session: OrganizerSession) -> None:
        aws.call(
            "organizers",
            self.client.put_item,
            TableName=self._table,
            Item={
                **_session(session.session_hash),
                "type": s("organizer_session"),
                "v": n(1),
                "organizer_id": s(session.organizer_id),
                "key_id": s(session.key_id),
                "created_at": s(session.created_at.isoformat()),
                # The table's TTL attribute: DynamoDB deletes the item some time after it expires
                # (readers check the expiry themselves, since the deletion may lag for days).
                "expires_at": n(int(session.expires_at.timestamp())),
            },
            ConditionExpression="attribute_not_exists(PK)",
        )

    def session(self, session_hash: str) -> OrganizerSession | None:
        # Strongly consistent: a session just opened is seen at once, one just ended is gone.
        item = aws.call(
            "organizers",
            self.client.get_item,
            TableName=self._table,
            Key=_session(session_hash),
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return OrganizerSession(
            session_hash=session_hash,
            organizer_id=item["organizer_id"]["S"],
            key_id=item["key_id"]["S"],
            created_at=datetime.fromisoformat(item["created_at"]["S"]),
            expires_at=datetime.fromtimestamp(int(item["expires_at"]["N"]), UTC),
        )

    def delete_session(self, session_hash: str) -> None:
        aws.call("organizers", self.client.delete_item, TableName=self._table, Key=_session(session_hash))

    def create_scene(self, scene: Scene) -> None:
        """The scene and its line in its organizer's list, in one transaction."""
        from botocore.exceptions import ClientError

        listed = {
            "PK": s(f"ORGSCENES#{scene.organizer_id}"),
            "SK": s(f"SCENE#{datetime.now(UTC).isoformat()}#{scene.scene_id}"),
            "type": s("organizer_scene"),
            "scene_id": s(scene.scene_id),
        }
        try:
            aws.call(
                "organizers",
                self.client.transact_write_items,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": scene_item(scene),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": listed}},
                ],
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict(f"scene {scene.scene_id!r} exists already", field="scene_id") from exc
            raise

    def scene_ids(self, organizer_id: str) -> list[str]:
        """The organizer's scenes, newest first (scenes made before this list existed are not in it)."""
        answer = aws.call(
            "organizers",
            self.client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :scene)",
            ExpressionAttributeValues={":pk": s(f"ORGSCENES#{organizer_id}"), ":scene": s("SCENE#")},
            ScanIndexForward=False,
            Limit=100,
        )
        return [item["scene_id"]["S"] for item in answer.get("Items", [])]

    def replace_scene(self, scene: Scene, organizer_id: str) -> None:
        """Writes the scene only if it is still this organizer's and still open (no read-then-write
        race: a change racing the close neither reopens the scene nor lands after it)."""
        from botocore.exceptions import ClientError

        try:
            aws.call(
                "organizers",
                self.client.put_item,
                TableName=self._table,
                Item=scene_item(scene),
                # scenes written before `status` was an attribute of their own count as open
                ConditionExpression="organizer_id = :me AND (attribute_not_exists(#status) OR #status = :open)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":me": s(organizer_id), ":open": s("open")},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise SceneClosed(
                    f"scene {scene.scene_id!r} is closed, or no longer this organizer's: nothing changed"
                ) from exc
            raise
