"""Public API view models: what clients see, mapped explicitly from domain models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from carbonneutral.domain.scenes import CalculatorField, LocalizedText, Scene, SceneKind


class SceneOut(BaseModel):
    scene_id: str
    kind: SceneKind
    name: LocalizedText
    city: LocalizedText
    country: str
    lat: float
    lon: float
    airport: str | None
    starts_on: str | None
    ends_on: str | None
    status: str
    radiative_forcing: bool
    calculator: list[CalculatorField] = Field(
        description="The activities the scene's calculator asks for, with defaults"
    )
    page_url: str

    @classmethod
    def of(cls, scene: Scene, base_url: str) -> SceneOut:
        return cls(
            scene_id=scene.scene_id,
            kind=scene.kind,
            name=scene.name,
            city=scene.city,
            country=scene.country,
            lat=scene.lat,
            lon=scene.lon,
            airport=scene.airport,
            starts_on=scene.starts_on.isoformat() if scene.starts_on else None,
            ends_on=scene.ends_on.isoformat() if scene.ends_on else None,
            status=scene.status,
            radiative_forcing=scene.radiative_forcing,
            calculator=scene.calculator,
            page_url=f"{base_url}/s/{scene.scene_id}",
        )


class SceneList(BaseModel):
    items: list[SceneOut]
    cursor: str | None = Field(default=None, description="Pass as ?cursor= to get the next page")
