"""Places a person picks by name instead of typing codes, coordinates or kilometres: China's cities
(data/places/cn_cities.json, from GeoNames) and airports (data/places/cn_airports.json), each with
its source; and the distance by road or rail between two cities.

A trip between two cities by rail, car or coach is their great-circle distance times a detour factor
for the mode: what a track or a road adds to the straight line. The factors are GES 1point5's
(Mariette et al. 2022, "An open-source tool to assess the carbon footprint of research", Environ.
Res.: Infrastruct. Sustain. 2 035008): 1.2 for rail, 1.5 for road (GES 1point5's figure for the
bus, used here for every road vehicle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

from carbonneutral.domain.geo import great_circle_km

DETOUR = {"rail": Decimal("1.2"), "road": Decimal("1.5")}
DETOUR_SOURCE = "GES 1point5 (Mariette et al. 2022, Environ. Res.: Infrastruct. Sustain. 2 035008)"


def lang_key(lang: str) -> str:
    """The key of a name in a page's language: zh-CN for any Chinese, en otherwise."""
    return "zh-CN" if lang.lower().startswith("zh") else "en"


@dataclass(frozen=True)
class City:
    city_id: str
    province: str  # ISO 3166-2:CN, e.g. CN-SC
    name: dict[str, str]  # zh-CN and en
    province_name: dict[str, str]
    lat: float
    lon: float
    capital: bool = False

    def label(self, lang: str) -> str:
        key = lang_key(lang)
        return f"{self.name[key]} · {self.province_name[key]}"


@dataclass(frozen=True)
class AirportName:
    iata: str
    name: dict[str, str]
    city: dict[str, str]

    def label(self, lang: str) -> str:
        """What a picker shows and a form sends back: '成都天府国际机场 TFU'."""
        return f"{self.name[lang_key(lang)]} {self.iata}"

    def words(self) -> tuple[str, ...]:
        return (self.iata, *self.name.values(), *self.city.values())


def _read(name: str) -> dict[str, object]:
    text = resources.files("carbonneutral.data.places").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


@cache
def cities() -> tuple[City, ...]:
    rows = _read("cn_cities.json")["cities"]
    assert isinstance(rows, list)
    return tuple(
        City(
            c["id"],
            c["province"],
            c["name"],
            c["province_name"],
            float(c["lat"]),
            float(c["lon"]),
            bool(c["capital"]),
        )
        for c in rows
    )


def capitals() -> tuple[City, ...]:
    return tuple(c for c in cities() if c.capital)


def city(city_id: str) -> City | None:
    return _cities_by_id().get(city_id)


@cache
def _cities_by_id() -> dict[str, City]:
    return {c.city_id: c for c in cities()}


def find_city(text: str) -> City | None:
    """A city by its id or its name in either language ('成都', '成都市', 'Chengdu', 'chengdu')."""
    wanted = " ".join(text.split()).casefold().removesuffix("市")
    wanted = wanted.split(" · ")[0]  # a picker's label: '成都 · 四川省'
    return next(
        (c for c in cities() if wanted in {c.city_id, *(n.casefold() for n in c.name.values())}),
        None,
    )


@cache
def airports() -> tuple[AirportName, ...]:
    rows = _read("cn_airports.json")["airports"]
    assert isinstance(rows, list)
    return tuple(AirportName(a["iata"], a["name"], a["city"]) for a in rows)


def search_airports(text: str) -> tuple[AirportName, ...]:
    """The airports a name finds: a code, a picker's label, a city or an airport's name or part of one
    in Chinese or English ('北京' finds PEK and PKX, '成都天府' TFU, 'Beijing' both of Beijing's)."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return ()
    exact = [a for a in airports() if wanted in {a.iata.casefold(), *(a.label(k).casefold() for k in a.name)}]
    if exact:
        return tuple(exact)
    wanted = wanted.removesuffix("市")
    return tuple(a for a in airports() if any(wanted in w.casefold() for w in a.words()))


@dataclass(frozen=True)
class Route:
    """Two cities, the straight line between them and the distance the mode travels."""

    origin: City
    destination: City
    great_circle_km: Decimal
    detour: Decimal
    km: Decimal


def route(origin: City, destination: City, mode: str) -> Route:
    factor = DETOUR["rail" if mode == "rail" else "road"]
    gc = Decimal(str(round(great_circle_km(origin.lat, origin.lon, destination.lat, destination.lon), 1)))
    return Route(origin, destination, gc, factor, (gc * factor).quantize(Decimal("0.1")))
