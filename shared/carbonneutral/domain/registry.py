"""The public retirement registry: every retirement, one record each, hash-chained per project.

A project's records form up to LANES chains ("lanes"), so that its retirements need not all wait
for one head: a retirement takes the next position of one lane. A quiet project has only lane 0;
retirements that collide move to other lanes (store/ledger/retirements.py). Each record carries the hash of
the previous record of its lane, and its own hash over its JCS form without `hash`; each lane's
head (count and last hash) is updated in the retirement's own transaction and signed with the
certificate key. Anyone holding a project's export (JSON Lines), its signed heads and the
published keys can check offline that nothing was removed, changed or reordered, that no serial
was retired twice, and that a certificate's record is in its lane: `check_chain` below, run by
`python -m carbonneutral.certify.check_registry`.

Records and heads made before the lanes have no `lane` field (nor in their hash or signature):
they are lane 0, which goes on from them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carbonneutral.domain.certificates import RegistryRef, canonical_json
from carbonneutral.domain.orders import Order
from carbonneutral.domain.projects import Project

RECORD_SCHEMA = "carbon-neutral-registry-record/1"
HEAD_SCHEMA = "carbon-neutral-registry-head/1"
GENESIS = "0" * 64  # the "previous hash" of a lane's first record
LANES = 16


def _lane_field(description: str) -> Any:
    return Field(default=None, ge=0, lt=LANES, exclude_if=lambda v: v is None, description=description)


class RegistryRecord(BaseModel):
    """One retirement as the public sees it. Hidden names stay hidden (`beneficiary` null)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(default=RECORD_SCHEMA, alias="schema")
    project_id: str
    lane: int | None = _lane_field(
        "Which of the project's chains it is in; absent on records made before lanes (0)"
    )
    position: int = Field(ge=1, description="Its place in its lane, from 1")
    previous: str = Field(description="The hash of the lane's previous record (64 zeros: none)")
    certificate_id: str | None = Field(
        description="The certificate issued for it; null when the name is hidden (the certificate shows it)"
    )
    certificate_sha256: str | None = Field(
        default=None,
        description="For a hidden name: SHA-256 (hex) of the certificate's id, so its holder can find "
        "their record and nobody else can reach the certificate from it",
    )
    serials: list[str] = Field(description="The retired serial ranges, as on the certificate")
    ranges: list[list[int]] = Field(description="The same ranges as [first, last] serial numbers")
    kg: int
    retired_at: str = Field(description="UTC, ISO 8601")
    beneficiary: str | None = Field(
        description="The name as public lists show it: a person's masked (张*) unless they chose to show it "
        "in full; null when hidden"
    )
    beneficiary_kind: Literal["individual", "organization"]
    scene_id: str | None
    hash: str = Field(default="", description="SHA-256 (hex) of the JCS form of every other field")

    def content(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(mode="json", by_alias=True).items() if k != "hash"}

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    def ref(self) -> RegistryRef:
        return RegistryRef(lane=self.lane, position=self.position, hash=self.hash)

    @property
    def label(self) -> str:
        return self.ref().label


