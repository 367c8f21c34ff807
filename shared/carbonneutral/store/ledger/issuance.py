"""Issuance: a project's credit blocks added, each issuance recorded, and the audit of
`issued = available + reserved + retired`.

Blocks move between partition keys as they are reserved, released and retired, so a check that
reads them key by key can miss one that moves from a key not read yet to one read already. Each
issuance therefore also writes, in the transaction that adds its blocks and bumps the project's
`issuance_version`, a record of the serials it issued that never changes:
`PROJECT#{id}#ISSUED / ISSUANCE#{version:06d}`, under a key of their own so that no read of the
project's key (its figures are read for every purchase) reads them. The next issuance reads its
version first and then these records, in one query, so it sees every serial issued before it.

A project issued before the records existed (a version without its record) is read from its blocks
once more: that read counts only if the blocks are disjoint and add up to the project's issued kg at
the version read first (a block that moved between two keys while they were read is missed or seen
twice, which breaks one or the other), and is tried again otherwise. The serials it found then go
into a record of their own, `BEFORE#{version:06d}` (versions 1 to that one), in the issuance's
transaction, so from the next issuance on the project is checked against records only.
`record_issued` (`admin record-issuances`) writes that record without an issuance, so that the audit
checks such a project's serials without waiting for its next one.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from carbonneutral.domain.projects import SerialRange, overlapping, pooled, spans
from carbonneutral.errors import Conflict, InvalidInput, TransactionCancelled
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.blocks import CreditBlocks, block_of
from carbonneutral.store.ledger.counters import inventory_of
from carbonneutral.store.ledger.table import AVAILABLE_POOLS, POOL_MIN_KG, available_key, project_key

STATES = ("AVAILABLE", "RESERVED", "RETIRED")
MAX_ISSUED_BLOCKS = 90  # at most 97 pieces over the pools; with the project and two records, 100 items
BLOCK_READS = 4  # reads of a project issued before the records, before the issuance gives up


@dataclass(frozen=True)
class Breach:
    project_id: str
    problem: str


class Issuances(CreditBlocks):
    def issue(self, project_id: str, new_blocks: list[SerialRange]) -> int:
        """Adds issued blocks, refusing any serial that overlaps one already issued. A large issuance is
        shared out over the project's pools (`pooled`)."""
        if not new_blocks:
            raise InvalidInput("no blocks to issue", field="blocks")
        if len(new_blocks) > MAX_ISSUED_BLOCKS:
            raise InvalidInput(f"issue at most {MAX_ISSUED_BLOCKS} blocks at a time", field="blocks")
        if self.project(project_id) is None:
            raise InvalidInput(f"no project {project_id!r}", field="project_id")
        # the version first: an issuance after it fails this one's condition, so what is read next
        # holds every serial issued before this one is written
        version = self._issuance_version(project_id)
        issued, before = self._issued(project_id, version)
        clashes = overlapping(new_blocks, issued)
        if clashes:
            a, b = clashes[0]
            raise Conflict(
                f"serials {a.first}-{a.last} overlap issued serials {b.first}-{b.last}", field="blocks"
            )
        total = sum(b.size for b in new_blocks)
        pieces = pooled(new_blocks, AVAILABLE_POOLS, POOL_MIN_KG)
        items = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": project_key(project_id),
                    "UpdateExpression": "ADD issued_kg :q, available_kg :q, issuance_version :one, pools :pools",
                    "ConditionExpression": "issuance_version = :version",
                    "ExpressionAttributeValues": {
                        ":q": n(total),
                        ":one": n(1),
                        ":version": n(version),
                        ":pools": {"NS": sorted({str(pool) for pool, _ in pieces})},
                    },
                }
            },
            *(
                self._put_new(record)
                for record in (_record(project_id, version + 1, new_blocks), before)
                if record
            ),
            *(
                self._put_new(
                    {
                        **available_key(project_id, pool, b.first),
                        "type": s("credit_block"),
                        "first": n(b.first),
                        "last": n(b.last),
                    }
                )
                for pool, b in pieces
            ),
        ]
        try:
            self._transact(items)
        except TransactionCancelled as exc:
            raise Conflict("another issuance changed the project meanwhile; run it again") from exc
        return total

    def _issuance_version(self, project_id: str) -> int:
        item = self._project_attribute(project_id, "issuance_version")
        return int(item.get("issuance_version", {"N": "0"})["N"])

    def _issued(self, project_id: str, version: int) -> tuple[list[SerialRange], dict[str, Any] | None]:
        """Every serial issued up to `version`, from the issuances' records; where one predates them,
        from the project's blocks as well, with the record of what they hold to write."""
        records = self._issuance_records(project_id)
        issued = [r for record in records for r in _ranges(record)]
        if _complete(records, version):
            return issued, None
        blocks = self._every_serial(project_id, version)
        return issued + blocks, _record(project_id, version, blocks, before=True)

    def _every_serial(self, project_id: str, version: int) -> list[SerialRange]:
        """The project's blocks in every state, read until they are disjoint and hold its issued kg."""
        for attempt in range(BLOCK_READS):
            items = self._every_item(project_id)
            project = next(i for i in items if i["SK"]["S"] == "PROJECT")
            if int(project["issuance_version"]["N"]) != version:
                raise Conflict("another issuance changed the project meanwhile; run it again")
            blocks = sorted((block_of(i) for i in items if _state(i) in STATES), key=lambda b: b.first)
            disjoint = not any(a.overlaps(b) for a, b in itertools.pairwise(blocks))
            if disjoint and sum(b.size for b in blocks) == int(project["issued_kg"]["N"]):
                return [SerialRange(first=first, last=last) for first, last in spans(blocks)]
            self._backoff(attempt)
        raise Conflict(
            f"the blocks of {project_id} did not hold its issued kg in {BLOCK_READS} reads (credits moving "
            "between orders, or a breach `admin audit` names); run it again"
        )

    def record_issued(self, project_id: str) -> int | None:
        """Records the serials of a project issued before the records (the kg recorded), read from its
        blocks as an issuance would; None when every issuance has its record already."""
        version = self._issuance_version(project_id)
        if _complete(self._issuance_records(project_id), version):
            return None
        record = _record(project_id, version, self._every_serial(project_id, version), before=True)
        unchanged = {
            "TableName": self._table,
            "Key": project_key(project_id),
            "ConditionExpression": "issuance_version = :version",
            "ExpressionAttributeValues": {":version": n(version)},
        }
        try:
            self._transact([{"ConditionCheck": unchanged}, self._put_new(record)])
        except TransactionCancelled as exc:
            raise Conflict("an issuance changed the project meanwhile; run it again") from exc
        return int(record["kg"]["N"])

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        """A transaction item that writes `item` where nothing is yet."""
        return {
            "Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        }

    def unrecorded(self) -> list[str]:
        """The projects with an issuance from before the records, whose serials the audit cannot check
        against what was issued until `record_issued` (or their next issuance) records them."""
        unrecorded = []
        for pid in self.project_ids():
            version = self._issuance_version(pid)  # first: an issuance after it brings its record
            if not _complete(self._issuance_records(pid), version):
                unrecorded.append(pid)
        return unrecorded

    def _issuance_records(self, project_id: str) -> list[dict[str, Any]]:
        return list(
            self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": s(_records_pk(project_id))},
                ConsistentRead=True,
            )
        )

    def audit(self) -> list[Breach]:
        """Checks every project: counters (its item and shards summed) balance and match the blocks; no
        serial in two blocks; and, where every issuance has its record, the blocks hold exactly the
        serials issued."""
        breaches = []
        for pid in self.project_ids():
            items = self._every_item(pid)
            project = [i for i in items if i["SK"]["S"] == "PROJECT"]
            if not project:
                continue
            shards = [i for i in items if i["SK"]["S"].startswith("COUNTER")]
            inventory = inventory_of(project[0], shards)
            by_state = {
                state: sorted((block_of(i) for i in items if _state(i) == state), key=lambda b: b.first)
                for state in STATES
            }
            sums = {state: sum(b.size for b in blocks) for state, blocks in by_state.items()}
            if not inventory.balanced:
                breaches.append(
                    Breach(
                        pid,
                        f"issued {inventory.issued_kg} != available + reserved + retired "
                        f"({inventory.available_kg} + {inventory.reserved_kg} + {inventory.retired_kg})",
                    )
                )
            for state, counter in (
                ("AVAILABLE", inventory.available_kg),
                ("RESERVED", inventory.reserved_kg),
                ("RETIRED", inventory.retired_kg),
            ):
                if sums[state] != counter:
                    breaches.append(
                        Breach(pid, f"{state.lower()} blocks hold {sums[state]} kg, counter says {counter}")
                    )
            ordered = sorted((b for blocks in by_state.values() for b in blocks), key=lambda r: r.first)
            for a, b in itertools.pairwise(ordered):
                if a.overlaps(b):
                    breaches.append(Breach(pid, f"serials {a.first}-{a.last} and {b.first}-{b.last} overlap"))
            records = self._issuance_records(pid)
            version = int(project[0].get("issuance_version", {"N": "0"})["N"])
            if _complete(records, version):
                issued = spans([r for record in records for r in _ranges(record)])
                if spans(ordered) != issued:
                    breaches.append(
                        Breach(pid, f"blocks hold serials {spans(ordered)}, the issuances issued {issued}")
                    )
        return breaches


