"""Airports and great-circle distances."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

EARTH_MEAN_RADIUS_KM = 6371.0088  # IUGG mean radius


@dataclass(frozen=True)
class Airport:
    iata: str
    name: str
    city: str
    country: str
    lat: float
    lon: float


@cache
def _airports() -> dict[str, Any]:
    # Loaded on first use only: calculating a footprint without a flight never pays for it.
    import airportsdata

    return dict(airportsdata.load("IATA"))


def find_airport(code: str) -> Airport | None:
    return _airport(code.upper())


@lru_cache(maxsize=8192)  # every airport there is: each is built once, then shared (frozen)
def _airport(code: str) -> Airport | None:
    row = _airports().get(code)
    if row is None:
        return None
    return Airport(
        iata=str(row["iata"]),
        name=str(row["name"]),
        city=str(row["city"]),
        country=str(row["country"]),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
    )


@cache
def _countries() -> frozenset[str]:
    return frozenset(str(row["country"]) for row in _airports().values())


def known_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code of a country with an airport (every country has one)."""
    return code in _countries()


@lru_cache(maxsize=8192)
def airports_km(origin: str, destination: str) -> float | None:
    """The great-circle distance between two airports by their codes (None for an unknown code),
    worked out once per pair: the request's check and the calculator both ask for it."""
    a, b = find_airport(origin), find_airport(destination)
    return great_circle_km(a.lat, a.lon, b.lat, b.lon) if a and b else None


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of the Earth's mean radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
