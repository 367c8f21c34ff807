"""Scenes: the places and events people neutralize at, and what their calculators ask."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from carbonneutral.domain.activities import SCENE_ACTIVITY_TYPES

SCENE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"


def is_scene_id(value: str) -> bool:
    return re.fullmatch(SCENE_ID_PATTERN, value) is not None


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


class LocalizedText(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="forbid")

    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    def get(self, lang: str) -> str:
        return self.zh_cn if lang.lower().startswith("zh") else self.en


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

    scene_id: str = Field(pattern=SCENE_ID_PATTERN)
    kind: SceneKind
    name: LocalizedText
    city: LocalizedText
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    airport: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="Nearest airport (IATA)")
    starts_on: date | None = None
    ends_on: date | None = None
    status: str = Field(default="open", pattern=r"^(open|closed)$")
    radiative_forcing: bool = Field(default=True, description="Flights include radiative forcing")
    organizer_id: str | None = None
    calculator: list[CalculatorField] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Scene:
        check_dates(self.starts_on, self.ends_on)
        return self

    def allowed_activities(self) -> frozenset[str]:
        return frozenset(f.type for f in self.calculator) or frozenset(KIND_ACTIVITIES[self.kind])


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValueError("ends_on is before starts_on")


def default_calculator(
    kind: SceneKind, *, airport: str | None, country: str, starts_on: date | None, ends_on: date | None
) -> list[CalculatorField]:
    """Sensible defaults from the scene itself: its airport, its country, its dates."""
    days = (ends_on - starts_on).days + 1 if starts_on and ends_on else 1
    defaults: dict[str, dict[str, Any]] = {
        "flight": {"to": airport, "cabin": "economy", "round_trip": True}
        if airport
        else {"round_trip": True},
        "rail": {"service": "high_speed", "country": country},
        "car": {"fuel": "petrol", "passengers": 1, "round_trip": True},
        "bus": {"service": "coach" if kind in (SceneKind.scenic_spot, SceneKind.conference) else "local"},
        "taxi": {"passengers": 1},
        "metro": {"round_trip": True},
        "hotel": {"nights": max(days - 1, 1), "country": country},
        "meal": {"count": 3 * days if kind is not SceneKind.restaurant else 1, "diet": "meat"},
        "electricity": {"grid": country},
    }
    return [CalculatorField(type=t, defaults=defaults.get(t, {})) for t in KIND_ACTIVITIES[kind]]
