"""Organizers: API keys (kept only as hashes) and the scenes they create and change."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from carbonneutral.domain.ports import SceneRepository
from carbonneutral.domain.ranking import Entry, Rating, rating
from carbonneutral.domain.scenes import (
    MAX_ATTENDANCE,
    MAX_DECLARED_KG,
    CalculatorField,
    Scene,
    SceneKind,
    SceneStatus,
    check_dates,
    default_calculator,
)
from carbonneutral.domain.types import (
    SCENE_ID_PATTERN,
    AirportCode,
    CountryCode,
    Latitude,
    LocalizedText,
    Longitude,
)
from carbonneutral.errors import (
    Busy,
    DeclarationShrinks,
    Forbidden,
    InvalidInput,
    NotFound,
    NotRated,
    SceneClosed,
)

_TOKEN = re.compile(r"^cnk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$")


class ApiKey(BaseModel):
    key_id: str
    organizer_id: str
    name: str
    salt: str
    secret_hash: str
    created_at: datetime
    revoked: bool = False

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, _hash(self.salt, secret))


def _hash(salt: str, secret: str) -> str:
    # The secret is 256 random bits, so one salted SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_api_key(organizer_id: str, name: str, now: datetime) -> tuple[str, ApiKey]:
    """(the token to hand over once, what is stored)."""
    key_id = "".join(
        secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(12)
    )
    secret, salt = secrets.token_urlsafe(32), secrets.token_hex(16)
    key = ApiKey(
        key_id=key_id,
        organizer_id=organizer_id,
        name=name,
        salt=salt,
        secret_hash=_hash(salt, secret),
        created_at=now,
    )
    return f"cnk_{key_id}_{secret}", key


def parse_token(token: str) -> tuple[str, str] | None:
    match = _TOKEN.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


class SceneCreate(BaseModel):
    """POST /v1/scenes: an organizer's new scene."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    scene_id: str | None = Field(
        default=None, pattern=SCENE_ID_PATTERN, description="Chosen id; generated if absent"
    )
    kind: SceneKind
    name: LocalizedText
    city: LocalizedText
    country: CountryCode = "CN"
    lat: Latitude
    lon: Longitude
    airport: AirportCode | None = Field(default=None, description="Nearest airport (IATA)")
    starts_on: date | None = None
    ends_on: date | None = None
    radiative_forcing: bool = True
    well_to_tank: bool = Field(default=True, description="Lines include their fuel's well-to-tank part")
    flight_method: Literal["cn", "desnz"] = Field(
        default="cn", description="Which method counts for flights within China (both are shown)"
    )
    calculator: list[CalculatorField] | None = Field(
        default=None, max_length=13, description="Fields and defaults; the kind's own when absent"
    )
    expected_attendance: int | None = Field(default=None, ge=1, le=MAX_ATTENDANCE)
    per_participant_kg: int | None = Field(default=None, ge=1, le=100_000)
    event_footprint_kg: int | None = Field(default=None, ge=0, le=MAX_DECLARED_KG)

    @model_validator(mode="after")
    def _dates(self) -> SceneCreate:
        check_dates(self.starts_on, self.ends_on)
        return self