def _record(
    project_id: str, version: int, blocks: list[SerialRange], *, before: bool = False
) -> dict[str, Any]:
    """The serials issuance `version` issued; `before`: every one issued up to that version."""
    return {
        "PK": s(_records_pk(project_id)),
        "SK": s(f"{'BEFORE' if before else 'ISSUANCE'}#{version:06d}"),
        "type": s("issuance"),
        "version": n(version),
        "first_version": n(1 if before else version),
        "kg": n(sum(b.size for b in blocks)),
        "ranges": s(json.dumps([[b.first, b.last] for b in blocks])),
    }


def _records_pk(project_id: str) -> str:
    return f"PROJECT#{project_id}#ISSUED"


def _ranges(record: dict[str, Any]) -> list[SerialRange]:
    return [SerialRange(first=first, last=last) for first, last in json.loads(record["ranges"]["S"])]


def _complete(records: list[dict[str, Any]], version: int) -> bool:
    """Whether every issuance up to `version` has a record of its serials."""
    covered = {v for r in records for v in range(_first_version(r), int(r["version"]["N"]) + 1)}
    return covered >= set(range(1, version + 1))


def _first_version(record: dict[str, Any]) -> int:
    """The first issuance a record covers (records made at 2430883 name only their own version)."""
    return int(record.get("first_version", record["version"])["N"])


def _state(item: dict[str, Any]) -> str:
    return str(item["SK"]["S"]).split("#")[0]
