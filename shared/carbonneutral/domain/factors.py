"""Emission factor sets: versioned, dated data shipped in the layer.

A footprint names the factor-set version it was computed with and stores its own result,
so publishing a new set never changes a stored footprint.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

_PACKAGE = "carbonneutral.data.factors"


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)

    publisher: str
    title: str
    year: int
    licence: str
    url: str | None = None


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: Decimal = Field(ge=0)
    unit: str
    source: str  # key into FactorSet.sources
    table: str
    note: str | None = None


class FactorSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    published: str
    description: str
    sources: dict[str, Source]
    factors: dict[str, Factor]
    parameters: dict[str, Decimal] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sources_exist(self) -> FactorSet:
        missing = {f.source for f in self.factors.values()} - set(self.sources)
        if missing:
            raise ValueError(f"factors cite unknown sources: {sorted(missing)}")
        return self

    def factor(self, key: str) -> Factor:
        return self.factors[key]

    def has(self, key: str) -> bool:
        return key in self.factors

    def parameter(self, key: str) -> Decimal:
        return self.parameters[key]

    def source_of(self, factor: Factor) -> Source:
        return self.sources[factor.source]


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