class SceneUpdate(BaseModel):
    """PATCH /v1/scenes/{id}: only the fields given change."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: LocalizedText | None = None
    city: LocalizedText | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    radiative_forcing: bool | None = None
    well_to_tank: bool | None = None
    flight_method: Literal["cn", "desnz"] | None = None
    calculator: list[CalculatorField] | None = Field(default=None, max_length=13)
    status: SceneStatus | None = None
    expected_attendance: int | None = Field(default=None, ge=1, le=MAX_ATTENDANCE)
    per_participant_kg: int | None = Field(default=None, ge=1, le=100_000)
    event_footprint_kg: int | None = Field(default=None, ge=0, le=MAX_DECLARED_KG)


def new_scene_id(kind: SceneKind) -> str:
    return f"{kind.value.replace('_', '-')}-{secrets.token_hex(4)}"


def apply_update(scene: Scene, changes: SceneUpdate) -> Scene:
    """The scene with the changes applied; a change that contradicts what stays is a 422."""
    updated = {**scene.model_dump(by_alias=True), **changes.model_dump(by_alias=True, exclude_none=True)}
    try:
        check_dates(updated.get("starts_on"), updated.get("ends_on"))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="ends_on" if changes.ends_on else "starts_on") from exc
    return Scene.model_validate(updated)


class OrganizerStore(Protocol):
    """What organizing needs of storage (implemented in store.organizers)."""

    def create_scene(self, scene: Scene) -> None: ...
    def replace_scene(self, scene: Scene, organizer_id: str) -> None: ...
    def scene_ids(self, organizer_id: str) -> list[str]: ...


class EventCertificateStore(Protocol):
    """Scenes' signed event certificates (implemented in store.event_certificates)."""

    def current(self, scene_id: str) -> dict[str, Any] | None: ...
    def issue(self, scene_id: str, signed: dict[str, Any], previous: str | None) -> bool: ...


class SceneFigures(Protocol):
    """A scene's figures on the boards (implemented in store.leaderboards)."""

    def scene_totals(self, scene_id: str) -> dict[str, int]: ...
    def top(self, board: str, entity: str, period: str, limit: int) -> list[Entry]: ...
    def held(self, scene_id: str) -> list[dict[str, Any]]: ...
    def accept_held(self, scene_id: str, order_id: str) -> bool: ...


@dataclass(frozen=True)
class SceneReport:
    """What an organizer follows: the scene, its footprint and neutralization totals, its rating, its top."""

    scene: Scene
    totals: dict[str, int]
    rating: Rating
    top_individuals: list[Entry]
    top_organizations: list[Entry]


