"""Scenes in DynamoDB: one item per scene, listed through GSI1 (never a Scan)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carbonneutral.domain.scenes import Scene, SceneKind
from carbonneutral.errors import NotConfigured
from carbonneutral.store import aws
from carbonneutral.store.cursors import CursorCodec
from carbonneutral.store.items import SCHEMA_VERSION, n, s

CATALOGUE = "SCENES"
_MAX_PAGES = 10  # bounds the work a filtered search may do for one request
_CURSOR_KEYS = {"PK", "SK", "GSI1PK", "GSI1SK"}


def scene_key(scene_id: str) -> dict[str, Any]:
    return {"PK": s(f"SCENE#{scene_id}"), "SK": s("SCENE")}


def scene_item(scene: Scene) -> dict[str, Any]:
    search = " ".join(
        [scene.scene_id, scene.name.zh_cn, scene.name.en, scene.city.zh_cn, scene.city.en]
    ).lower()
    return {
        **scene_key(scene.scene_id),
        "type": s("scene"),
        "v": n(SCHEMA_VERSION),
        "GSI1PK": s(CATALOGUE),
        "GSI1SK": s(f"{scene.kind.value}#{scene.scene_id}"),
        "search": s(search),
        "organizer_id": s(scene.organizer_id or "-"),
        "status": s(scene.status.value),  # what a change is conditioned on (body is opaque to conditions)
        "body": s(scene.model_dump_json(by_alias=True)),
    }


def scene_from_item(item: dict[str, Any]) -> Scene:
    return Scene.model_validate_json(item["body"]["S"])


def _no_cursor_key() -> str:
    raise NotConfigured("this scene repository was given no cursor-key: it cannot page")


class DynamoSceneRepository:
    def __init__(
        self, table_name: str, client: Any | None = None, *, cursor_key: Callable[[], str] | None = None
    ) -> None:
        self._table = table_name
        self._client = client
        # Asked only when a listing has more than one page (the secret store's value, when wired).
        self._cursors = CursorCodec(cursor_key or _no_cursor_key, purpose="scenes")

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def get(self, scene_id: str) -> Scene | None:
        answer = aws.call("scenes", self.client.get_item, TableName=self._table, Key=scene_key(scene_id))
        item = answer.get("Item")
        return scene_from_item(item) if item else None

    def put(self, scene: Scene) -> None:
        aws.call("scenes", self.client.put_item, TableName=self._table, Item=scene_item(scene))

    def list(
        self,
        *,
        kind: SceneKind | None = None,
        query: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Scene], str | None]:
        condition = "GSI1PK = :pk"
        values: dict[str, Any] = {":pk": s(CATALOGUE)}
        if kind:
            condition += " AND begins_with(GSI1SK, :kind)"
            values[":kind"] = s(f"{kind.value}#")
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI1",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if query:
            params["FilterExpression"] = "contains(#search, :q)"
            params["ExpressionAttributeNames"] = {"#search": "search"}
            values[":q"] = s(query.lower())
        # A cursor is good only for the listing it was issued for: same kind, same search.
        binding = (kind.value if kind else "", query.lower() if query else "")
        start = self._cursors.open(cursor, binding=binding, expected_keys=_CURSOR_KEYS)
        scenes: list[Scene] = []
        for _ in range(_MAX_PAGES):
            page_params = {**params, "Limit": limit - len(scenes)}
            if start:
                page_params["ExclusiveStartKey"] = start
            answer = aws.call("scenes", self.client.query, **page_params)
            scenes.extend(scene_from_item(item) for item in answer.get("Items", []))
            start = answer.get("LastEvaluatedKey")
            if not start or len(scenes) >= limit:
                break
        return scenes, self._cursors.seal(start, binding=binding)
