"""The public retirement registry in the ledger's table.

  REGISTRY#{project} / HEAD                  lane 0's count, hash, and signed head document
  REGISTRY#{project} / SEQ#{position}        one record per retirement, lane 0 (GSI1: REGISTRY#{0-7}, by time)
  REGISTRY#{project}#L{lane} / HEAD          the same for each of lanes 1-15, under a key of its own
  REGISTRY#{project}#L{lane} / SEQ#{position}
  REGISTRY#{project} / HEAD#{lane}           that the lane lives under its own key (its first record puts it)

Lanes 1-15 begun before they had keys of their own go on where they are, under the project's key:
`HEAD#{lane}` is then their head, and their records `SEQ#L{lane}#{position}` (sorted after lane 0's,
lane by lane). A lane is in one place or the other, never both: a lane's first record under its own
key puts `HEAD#{lane}` only if it is free, which no earlier head of that lane can be.

Records and heads are written in the retirement's own transaction: the record only if its
position is free, the head only if it still counts what it counted when read, so two retirements
can never take the same position of a lane or fork it. Lane 0 keeps the keys of the single chain
a project had before lanes.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from carbonneutral import threads
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
# Where each lane lives, as far as this process has seen (table, project, lane) -> under the project's
# key (True) or its own (False). Unknown lanes are read at both places.
_LANE_AT_PROJECT: dict[tuple[str, str, int], bool] = {}
_LAST = 10**12 - 1  # the highest position a record's key can hold
_MARK = "registry_lane"  # the type of `HEAD#{lane}` under the project's key when it is a mark, not a head


class Lane(NamedTuple):
    """Where a lane of a project's registry stands: its count and last hash, and where it lives."""

    size: int  # records in the lane
    previous: str
    at_project: bool  # lane 0, or a lane begun before lanes had keys of their own


def lane_pk(project_id: str, lane: int, at_project: bool = False) -> str:
    return f"REGISTRY#{project_id}" if at_project or not lane else f"REGISTRY#{project_id}#L{lane:02d}"


def head_key(project_id: str, lane: int = 0, at_project: bool = False) -> dict[str, Any]:
    """The lane's head; under the project's key, `HEAD#{lane}` is a lane's head or the mark that it
    lives under its own key."""
    sk = f"HEAD#{lane:02d}" if lane and at_project else "HEAD"
    return {"PK": s(lane_pk(project_id, lane, at_project)), "SK": s(sk)}


def record_sk(lane: int, position: int) -> str:
    """A record's sort key under the project's key (lane 0's and earlier lanes'); also its place in the
    listing of every project's records, wherever it lives."""
    return f"SEQ#L{lane:02d}#{position:012d}" if lane else f"SEQ#{position:012d}"


def record_key(project_id: str, lane: int, position: int, at_project: bool = False) -> dict[str, Any]:
    sk = record_sk(lane, position) if at_project or not lane else f"SEQ#{position:012d}"
    return {"PK": s(lane_pk(project_id, lane, at_project)), "SK": s(sk)}


def listing_keys(record: RegistryRecord) -> dict[str, Any]:
    """The record's place in the listing of every project's records: (shard, time-ordered key)."""
    by_time = f"{record.retired_at}#{record.project_id}#{record_sk(record.lane or 0, record.position)[4:]}"
    shard = zlib.crc32(by_time.encode()) % LISTING_SHARDS
    return {"GSI1PK": s(f"REGISTRY#{shard}"), "GSI1SK": s(by_time)}