class OrganizerService:
    """Organizers' scenes: created, changed and closed only by their own organizer, and their figures."""

    def __init__(
        self,
        scenes: SceneRepository,
        organizers: OrganizerStore,
        figures: SceneFigures,
        certificates: EventCertificateStore | None = None,
        signing_key: Callable[[], Any] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._scenes, self._organizers, self._figures = scenes, organizers, figures
        self._certificates, self._signing_key, self._clock = certificates, signing_key, clock

    def create_scene(self, request: SceneCreate, organizer_id: str) -> Scene:
        calculator = request.calculator or default_calculator(
            request.kind,
            airport=request.airport,
            country=request.country,
            starts_on=request.starts_on,
            ends_on=request.ends_on,
        )
        fields = request.model_dump(exclude={"calculator", "scene_id"})
        scene = Scene(
            scene_id=request.scene_id or new_scene_id(request.kind),
            organizer_id=organizer_id,
            calculator=calculator,
            **fields,
        )
        self._organizers.create_scene(scene)
        return scene

    def owned(self, scene_id: str, organizer_id: str) -> Scene:
        """The organizer's own scene: another organizer's is a 403, a missing one a 404."""
        scene = self._scenes.get(scene_id)
        if scene is None:
            raise NotFound(f"no scene {scene_id!r}")
        if scene.organizer_id != organizer_id:
            raise Forbidden("this scene belongs to another organizer")
        return scene

    def update_scene(self, scene_id: str, changes: SceneUpdate, organizer_id: str) -> Scene:
        scene = self.owned(scene_id, organizer_id)
        if scene.status is SceneStatus.closed:
            raise SceneClosed(f"scene {scene_id!r} is closed: its figures and declarations are final")
        updated = apply_update(scene, changes)
        self._refuse_shrinking(scene, updated)
        self._organizers.replace_scene(updated, organizer_id)  # only if it is still theirs, and open
        return updated

    def _refuse_shrinking(self, scene: Scene, updated: Scene) -> None:
        """Once neutralization counts towards the rating, the declarations it is measured against
        may grow but not shrink: a smaller target would raise the rating without a purchase."""
        totals = self._figures.scene_totals(scene.scene_id)
        if not any(totals.get(f"{part}_orders", 0) for part in ("participants", "organizer", "held")):
            return
        for field, before, after in (
            ("expected_attendance", scene.expected_attendance, updated.expected_attendance),
            ("per_participant_kg", scene.participant_estimate_kg(), updated.participant_estimate_kg()),
            ("event_footprint_kg", scene.event_footprint_kg, updated.event_footprint_kg),
        ):
            if before is not None and (after is None or after < before):
                raise DeclarationShrinks(
                    f"{field} may not go below {before} now that neutralization counts towards the rating",
                    field=field,
                )

    def close_scene(self, scene_id: str, organizer_id: str) -> Scene:
        scene = self.owned(scene_id, organizer_id)
        if scene.status is SceneStatus.closed:
            return scene  # closing twice changes nothing
        closed = scene.model_copy(update={"status": SceneStatus.closed})
        self._organizers.replace_scene(closed, organizer_id)
        return closed

    def scenes_of(self, organizer_id: str) -> list[Scene]:
        """The organizer's scenes, newest first."""
        found = [self._scenes.get(scene_id) for scene_id in self._organizers.scene_ids(organizer_id)]
        return [scene for scene in found if scene is not None and scene.organizer_id == organizer_id]

    def report(self, scene_id: str, organizer_id: str) -> SceneReport:
        scene = self.owned(scene_id, organizer_id)
        board = f"scene:{scene_id}"
        totals = self._figures.scene_totals(scene_id)
        return SceneReport(
            scene=scene,
            totals=totals,
            rating=rating(scene, totals),
            top_individuals=self._figures.top(board, "individual", "all", 10),
            top_organizations=self._figures.top(board, "organization", "all", 10),
        )

    def held(self, scene_id: str, organizer_id: str) -> list[dict[str, Any]]:
        """The scene's implausibly large footprint claims, paid for, awaiting the organizer."""
        self.owned(scene_id, organizer_id)
        return self._figures.held(scene_id)

    def accept_held(self, scene_id: str, order_id: str, organizer_id: str) -> None:
        """Counts a held claim towards the rating: the organizer vouches for the footprint."""
        if self.owned(scene_id, organizer_id).status is SceneStatus.closed:
            raise SceneClosed(f"scene {scene_id!r} is closed: its figures are final")
        if not self._figures.accept_held(scene_id, order_id):
            raise NotFound(f"no held claim of order {order_id!r} at scene {scene_id!r}")

    def certify(self, scene_id: str, organizer_id: str, issuer: str) -> tuple[dict[str, Any], bool]:
        """(the scene's signed event certificate, whether it is new). The current one while the
        figures are the same; a new one, superseding it, once they changed. A scene that has not
        reached a level (or declared nothing) has none: a 409 saying so."""
        from carbonneutral.domain.certificates import (
            EventCertificate,
            event_certificate_for,
            new_certificate_id,
        )

        assert self._certificates is not None and self._signing_key is not None
        scene = self.owned(scene_id, organizer_id)
        rated = rating(scene, self._figures.scene_totals(scene_id))
        if not rated.declared or rated.level == "none":
            raise NotRated(
                f"scene {scene_id!r} has not reached a level: {rated.share:.0%} of its target is neutralized"
                if rated.declared
                else f"scene {scene_id!r} declares no expected attendance and event footprint to rate against"
            )
        for _ in range(3):
            current = self._certificates.current(scene_id)
            now = self._clock()
            key = self._signing_key()
            draft = event_certificate_for(
                scene,
                rated,
                certificate_id=new_certificate_id(),
                supersedes=current["certificate_id"] if current else None,
                issued_on=now.date(),
                issued_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                issuer=issuer,
                kid=key.kid,
            )
            before = (
                EventCertificate.model_validate({k: v for k, v in current.items() if k != "signature"})
                if current is not None
                else None
            )
            if (
                current is not None
                and before is not None
                and before.figures() == draft.figures()
                and (scene.starts_on is None or before.period == draft.period)
            ):
                return current, False
            document = draft.document()
            signed = {**document, "signature": key.sign(document)}
            if self._certificates.issue(scene_id, signed, draft.supersedes):
                return signed, True
        raise Busy("the scene's certificate changed meanwhile; try again")
