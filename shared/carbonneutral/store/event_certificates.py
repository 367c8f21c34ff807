"""Scenes' event certificates: each one a CERT# item like a personal certificate (never changed),
and per scene a pointer to the current one, moved in the same transaction that issues the next.

  CERT#{certificate_id} / CERT      the signed document (type event_certificate, scene_id)
  EVENTCERT#{scene_id} / CURRENT    certificate_id of the scene's current certificate
"""

from __future__ import annotations

import json
from typing import Any

from carbonneutral.store import aws
from carbonneutral.store.items import n, s


def _pointer(scene_id: str) -> dict[str, Any]:
    return {"PK": s(f"EVENTCERT#{scene_id}"), "SK": s("CURRENT")}


class EventCertificates:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table, self._client = table_name, client

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def current_id(self, scene_id: str) -> str | None:
        item = aws.call(
            "certificates",
            self.client.get_item,
            TableName=self._table,
            Key=_pointer(scene_id),
            ConsistentRead=True,
        ).get("Item")
        return item["certificate_id"]["S"] if item else None

    def current(self, scene_id: str) -> dict[str, Any] | None:
        """The scene's current signed certificate, if it has one."""
        certificate_id = self.current_id(scene_id)
        if certificate_id is None:
            return None
        item = aws.call(
            "certificates",
            self.client.get_item,
            TableName=self._table,
            Key={"PK": s(f"CERT#{certificate_id}"), "SK": s("CERT")},
        ).get("Item")
        return json.loads(item["body"]["S"]) if item else None

    def issue(self, scene_id: str, signed: dict[str, Any], previous: str | None) -> bool:
        """Stores a new certificate and makes it the scene's current one, provided the current one
        is still `previous`; False when another was issued meanwhile."""
        from botocore.exceptions import ClientError

        certificate_id = signed["certificate_id"]
        condition = "attribute_not_exists(PK)" if previous is None else "certificate_id = :previous"
        before: dict[str, Any] = {} if previous is None else {":previous": s(previous)}
        try:
            aws.call(
                "certificates",
                self.client.transact_write_items,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                "PK": s(f"CERT#{certificate_id}"),
                                "SK": s("CERT"),
                                "type": s("event_certificate"),
                                "v": n(1),
                                "scene_id": s(scene_id),
                                "order_id": s(""),
                                "project_id": s(""),
                                "body": s(json.dumps(signed, ensure_ascii=False, separators=(",", ":"))),
                            },
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _pointer(scene_id),
                            "UpdateExpression": "SET certificate_id = :id, #type = :type",
                            "ExpressionAttributeNames": {"#type": "type"},
                            "ConditionExpression": condition,
                            "ExpressionAttributeValues": {
                                ":id": s(certificate_id),
                                ":type": s("event_certificate_pointer"),
                                **before,
                            },
                        }
                    },
                ],
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True
