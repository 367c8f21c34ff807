"""Scenes: the places and events people neutralize at, and what their calculators ask."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from carbonneutral.domain.activities import SCENE_ACTIVITY_TYPES
from carbonneutral.domain.types import (
    SCENE_ID_PATTERN,
    AirportCode,
    CountryCode,
    Latitude,
    LocalizedText,
    Longitude,
    SceneId,
)


def is_scene_id(value: str) -> bool:
    return re.fullmatch(SCENE_ID_PATTERN, value) is not None


class SceneStatus(StrEnum):
    open = "open"  # takes footprints and orders
    closed = "closed"  # its figures are final


class SceneKind(StrEnum):
    conference = "conference"
    scenic_spot = "scenic_spot"
    supermarket = "supermarket"
    restaurant = "restaurant"
    hotel = "hotel"
    other = "other"


# What each kind's calculator shows, in order: how people get there and what they use there.
KIND_ACTIVITIES: dict[SceneKind, tuple[str, ...]] = {
    SceneKind.conference: ("flight", "rail", "car", "bus", "taxi", "metro", "hotel", "meal"),
    SceneKind.scenic_spot: ("flight", "rail", "car", "bus", "taxi", "hotel", "meal"),
    SceneKind.supermarket: ("car", "bus", "metro", "taxi", "shopping"),
    SceneKind.restaurant: ("car", "taxi", "metro", "bus", "meal"),
    SceneKind.hotel: ("flight", "rail", "car", "taxi", "hotel", "meal"),
    SceneKind.other: ("flight", "rail", "car", "bus", "taxi", "metro", "hotel", "meal", "electricity"),
}


# What one participant of a scene of each kind plausibly emits getting there and being there (kg
# CO2e), when its organizer declares no figure of their own: the denominator of the participants'
# part of the rating, and the yardstick of what counts as an implausible footprint.
PER_PARTICIPANT_KG: dict[SceneKind, int] = {
    SceneKind.conference: 300,
    SceneKind.scenic_spot: 150,
    SceneKind.supermarket: 5,
    SceneKind.restaurant: 10,
    SceneKind.hotel: 120,
    SceneKind.other: 100,
}
# A footprint more than this many times the per-participant estimate counts towards the rating only
# once the scene's organizer accepts it.
PLAUSIBLE_MULTIPLE = 10
MAX_ATTENDANCE = 10_000_000
MAX_DECLARED_KG = 1_000_000_000  # 1 Mt


class CalculatorField(BaseModel):
    """One activity the scene's calculator shows, with values filled in for the visitor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    defaults: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in SCENE_ACTIVITY_TYPES:
            raise ValueError(f"unknown scene activity type {value!r}")
        return value


class Scene(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    scene_id: SceneId
    kind: SceneKind
    name: LocalizedText
    city: LocalizedText
    country: CountryCode = "CN"
    lat: Latitude
    lon: Longitude
    airport: AirportCode | None = Field(default=None, description="Nearest airport (IATA)")
    starts_on: date | None = None
    ends_on: date | None = None
    status: SceneStatus = SceneStatus.open
    radiative_forcing: bool = Field(default=True, description="Flights include radiative forcing")
    well_to_tank: bool = Field(
        default=True, description="Lines include their fuel's well-to-tank part where it is published"
    )
    flight_method: Literal["cn", "desnz"] = Field(
        default="cn",
        description="Which method counts for flights within China (both are shown): cn, Chinese carriers' "
        "measured CO2 per passenger-km; desnz, the UK government's factor",
    )
    organizer_id: str | None = None
    calculator: list[CalculatorField] = Field(default_factory=list)
    expected_attendance: int | None = Field(
        default=None, ge=1, le=MAX_ATTENDANCE, description="How many participants the organizer expects"
    )
    per_participant_kg: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="The organizer's estimate of one participant's footprint (kg); the kind's own when absent",
    )
    event_footprint_kg: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DECLARED_KG,
        description="The event's own footprint (venue, energy, materials) in kg, as the organizer declares it",
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Scene:
        check_dates(self.starts_on, self.ends_on)
        return self

    def participant_estimate_kg(self) -> int:
        return self.per_participant_kg or PER_PARTICIPANT_KG[self.kind]

    def plausible_g(self) -> int:
        """The largest footprint that counts towards the rating without the organizer's acceptance."""
        return self.participant_estimate_kg() * PLAUSIBLE_MULTIPLE * 1000

    def allowed_activities(self) -> frozenset[str]:
        return frozenset(f.type for f in self.calculator) or frozenset(KIND_ACTIVITIES[self.kind])


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValueError("ends_on is before starts_on")


def default_calculator(
    kind: SceneKind, *, airport: str | None, country: str, starts_on: date | None, ends_on: date | None
) -> list[CalculatorField]:
    """Sensible defaults from the scene itself: its airport, its country. Quantities stay empty, so
    nothing is counted that the visitor did not say, except a restaurant's one meal, which is the
    point of being there (an organizer can set other defaults; the visitor sees and changes them)."""
    defaults: dict[str, dict[str, Any]] = {
        "flight": {"to": airport, "cabin": "economy", "round_trip": True}
        if airport
        else {"round_trip": True},
        "rail": {"service": "high_speed", "country": country},
        "car": {"fuel": "petrol", "occupants": 1, "round_trip": True},
        "bus": {"service": "coach" if kind in (SceneKind.scenic_spot, SceneKind.conference) else "local"},
        "taxi": {"occupants": 1},
        "metro": {"round_trip": True},
        "hotel": {"country": country},
        "meal": {"count": 1, "diet": "meat"} if kind is SceneKind.restaurant else {"diet": "meat"},
        "electricity": {"grid": country},
    }
    return [CalculatorField(type=t, defaults=defaults.get(t, {})) for t in KIND_ACTIVITIES[kind]]