def _put(table: str, item: dict[str, Any], condition: str, **expression: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": condition, **expression}}


class Registry(LedgerTable):
    def head_keys(self, project_id: str, lane: int) -> list[dict[str, Any]]:
        """The keys to read for the lane's head: one once this process knows where the lane lives."""
        known = _LANE_AT_PROJECT.get((self._table, project_id, lane)) if lane else True
        if known is None:
            return [head_key(project_id, lane), head_key(project_id, lane, at_project=True)]
        return [head_key(project_id, lane, at_project=known)]

    def lane_of(self, project_id: str, lane: int, found: Mapping[tuple[str, str], dict[str, Any]]) -> Lane:
        """Where the lane stands, from what was read at its `head_keys`."""

        def item(at_project: bool) -> dict[str, Any] | None:
            key = head_key(project_id, lane, at_project)
            return found.get((key["PK"]["S"], key["SK"]["S"]))

        under_project = item(True)
        at_project = not lane or (under_project is not None and under_project["type"]["S"] != _MARK)
        head = item(at_project)
        if head is not None and lane:
            _LANE_AT_PROJECT[(self._table, project_id, lane)] = at_project
        size, previous = self.position_of(json.loads(head["body"]["S"]) if head else None)
        return Lane(size, previous, at_project)

    def forget_lane(self, project_id: str, lane: int) -> None:
        """A lane lost to another retirement is read at both places next time (it may have begun elsewhere)."""
        _LANE_AT_PROJECT.pop((self._table, project_id, lane), None)

    def chain_position(self, project_id: str, lane: int = 0) -> Lane:
        """Where the lane stands, and so where its next record goes."""
        return self.lane_of(project_id, lane, self._batch_get(self.head_keys(project_id, lane)))

    @staticmethod
    def position_of(signed: dict[str, Any] | None) -> tuple[int, str]:
        head = RegistryHead.model_validate(signed) if signed else None
        return (head.count, head.hash) if head else (0, GENESIS)

    def _registry_items(
        self, record: RegistryRecord, head: dict[str, Any], at_project: bool
    ) -> list[dict[str, Any]]:
        before, lane, project_id = record.position - 1, record.lane or 0, record.project_id
        body = json.dumps(
            record.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
        )
        free = "attribute_not_exists(PK)"
        head_item = {
            **head_key(project_id, lane, at_project),
            "type": s("registry_head"),
            "count": n(record.position),
            "hash": s(record.hash),
            "body": s(json.dumps(head, ensure_ascii=False, separators=(",", ":"))),
        }
        counted = {
            "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": {":before": n(before)},
        }
        items = [
            _put(
                self._table,
                {
                    **record_key(project_id, lane, record.position, at_project),
                    "type": s("registry_record"),
                    "body": s(body),
                    **listing_keys(record),
                },
                free,
            ),
            _put(self._table, head_item, "#count = :before", **counted)
            if before
            else _put(self._table, head_item, free),
        ]
        if lane and not at_project and not before:  # the lane's first record under its own key: its mark
            mark = {**head_key(project_id, lane, at_project=True), "type": s(_MARK)}
            items.append(_put(self._table, mark, free))
        return items

    def _lanes(self, project_id: str) -> tuple[dict[int, dict[str, Any]], list[int]]:
        """(the heads under the project's key, by lane; the lanes that live under keys of their own),
        in one query."""
        at_project: dict[int, dict[str, Any]] = {}
        own: list[int] = []
        for item in self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :head)",
            ExpressionAttributeValues={":pk": s(f"REGISTRY#{project_id}"), ":head": s("HEAD")},
            ConsistentRead=True,
        ):
            lane = int(item["SK"]["S"][5:] or 0)
            if item["type"]["S"] == _MARK:
                own.append(lane)
            else:
                at_project[lane] = item
        return at_project, own

    def signed_heads(self, project_id: str) -> list[dict[str, Any]]:
        """The signed head of each lane that has records, lane 0 first: one query, and one batch for
        the lanes under keys of their own."""
        at_project, own = self._lanes(project_id)
        return self._heads(project_id, at_project, own)

    def _heads(
        self, project_id: str, at_project: dict[int, dict[str, Any]], own: list[int]
    ) -> list[dict[str, Any]]:
        heads = dict(at_project)
        if own:
            found = self._batch_get([head_key(project_id, lane) for lane in own])
            heads |= {int(pk.rsplit("#L", 1)[1]): item for (pk, _), item in found.items()}
        return [json.loads(heads[lane]["body"]["S"]) for lane in sorted(heads)]

    def _records(
        self, pk: str, first: str, last: str, limit: int | None = None
    ) -> tuple[list[RegistryRecord], bool]:
        """Records under `pk` with sort keys from `first` to `last`, in order; (records, whether more)."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
            "ExpressionAttributeValues": {":pk": s(pk), ":first": s(first), ":last": s(last)},
            "ConsistentRead": True,
        }
        if limit is None:
            return [RegistryRecord.model_validate_json(i["body"]["S"]) for i in self._query(**query)], False
        answer = aws.call("ledger", self.client.query, TableName=self._table, Limit=limit, **query)
        records = [RegistryRecord.model_validate_json(i["body"]["S"]) for i in answer.get("Items", [])]
        return records, bool(answer.get("LastEvaluatedKey"))

    def _lane_records(
        self, project_id: str, lane: int, at_project: bool, after: int = 0, limit: int | None = None
    ) -> tuple[list[RegistryRecord], bool]:
        first, last = (record_key(project_id, lane, p, at_project)["SK"]["S"] for p in (after + 1, _LAST))
        return self._records(lane_pk(project_id, lane, at_project), first, last, limit)

    def registry_records(
        self, project_id: str, after: tuple[int, int] = (0, 0), limit: int = PAGE
    ) -> tuple[list[RegistryRecord], tuple[int, int] | None]:
        """A project's records in export order (lane by lane, each in chain order) after the given
        (lane, position); (records, the next `after`)."""
        at_project, own = self._lanes(project_id)
        lanes = sorted({0, *at_project, *own})
        records: list[RegistryRecord] = []
        more = False
        for lane in (lane for lane in lanes if lane >= after[0]):
            if len(records) == limit:
                more = True
                break
            found, more = self._lane_records(
                project_id, lane, lane not in own, after[1] if lane == after[0] else 0, limit - len(records)
            )
            records += found
            if more:  # the lane goes on: the next page starts after this one's last record
                break
        more = more and bool(records)
        return records, ((records[-1].lane or 0, records[-1].position) if more else None)

    def _chain(self, project_id: str, own: list[int]) -> list[RegistryRecord]:
        """The whole chain, lane by lane, each in order, given the lanes under keys of their own."""
        records, _ = self._records(f"REGISTRY#{project_id}", "SEQ#", "SEQ#~")  # lane 0's, then earlier lanes'
        for lane in sorted(own):
            records += self._lane_records(project_id, lane, at_project=False)[0]
        records.sort(key=lambda r: (r.lane or 0, r.position))
        return records

    def every_record(self, project_id: str) -> list[RegistryRecord]:
        """The whole chain, in order (the export, and the audit)."""
        return self._chain(project_id, self._lanes(project_id)[1])

    def latest_records(
        self, before: str | None = None, limit: int = PAGE
    ) -> tuple[list[RegistryRecord], str | None]:
        """Every project's records, newest first; (records, the cursor of the next page). Each listing
        key gives its newest `limit` records before the cursor, and the page is the newest of those;
        the keys' queries go out at once."""
        client = self.client

        def newest(key: str) -> dict[str, Any]:
            return aws.call(
                "ledger",
                client.query,
                TableName=self._table,
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :registry" + (" AND GSI1SK < :before" if before else ""),
                ExpressionAttributeValues={":registry": s(key), **({":before": s(before)} if before else {})},
                ScanIndexForward=False,
                Limit=limit,
            )

        answers = threads.at_once(newest, LISTING_KEYS)
        found = [item for answer in answers for item in answer.get("Items", [])]
        more = any(answer.get("LastEvaluatedKey") for answer in answers)
        found.sort(key=lambda item: item["GSI1SK"]["S"], reverse=True)
        items, more = found[:limit], more or len(found) > limit
        records = [RegistryRecord.model_validate_json(i["body"]["S"]) for i in items]
        return records, items[-1]["GSI1SK"]["S"] if more and items else None

    def chain_problems(self, project_id: str, retired_kg: int) -> tuple[list[str], list[RegistryRecord]]:
        """(what is wrong with the project's chain, its records): it must be intact
        (domain.registry.check_chain) and hold every kg the project has retired."""
        at_project, own = self._lanes(project_id)
        heads = self._heads(project_id, at_project, own)  # first: none counts a record the chain lacks
        records = self._chain(project_id, own)
        raw = [r.model_dump(mode="json", by_alias=True) for r in records]
        problems = check_chain(raw, heads)
        in_chain = sum(r.kg for r in records)
        if in_chain != retired_kg:
            problems.append(f"its registry holds {in_chain} kg, {retired_kg} kg are retired")
        return problems, records
