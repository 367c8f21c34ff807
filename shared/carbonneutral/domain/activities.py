"""The activities a footprint is made of: the request contract, validated by pydantic.

Bounds are generous for real use and refuse absurd input (a trip longer than any route on
Earth, a billion meals) so that a typo or an attack cannot produce a meaningless footprint.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from carbonneutral.domain.geo import find_airport

Km = Annotated[float, Field(gt=0, le=50_000, allow_inf_nan=False, description="Distance in km")]
Count = Annotated[int, Field(ge=1, le=10_000)]


class Cabin(StrEnum):
    economy = "economy"
    premium_economy = "premium_economy"
    business = "business"
    first = "first"


class Diet(StrEnum):
    meat_heavy = "meat_heavy"
    meat = "meat"
    low_meat = "low_meat"
    pescatarian = "pescatarian"
    vegetarian = "vegetarian"
    vegan = "vegan"


class _Activity(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Flight(_Activity):
    type: Literal["flight"]
    origin: str = Field(alias="from", pattern=r"^[A-Za-z]{3}$", description="IATA airport code")
    destination: str = Field(alias="to", pattern=r"^[A-Za-z]{3}$", description="IATA airport code")
    cabin: Cabin = Cabin.economy
    round_trip: bool = False
    passengers: int = Field(default=1, ge=1, le=500)

    @field_validator("origin", "destination")
    @classmethod
    def _known_airport(cls, code: str) -> str:
        code = code.upper()
        if not code.isalpha() or find_airport(code) is None:
            raise ValueError(f"unknown IATA airport code {code!r}")
        return code

    @model_validator(mode="after")
    def _distinct_airports(self) -> Flight:
        if self.origin == self.destination:
            raise ValueError("'from' and 'to' must be different airports")
        return self


class Rail(_Activity):
    type: Literal["rail"]
    km: Km
    service: Literal["high_speed", "national", "international", "light_rail"] = "national"
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    passengers: int = Field(default=1, ge=1, le=500)


class Car(_Activity):
    type: Literal["car"]
    km: Km
    fuel: Literal["petrol", "diesel", "hybrid", "plug_in_hybrid", "electric", "unknown"] = "unknown"
    passengers: int = Field(default=1, ge=1, le=9, description="People sharing the car; each is counted once")
    round_trip: bool = False


class Bus(_Activity):
    type: Literal["bus"]
    km: Km
    service: Literal["local", "coach"] = "local"
    passengers: int = Field(default=1, ge=1, le=500)
    round_trip: bool = False


class Taxi(_Activity):
    type: Literal["taxi"]
    km: Km
    passengers: int = Field(default=1, ge=1, le=8)
    round_trip: bool = False


class Metro(_Activity):
    type: Literal["metro"]
    km: Km
    passengers: int = Field(default=1, ge=1, le=500)
    round_trip: bool = False


class Motorcycle(_Activity):
    type: Literal["motorcycle"]
    km: Km
    round_trip: bool = False


class Hotel(_Activity):
    type: Literal["hotel"]
    nights: int = Field(ge=1, le=366)
    rooms: int = Field(default=1, ge=1, le=1000)
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")


class Meal(_Activity):
    type: Literal["meal"]
    count: Count
    diet: Diet = Diet.meat


class Electricity(_Activity):
    type: Literal["electricity"]
    kwh: float = Field(gt=0, le=10_000_000, allow_inf_nan=False)
    grid: str = Field(
        default="CN", description="Grid region: CN, a regional grid such as CN-SW, or a country"
    )


class Gas(_Activity):
    type: Literal["gas"]
    fuel: Literal["natural_gas", "lpg"] = "natural_gas"
    amount: float = Field(gt=0, le=10_000_000, allow_inf_nan=False)
    unit: Literal["m3", "kwh", "kg", "litre"] = "m3"

    @model_validator(mode="after")
    def _unit_fits_fuel(self) -> Gas:
        allowed = {"natural_gas": {"m3", "kwh"}, "lpg": {"kg", "litre"}}[self.fuel]
        if self.unit not in allowed:
            raise ValueError(f"unit {self.unit!r} does not fit {self.fuel}; use one of {sorted(allowed)}")
        return self


class DietPeriod(_Activity):
    """A person's diet over a number of days (the life footprint)."""

    type: Literal["diet"]
    diet: Diet = Diet.meat
    days: int | None = Field(default=None, ge=1, le=366, description="Defaults to the footprint's period")


class Shopping(_Activity):
    """Everyday spending, estimated from an economy-wide average intensity."""

    type: Literal["shopping"]
    spend_cny: Decimal = Field(gt=0, le=Decimal(100_000_000), max_digits=14, decimal_places=2)


Activity = Annotated[
    Flight
    | Rail
    | Car
    | Bus
    | Taxi
    | Metro
    | Motorcycle
    | Hotel
    | Meal
    | Electricity
    | Gas
    | DietPeriod
    | Shopping,
    Field(discriminator="type"),
]

ACTIVITY_TYPES: tuple[str, ...] = (
    "flight",
    "rail",
    "car",
    "bus",
    "taxi",
    "metro",
    "motorcycle",
    "hotel",
    "meal",
    "electricity",
    "gas",
    "diet",
    "shopping",
)
# A diet over days belongs to the life footprint; a scene counts meals instead.
SCENE_ACTIVITY_TYPES = frozenset(ACTIVITY_TYPES) - {"diet"}
LIFE_ACTIVITY_TYPES = frozenset(ACTIVITY_TYPES)
