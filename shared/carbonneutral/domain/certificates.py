"""Carbon-neutral honour certificates: immutable, signed, verifiable by anyone offline.

The signed document holds only strings, integers, booleans, lists and objects, so its
RFC 8785 (JCS) form is sorted keys, no spaces and UTF-8: `canonical_json` below.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carbonneutral.domain.orders import Order
from carbonneutral.domain.projects import Project
from carbonneutral.domain.scenes import Scene
from carbonneutral.domain.types import (
    CERTIFICATE_ID_PATTERN,
    CertificateId,
    Kg,
    LocalizedText,
    ProjectId,
    SceneId,
)

# /2 names places and projects as every other document does ({"zh-CN": …, "en": …}); /1 used
# {"zh_cn": …} keys. A certificate is read in the form it was signed in, and verified as it is.
SCHEMA = "carbon-neutral-certificate/2"


def is_certificate_id(value: str) -> bool:
    return re.fullmatch(CERTIFICATE_ID_PATTERN, value) is not None


def new_certificate_id() -> str:
    return "cert_" + secrets.token_urlsafe(18)


class RegistryRef(BaseModel):
    """Where a certificate's retirement sits in its project's public registry chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lane: int | None = Field(
        default=None,
        ge=0,
        lt=16,
        exclude_if=lambda v: v is None,
        description="The lane of the project's chain it is in; absent on certificates issued before lanes (0)",
    )
    position: int = Field(ge=1, description="Its place in its lane, from 1")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="The registry record's SHA-256 (hex)")

    @property
    def label(self) -> str:
        """How pages name the record: its position, after its lane unless that is 0 (e.g. 12, 3·12)."""
        return f"{self.lane}·{self.position}" if self.lane else str(self.position)


class Certificate(BaseModel):
    """The signed content. Every field is a string, an integer, a boolean, a list or an object."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(default=SCHEMA, alias="schema", description="The signed format's name and version")
    certificate_id: CertificateId
    beneficiary: str = Field(description="The name on the certificate")
    beneficiary_kind: Literal["individual", "organization"]
    quantity_kg: Kg = Field(description="Kilograms of CO2e neutralized: one retired credit each")
    reason: str
    scene_id: SceneId | None
    scene: LocalizedText | None
    project_id: ProjectId
    project: LocalizedText
    standard: str
    vintage: int
    developer: LocalizedText = Field(description="The company that cut the emissions")
    serials: list[str] = Field(
        description="The retired serial ranges, e.g. CDCER-<project>-<vintage>-<first>-<last>"
    )
    retired_at: str = Field(description="When the credits were retired (UTC, ISO 8601)")
    factor_set: str | None = Field(description="The factor set the footprint was calculated with")
    issuer: str = Field(description="The origin that issued it")
    kid: str = Field(description="The id of the key in the published key set that signed it")
    # Certificates issued before the registry have none, and are served without it, as signed.
    registry: RegistryRef | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="Its retirement's record in the project's public registry (GET /v1/retirements)",
    )

    def document(self) -> dict[str, Any]:
        """The document that is signed: the JSON form, with the format's own field names."""
        return self.model_dump(mode="json", by_alias=True)


class SignedCertificate(Certificate):
    """A certificate as issued: verify `signature` (Ed25519 over the JCS form of everything else,
    base64url) with the key named by `kid` in /.well-known/certificate-keys.json."""

    signature: str


