"""Issuance: a project's credit blocks added, each issuance recorded, and the audit of
`issued = available + reserved + retired`.

Blocks move between partition keys as they are reserved, released and retired, so a check that
reads them key by key can miss one that moves from a key not read yet to one read already. Each
issuance therefore also writes, in the transaction that adds its blocks and bumps the project's
`issuance_version`, a record of the serials it issued that never changes:
`PROJECT#{id}#ISSUED / ISSUANCE#{version:06d}`, under a key of their own so that no read of the
project's key (its figures are read for every purchase) reads them. The next issuance reads its
version first and then these records, in one query, so it sees every serial issued before it. A project
issued before the records existed (a version without its record) is checked against its blocks too,
as before.
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
MAX_ISSUED_BLOCKS = 90  # at most 97 pieces over the pools, 99 items with the project and the record


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
        clashes = overlapping(new_blocks, self._issued(project_id, version))
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
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _record(project_id, version + 1, new_blocks),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            *(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **available_key(project_id, pool, b.first),
                            "type": s("credit_block"),
                            "first": n(b.first),
                            "last": n(b.last),
                        },
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
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

    def _issued(self, project_id: str, version: int) -> list[SerialRange]:
        """Every serial issued up to `version`: the issuances' records, and where one predates them,
        the project's blocks in every state as well."""
        records = self._issuance_records(project_id)
        issued = [r for record in records for r in _ranges(record)]
        if _complete(records, version):
            return issued
        return issued + [block_of(i) for i in self._every_item(project_id) if _state(i) in STATES]

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


def _record(project_id: str, version: int, blocks: list[SerialRange]) -> dict[str, Any]:
    return {
        "PK": s(_records_pk(project_id)),
        "SK": s(f"ISSUANCE#{version:06d}"),
        "type": s("issuance"),
        "version": n(version),
        "kg": n(sum(b.size for b in blocks)),
        "ranges": s(json.dumps([[b.first, b.last] for b in blocks])),
    }


def _records_pk(project_id: str) -> str:
    return f"PROJECT#{project_id}#ISSUED"


def _ranges(record: dict[str, Any]) -> list[SerialRange]:
    return [SerialRange(first=first, last=last) for first, last in json.loads(record["ranges"]["S"])]


def _complete(records: list[dict[str, Any]], version: int) -> bool:
    """Whether every issuance up to `version` has its record (none made before the records existed)."""
    return {int(r["version"]["N"]) for r in records} == set(range(1, version + 1))


def _state(item: dict[str, Any]) -> str:
    return str(item["SK"]["S"]).split("#")[0]