class RegistryHead(BaseModel):
    """A lane of a project's chain as it stands: how many records, the last one's hash, signed."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(default=HEAD_SCHEMA, alias="schema")
    project_id: str
    lane: int | None = _lane_field("The lane it is the head of; absent on heads made before lanes (0)")
    count: int = Field(ge=0)
    hash: str = Field(description="The last record's hash (64 zeros for an empty chain)")
    updated_at: str
    kid: str | None = Field(default=None, description="The certificate key that signed it")
    signature: str | None = Field(default=None, description="Ed25519 over the JCS form of the rest")

    def document(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.model_dump(mode="json", by_alias=True).items() if k not in ("signature",)
        }


def record_for(
    order: Order, project: Project, *, certificate_id: str | None, lane: int, position: int, previous: str
) -> RegistryRecord:
    """The record of a retired order, chained after `previous` in `lane`."""
    retirement = order.retirement
    assert retirement is not None, "only a retired order has a record"
    record = RegistryRecord(
        project_id=project.project_id,
        lane=lane,
        position=position,
        previous=previous,
        certificate_id=None if order.beneficiary.hidden else certificate_id,
        certificate_sha256=certificate_digest(certificate_id)
        if order.beneficiary.hidden and certificate_id
        else None,
        serials=retirement.labels,
        ranges=[[r.first, r.last] for r in retirement.serials],
        kg=order.quantity_kg,
        retired_at=_utc(retirement.retired_at),
        beneficiary=order.beneficiary.public_name(),
        beneficiary_kind=order.beneficiary.kind,
        scene_id=order.scene_id,
    )
    return record.model_copy(update={"hash": record.computed_hash()})


def certificate_digest(certificate_id: str) -> str:
    return hashlib.sha256(certificate_id.encode()).hexdigest()


def names_certificate(record: dict[str, Any], certificate_id: object) -> bool:
    """Whether a record is the one of this certificate: by its id, or by the id's digest (hidden)."""
    if not isinstance(certificate_id, str):
        return False
    if record.get("certificate_id") is not None:
        return record.get("certificate_id") == certificate_id
    return record.get("certificate_sha256") == certificate_digest(certificate_id)


def head_after(record: RegistryRecord) -> RegistryHead:
    return RegistryHead(
        project_id=record.project_id,
        lane=record.lane,
        count=record.position,
        hash=record.hash,
        updated_at=record.retired_at,
    )


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def check_chain(
    records: list[dict[str, Any]], heads: dict[str, Any] | list[dict[str, Any]] | None = None
) -> list[str]:
    """Problems with a project's records, in export order (each lane's in position order), against
    its signed heads (one, or one per lane): a changed, removed, inserted or reordered record, a
    serial retired twice, or a lane's records short of its head."""
    problems: list[str] = []
    project: str | None = None
    lanes: dict[int, list[str]] = {}  # each lane's record hashes so far, in order
    seen: list[tuple[int, int, int]] = []
    for index, raw in enumerate(records, start=1):
        try:
            record = RegistryRecord.model_validate(raw)
        except ValueError as exc:
            problems.append(f"line {index}: not a registry record ({str(exc).splitlines()[0]})")
            return problems
        project = project or record.project_id
        if record.project_id != project:
            problems.append(f"line {index}: record of {record.project_id} in the chain of {project}")
        chain = lanes.setdefault(record.lane or 0, [])
        where = f" of lane {record.lane}" if record.lane else ""
        if record.position != len(chain) + 1:
            problems.append(
                f"line {index}: position {record.position}{where}, expected {len(chain) + 1} (removed or reordered)"
            )
        if record.previous != (chain[-1] if chain else GENESIS):
            problems.append(
                f"line {index}: does not follow the record before it (removed, inserted or reordered)"
            )
        if record.computed_hash() != record.hash:
            problems.append(f"line {index}: its hash does not match its content (changed)")
        for first, last in record.ranges:
            for other_first, other_last, at in seen:
                if first <= other_last and other_first <= last:
                    problems.append(f"line {index}: serials {first}-{last} were retired already at line {at}")
            seen.append((first, last, index))
        chain.append(record.hash)
    for head in [heads] if isinstance(heads, dict) else heads or []:
        problems += _head_problems(head, lanes, project)
    return problems


def _head_problems(head: dict[str, Any], lanes: dict[int, list[str]], project: str | None) -> list[str]:
    """The export and the heads are read one after the other: records retired in between follow
    their lane's head. A head must then name one of its lane's records; those after it it does not
    cover."""
    lane = head.get("lane") or 0
    chain = lanes.get(lane, []) if isinstance(lane, int) else []
    where = f" of lane {lane}" if lane else ""
    count = head.get("count")
    problems = []
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= len(chain):
        problems.append(f"the signed head{where} counts {count} records, the export has {len(chain)}")
    elif head.get("hash") != (chain[count - 1] if count else GENESIS):
        problems.append(f"record {count}{where} is not the one the signed head names")
    if project is not None and head.get("project_id") != project:
        problems.append(f"the head is {head.get('project_id')}'s, the records {project}'s")
    return problems
