"""Emission factor sets: versioned, dated data shipped in the layer.

A footprint names the factor-set version it was computed with and stores its own result,
so publishing a new set never changes a stored footprint.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_PACKAGE = "carbonneutral.data.factors"
# The calculation method this code implements. A factor set of an older method is kept for the
# footprints stored with it (they keep their own results) and is not used for new ones.
METHOD = 2

Basis = Literal["CO2", "CO2e"]


class Boundary(StrEnum):
    """What a factor counts, from the narrowest to the widest."""

    combustion = "combustion"  # fuel burnt in the vehicle or boiler (tank-to-wheel)
    generation = "generation"  # CO2 of generating the electricity (power plants' fuel)
    operational = "operational"  # a building's energy use per stay
    full_process = "full_process"  # operation plus stations, maintenance and the energy chain
    life_cycle = "life_cycle"  # cradle to plate: farming, processing, transport
    economy_wide = "economy_wide"  # a whole economy's emissions per unit of spending
    energy = "energy"  # energy per unit of activity; emissions come from the grid it draws


# Boundaries whose figure already counts the fuel chain upstream, so no well-to-tank part is added.
UPSTREAM_WITHIN = frozenset({Boundary.full_process, Boundary.life_cycle, Boundary.economy_wide})


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)

    publisher: str
    title: str
    year: int
    licence: str
    url: str | None = None


class Upstream(BaseModel):
    """The well-to-tank part of a factor: extracting, refining and delivering the fuel."""

    model_config = ConfigDict(frozen=True)

    value: Decimal = Field(ge=0, description="Per the same unit as the factor")
    source: str
    table: str
    note: str | None = None


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: Decimal = Field(ge=0)
    unit: str
    source: str  # key into FactorSet.sources
    table: str
    note: str | None = None
    basis: Basis | None = Field(default=None, description="Gases counted: CO2 only, or CO2e (method 2 on)")
    boundary: Boundary | None = Field(default=None, description="What the factor counts (method 2 on)")
    wtt: Upstream | None = Field(default=None, description="Its well-to-tank part, where one is published")
    year: int | None = Field(default=None, description="The year the figure describes, where it differs")

    def gases(self) -> Basis:
        return self.basis or ("CO2e" if "CO2e" in self.unit else "CO2")


class FactorSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    published: str
    description: str
    method: int = Field(default=1, description="The calculation method the set is made for")
    methodology: str | None = Field(default=None, description="Where the method is explained")
    sources: dict[str, Source]
    factors: dict[str, Factor]
    parameters: dict[str, Decimal] = Field(default_factory=dict)
    parameter_notes: dict[str, str] = Field(
        default_factory=dict, description="Where each parameter comes from"
    )

    @model_validator(mode="after")
    def _sources_exist(self) -> FactorSet:
        cited = {f.source for f in self.factors.values()} | {
            f.wtt.source for f in self.factors.values() if f.wtt
        }
        missing = cited - set(self.sources)
        if missing:
            raise ValueError(f"factors cite unknown sources: {sorted(missing)}")
        return self

    def factor(self, key: str) -> Factor:
        return self.factors[key]

    def has(self, key: str) -> bool:
        return key in self.factors

    def parameter(self, key: str) -> Decimal:
        return self.parameters[key]

    def source_of(self, factor: Factor | Upstream) -> Source:
        return self.sources[factor.source]

    def grids(self) -> list[str]:
        return sorted(k.removeprefix("electricity.") for k in self.factors if k.startswith("electricity."))


def available_versions() -> list[str]:
    names = [p.name for p in resources.files(_PACKAGE).iterdir() if p.name.endswith(".json")]
    return sorted((n.removesuffix(".json") for n in names), key=_version_key)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@cache
def load_factor_set(version: str | None = None) -> FactorSet:
    """The named factor set, or the newest shipped one."""
    versions = available_versions()
    chosen = version or versions[-1]
    if chosen not in versions:
        raise KeyError(f"unknown factor set {chosen!r}; shipped: {versions}")
    text = resources.files(_PACKAGE).joinpath(f"{chosen}.json").read_text(encoding="utf-8")
    factor_set = FactorSet.model_validate(json.loads(text))
    if factor_set.version != chosen:
        raise ValueError(f"factor set file {chosen}.json declares version {factor_set.version}")
    return factor_set