def canonical_json(document: dict[str, Any]) -> bytes:
    """RFC 8785 for documents without floats: sorted keys, no whitespace, UTF-8."""
    _check_jcs_safe(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_jcs_safe(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("certificate keys must be strings")
            _check_jcs_safe(item)
    elif isinstance(value, list):
        for item in value:
            _check_jcs_safe(item)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if abs(value) > 2**53:
            raise TypeError("integers beyond 2**53 have no exact JSON number")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical form here; use a string")


def certificate_for(
    order: Order,
    project: Project,
    scene: Scene | None,
    *,
    certificate_id: str,
    issuer: str,
    kid: str,
    registry: RegistryRef | None = None,
) -> Certificate:
    """What a retired order's certificate says."""
    assert order.retirement is not None, "only a retired order has a certificate"
    return Certificate(
        certificate_id=certificate_id,
        beneficiary=order.beneficiary.name,
        beneficiary_kind=order.beneficiary.kind,
        quantity_kg=order.quantity_kg,
        reason=order.retirement.reason,
        scene_id=order.scene_id,
        scene=scene.name if scene else None,
        project_id=project.project_id,
        project=project.name,
        standard=project.standard.value,
        vintage=project.vintage,
        developer=project.developer.name,
        serials=order.retirement.labels,
        retired_at=order.retirement.retired_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        factor_set=order.factor_set,
        issuer=issuer,
        kid=kid,
        registry=registry,
    )


UNREAD: Any = object()  # a scene not read yet, as opposed to None (an order without a scene)


class CertificateIssuer:
    """Builds and signs the certificate of a retired order (called inside the retirement).

    The key is asked for only when a certificate is signed, so code that never retires
    (the sweeper) never loads it. The issuer is the public origin the payment arrived at.
    """

    def __init__(self, scenes: Any, signing_key: Callable[[], Any]) -> None:
        self._scenes, self._signing_key = scenes, signing_key

    def __call__(
        self,
        order: Order,
        project: Project,
        *,
        issuer: str,
        certificate_id: str | None = None,
        registry: RegistryRef | None = None,
        scene: Any = UNREAD,
    ) -> tuple[str, dict[str, Any]]:
        """`scene`: the order's scene when the caller has read it already (None: it has none)."""
        key = self._signing_key()
        if scene is UNREAD:
            scene = self._scenes.get(order.scene_id) if order.scene_id else None
        certificate = certificate_for(
            order,
            project,
            scene,
            certificate_id=certificate_id or new_certificate_id(),
            issuer=issuer,
            kid=key.kid,
            registry=registry,
        )
        document = certificate.document()
        return certificate.certificate_id, {**document, "signature": key.sign(document)}

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        """Any other document the platform publishes signed (a registry head): with kid and signature."""
        key = self._signing_key()
        signed = {**document, "kid": key.kid}
        return {**signed, "signature": key.sign(signed)}

    def at(self, issuer: str) -> IssuerAt:
        return IssuerAt(self, issuer)


class IssuerAt:
    """The issuer for one origin: what a retirement signs with (its certificate, its registry head)."""

    def __init__(self, issuer: CertificateIssuer, origin: str) -> None:
        self._issuer, self._origin = issuer, origin

    def __call__(
        self,
        order: Order,
        project: Project,
        *,
        certificate_id: str,
        registry: RegistryRef | None,
        scene: Any = UNREAD,
    ) -> tuple[str, dict[str, Any]]:
        return self._issuer(
            order, project, issuer=self._origin, certificate_id=certificate_id, registry=registry, scene=scene
        )

    def sign(self, document: dict[str, Any]) -> dict[str, Any]:
        return self._issuer.sign(document)


# An organizer's certificate for a scene that reached a level: signed like a personal one, with the
# figures of the rating as strings of kilograms (a signed document holds no floats).
EVENT_SCHEMA = "carbon-neutral-event-certificate/1"
EVENT_FIGURES = (  # and the period, for a scene with dates (an undated one states the day of issue)
    "level",
    "expected_attendance",
    "per_participant_kg",
    "event_footprint_kg",
    "target_kg",
    "calculated_kg",
    "neutralized_kg",
    "participants_kg",
    "organizer_kg",
    "organizer_share_percent",
)


class EventCertificate(BaseModel):
    """A scene's carbon-neutral rating as its organizer applied for it. Never edited: when the
    figures change, a new certificate supersedes it (`supersedes` names the one before)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(
        default=EVENT_SCHEMA, alias="schema", description="The signed format's name and version"
    )
    certificate_id: CertificateId
    scene_id: SceneId
    scene: LocalizedText
    organizer_id: str
    level: Literal["bronze", "silver", "gold", "carbon_neutral"]
    period: str = Field(description="The scene's dates (an ISO 8601 interval), or the day it was issued")
    expected_attendance: int
    per_participant_kg: int
    event_footprint_kg: int
    target_kg: str = Field(description="expected_attendance x per_participant_kg + event_footprint_kg")
    calculated_kg: str = Field(description="The footprints calculated at the scene (not part of the rating)")
    neutralized_kg: str = Field(description="Neutralized, as counted by the rating: never above the target")
    participants_kg: str
    organizer_kg: str = Field(description="The organizer's own share, up to the event's footprint")
    organizer_share_percent: str = Field(description="organizer_kg as a share of neutralized_kg")
    supersedes: CertificateId | None = Field(description="The scene's previous certificate, if any")
    issued_at: str
    issuer: str = Field(description="The origin that issued it")
    kid: str

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def figures(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in EVENT_FIGURES)


class SignedEventCertificate(EventCertificate):
    signature: str


def is_event_certificate(document: dict[str, Any]) -> bool:
    return document.get("schema") == EVENT_SCHEMA


def _kg(value: float) -> str:
    return f"{value:.3f}"


def event_certificate_for(
    scene: Scene,
    rating: Any,
    *,
    certificate_id: str,
    supersedes: str | None,
    issued_on: date,
    issued_at: str,
    issuer: str,
    kid: str,
) -> EventCertificate:
    """What a scene's certificate says, from its rating (domain.ranking.Rating) as it is now."""
    if not rating.declared or rating.level == "none":
        raise ValueError("only a declared scene that reached a level has a certificate")
    period = (
        f"{scene.starts_on.isoformat()}/{(scene.ends_on or scene.starts_on).isoformat()}"
        if scene.starts_on
        else issued_on.isoformat()
    )
    share = rating.organizer_kg / rating.neutralized_kg * 100 if rating.neutralized_kg else 0.0
    return EventCertificate(
        certificate_id=certificate_id,
        scene_id=scene.scene_id,
        scene=scene.name,
        organizer_id=str(scene.organizer_id),
        level=rating.level,
        period=period,
        expected_attendance=int(rating.expected_attendance),
        per_participant_kg=rating.per_participant_kg,
        event_footprint_kg=int(rating.event_footprint_kg),
        target_kg=_kg(rating.target_kg),
        calculated_kg=_kg(rating.footprint_kg),
        neutralized_kg=_kg(rating.neutralized_kg),
        participants_kg=_kg(rating.participants_kg),
        organizer_kg=_kg(rating.organizer_kg),
        organizer_share_percent=f"{share:.1f}",
        supersedes=supersedes,
        issued_at=issued_at,
        issuer=issuer,
        kid=kid,
    )
