"""Places a person picks by name instead of typing coordinates: China's provincial capitals
(data/places/cn_capitals.json, from GeoNames, with its source and licence)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class City:
    city_id: str
    province: str  # ISO 3166-2:CN, e.g. CN-SC
    name: dict[str, str]  # zh-CN and en
    province_name: dict[str, str]
    lat: float
    lon: float

    def label(self, lang: str) -> str:
        key = "zh-CN" if lang.lower().startswith("zh") else "en"
        return f"{self.name[key]} · {self.province_name[key]}"


@cache
def capitals() -> tuple[City, ...]:
    text = (
        resources.files("carbonneutral.data.places").joinpath("cn_capitals.json").read_text(encoding="utf-8")
    )
    return tuple(
        City(c["id"], c["province"], c["name"], c["province_name"], float(c["lat"]), float(c["lon"]))
        for c in json.loads(text)["cities"]
    )


def city(city_id: str) -> City | None:
    return next((c for c in capitals() if c.city_id == city_id), None)
