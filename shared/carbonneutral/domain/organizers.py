"""Organizers: API keys (kept only as hashes) and the scenes they create and change."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from carbonneutral.domain.scenes import (
    SCENE_ID_PATTERN,
    CalculatorField,
    LocalizedText,
    Scene,
    SceneKind,
    check_dates,
)
from carbonneutral.errors import InvalidInput

ORGANIZER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
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
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    airport: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    starts_on: date | None = None
    ends_on: date | None = None
    radiative_forcing: bool = True
    calculator: list[CalculatorField] | None = Field(
        default=None, max_length=13, description="Fields and defaults; the kind's own when absent"
    )

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
    calculator: list[CalculatorField] | None = Field(default=None, max_length=13)
    status: str | None = Field(default=None, pattern=r"^(open|closed)$")


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
