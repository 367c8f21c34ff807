"""The public retirement registry in the ledger's table.

  REGISTRY#{project} / HEAD               lane 0's count, hash, and signed head document
  REGISTRY#{project} / HEAD#{lane}        the same for lanes 1-15
  REGISTRY#{project} / SEQ#{position}     one record per retirement, lane 0 (GSI1: REGISTRY#{0-7}, by time)
  REGISTRY#{project} / SEQ#L{lane}#{position}  lanes 1-15 (sorted after lane 0's, lane by lane)

Records and heads are written in the retirement's own transaction: the record only if its
position is free, the head only if it still counts what it counted when read, so two retirements
can never take the same position of a lane or fork it. Lane 0 keeps the keys of the single chain
a project had before lanes.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from carbonneutral.domain.registry import GENESIS, RegistryHead, RegistryRecord, check_chain
from carbonneutral.store import aws
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.table import LedgerTable

PAGE = 50
# The newest-first listing of every project's records reads GSI1, sorted by the time of retirement.
# Under one partition key it would take every retirement of the platform, always at its newest end,
# which no split by key range can spread: 1,000 retirements a second would be a partition's whole
# write limit. Records are spread over LISTING_SHARDS keys and the listing merges them; records written
# before the shards keep the key REGISTRY and are read as one more.
LISTING_SHARDS = 8
LISTING_KEYS = ("REGISTRY", *(f"REGISTRY#{shard}" for shard in range(LISTING_SHARDS)))


def head_key(project_id: str, lane: int = 0) -> dict[str, Any]:
    return {"PK": s(f"REGISTRY#{project_id}"), "SK": s(f"HEAD#{lane:02d}" if lane else "HEAD")}


def record_sk(lane: int, position: int) -> str:
    return f"SEQ#L{lane:02d}#{position:012d}" if lane else f"SEQ#{position:012d}"


def record_key(project_id: str, lane: int, position: int) -> dict[str, Any]:
    return {"PK": s(f"REGISTRY#{project_id}"), "SK": s(record_sk(lane, position))}


def listing_keys(record: RegistryRecord) -> dict[str, Any]:
    """The record's place in the listing of every project's records: (shard, time-ordered key)."""
    by_time = f"{record.retired_at}#{record.project_id}#{record_sk(record.lane or 0, record.position)[4:]}"
    shard = zlib.crc32(by_time.encode()) % LISTING_SHARDS
    return {"GSI1PK": s(f"REGISTRY#{shard}"), "GSI1SK": s(by_time)}


class Registry(LedgerTable):
    def chain_position(self, project_id: str, lane: int = 0) -> tuple[int, str]:
        """(count, last hash) the lane's next record follows."""
        return self.position_of(self.signed_head(project_id, lane))

    @staticmethod
    def position_of(signed: dict[str, Any] | None) -> tuple[int, str]:
        head = RegistryHead.model_validate(signed) if signed else None
        return (head.count, head.hash) if head else (0, GENESIS)

    def _registry_items(self, record: RegistryRecord, head: dict[str, Any]) -> list[dict[str, Any]]:
        before, lane = record.position - 1, record.lane or 0
        body = json.dumps(
            record.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
        )
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **record_key(record.project_id, lane, record.position),
                        "type": s("registry_record"),
                        "body": s(body),
                        **listing_keys(record),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **head_key(record.project_id, lane),
                        "type": s("registry_head"),
                        "count": n(record.position),
                        "hash": s(record.hash),
                        "body": s(json.dumps(head, ensure_ascii=False, separators=(",", ":"))),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)" if before == 0 else "#count = :before",
                    **(
                        {
                            "ExpressionAttributeNames": {"#count": "count"},
                            "ExpressionAttributeValues": {":before": n(before)},
                        }
                        if before
                        else {}
                    ),
                }
            },
        ]

    def registry_records(
        self, project_id: str, after: tuple[int, int] = (0, 0), limit: int = PAGE
    ) -> tuple[list[RegistryRecord], tuple[int, int] | None]:
        """A project's records in export order (lane by lane, each in chain order) after the given
        (lane, position); (records, the next `after`)."""
        answer = aws.call(
            "ledger",
            self.client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK > :after",
            ExpressionAttributeValues={":pk": s(f"REGISTRY#{project_id}"), ":after": s(record_sk(*after))},
            Limit=limit,
        )
        records = [RegistryRecord.model_validate_json(i["body"]["S"]) for i in answer.get("Items", [])]
        more = bool(answer.get("LastEvaluatedKey")) and bool(records)
        return records, ((records[-1].lane or 0, records[-1].position) if more else None)

    def every_record(self, project_id: str) -> list[RegistryRecord]:
        """The whole chain, in order (the export, and the audit)."""
        return [RegistryRecord.model_validate_json(body) for body in self._bodies(project_id, "SEQ#")]

    def latest_records(
        self, before: str | None = None, limit: int = PAGE
    ) -> tuple[list[RegistryRecord], str | None]:
        """Every project's records, newest first; (records, the cursor of the next page). Each listing
        key gives its newest `limit` records before the cursor, and the page is the newest of those."""
        found: list[dict[str, Any]] = []
        more = False
        for key in LISTING_KEYS:
            answer = aws.call(
                "ledger",
                self.client.query,
                TableName=self._table,
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :registry" + (" AND GSI1SK < :before" if before else ""),
                ExpressionAttributeValues={":registry": s(key), **({":before": s(before)} if before else {})},
                ScanIndexForward=False,
                Limit=limit,
            )
            found += answer.get("Items", [])
            more = more or bool(answer.get("LastEvaluatedKey"))
        found.sort(key=lambda item: item["GSI1SK"]["S"], reverse=True)
        items, more = found[:limit], more or len(found) > limit
        records = [RegistryRecord.model_validate_json(i["body"]["S"]) for i in items]
        return records, items[-1]["GSI1SK"]["S"] if more and items else None

    def signed_head(self, project_id: str, lane: int = 0) -> dict[str, Any] | None:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=head_key(project_id, lane),
            ConsistentRead=True,
        ).get("Item")
        return json.loads(item["body"]["S"]) if item else None

    def signed_heads(self, project_id: str) -> list[dict[str, Any]]:
        """The signed head of each lane that has records, lane 0 first, in one query."""
        return [json.loads(body) for body in self._bodies(project_id, "HEAD")]

    def _bodies(self, project_id: str, prefix: str) -> list[str]:
        """The stored bodies of a project's registry items whose sort key starts with `prefix`, in order."""
        return [
            item["body"]["S"]
            for item in self._query(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={":pk": s(f"REGISTRY#{project_id}"), ":prefix": s(prefix)},
                ConsistentRead=True,
            )
        ]

    def chain_problems(self, project_id: str, retired_kg: int) -> tuple[list[str], list[RegistryRecord]]:
        """(what is wrong with the project's chain, its records): it must be intact
        (domain.registry.check_chain) and hold every kg the project has retired."""
        records = self.every_record(project_id)
        heads = self.signed_heads(project_id)
        raw = [r.model_dump(mode="json", by_alias=True) for r in records]
        problems = check_chain(raw, heads)
        in_chain = sum(r.kg for r in records)
        if in_chain != retired_kg:
            problems.append(f"its registry holds {in_chain} kg, {retired_kg} kg are retired")
        return problems, records
