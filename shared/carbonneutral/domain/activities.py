"""The activities a footprint is made of: the request contract, validated by pydantic.

Bounds are generous for real use and refuse absurd input (a trip longer than any route on
Earth, a billion meals) so that a typo or an attack cannot produce a meaningless footprint.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from carbonneutral.domain import places
from carbonneutral.domain.geo import airports_km, find_airport

MIN_FLIGHT_KM = 1.0  # two codes closer than this name one airport (BSL and MLH are EuroAirport)
Km = Annotated[float, Field(gt=0, le=50_000, allow_inf_nan=False, description="Distance in km")]
Count = Annotated[int, Field(ge=1, le=10_000)]

# A footprint is one person's unless the request says how many travellers a line covers.
Travellers = Annotated[
    int,
    Field(
        ge=1,
        le=500,
        description="How many people this line counts (default 1: a footprint is per person). "
        "Emissions are multiplied by it.",
        examples=[2],
    ),
]
# The grid whose electricity an electric vehicle, metro or train draws, as a factor-set key.
Grid = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2}(-[A-Z]{1,2})?$",
        description="Electricity grid: CN (national), a regional grid such as CN-SW, or a province such as "
        "CN-SC; see the factor set's electricity.* keys",
        examples=["CN-SC"],
    ),
]
LEGACY_PASSENGERS = (
    "passengers was retired with factor set 2025.2 because it meant opposite things: use travellers "
    "(how many people this line counts) and, for a car, taxi or motorcycle, occupants (how many people "
    "share the vehicle)"
)


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


class _Travel(_Activity):
    """Travel: per person by default; `travellers` counts a group on one line.

    Footprints stored under factor set 2025.1 carry `passengers`, read back as they were stored: on
    a flight, train, bus or metro it multiplied the line (travellers); on a car or taxi it divided the
    vehicle among its occupants. New requests are refused it.
    """

    travellers: Travellers = 1
    passengers: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="Factor set 2025.1 only, in stored footprints: travellers on a flight, train, bus or "
        "metro, occupants of a car or taxi. Refused on new footprints.",
        json_schema_extra={"deprecated": True},
        exclude_if=lambda value: value is None,
    )

    @model_validator(mode="before")
    @classmethod
    def _read_2025_1(cls, data: Any, info: ValidationInfo) -> Any:
        """A stored 2025.1 line states its passengers' meaning in the explicit fields as well."""
        if isinstance(data, dict) and data.get("passengers") and (info.context or {}).get("stored"):
            explicit = "occupants" if data.get("type") in {"car", "taxi"} else "travellers"
            data = {explicit: data["passengers"], **data}
        return data

    @field_validator("passengers")
    @classmethod
    def _retired(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and not (info.context or {}).get("stored"):
            raise ValueError(LEGACY_PASSENGERS)
        return value

    def people(self) -> tuple[int, int]:
        """(travellers, occupants): how many the line counts, and how many share the vehicle."""
        return self.travellers, self.__dict__.get("occupants", 1)  # a field only of shared vehicles


class _SharedVehicle(_Travel):
    """A vehicle shared by its occupants: each occupant's share is the vehicle's emissions divided by
    how many they are; `travellers` of them are counted on this line."""

    @field_validator("occupants", check_fields=False)
    @classmethod
    def _travellers_ride_in_it(cls, occupants: int, info: ValidationInfo) -> int:
        travellers = info.data.get("travellers", 1)
        if travellers > occupants:
            raise ValueError(
                f"travellers ({travellers}) cannot exceed the occupants of the vehicle ({occupants})"
            )
        return occupants


class _Routed(_Travel):
    """A trip by road or rail given as its km, or as the two cities it runs between: then its km is
    their great-circle distance times the mode's detour factor (domain/places.py)."""

    _detour_mode: ClassVar[str] = "road"
    origin: str | None = Field(
        default=None,
        alias="from",
        description="Where the trip starts: a city of mainland China by id or name (成都, Chengdu, "
        "chengdu); with `to`, instead of km",
        examples=["chengdu"],
        exclude_if=lambda value: value is None,
    )
    destination: str | None = Field(
        default=None,
        alias="to",
        description="Where the trip ends, like `from`",
        examples=["chongqing"],
        exclude_if=lambda value: value is None,
    )

    @field_validator("origin", "destination")
    @classmethod
    def _known_city(cls, name: str | None, info: ValidationInfo) -> str | None:
        if name is None:
            return None
        found = places.find_city(name)
        if found is None:
            raise ValueError(f"{name!r} is not a city this calculator knows: give the distance in km instead")
        if info.field_name == "destination" and found.city_id == info.data.get("origin"):
            raise ValueError("'from' and 'to' are the same city: give the distance in km instead")
        return found.city_id

    @field_validator("km", mode="after", check_fields=False)
    @classmethod
    def _distance(cls, km: float | None, info: ValidationInfo) -> float | None:
        if (info.context or {}).get("stored") or "origin" not in info.data or "destination" not in info.data:
            return km  # stored as made; or a city was refused, which its own error says
        origin, destination = info.data["origin"], info.data["destination"]
        if origin is None and destination is None:
            if km is None:
                raise ValueError("give the distance in km, or the cities the trip runs between (from and to)")
            return km
        if origin is None or destination is None:
            raise ValueError("a trip between two cities needs both 'from' and 'to'")
        if km is not None:
            raise ValueError("give either km or 'from' and 'to', not both")
        a, b = places.city(origin), places.city(destination)
        assert a and b  # validated above
        return float(places.route(a, b, cls._detour_mode).km)

    def kilometres(self) -> float:
        km = getattr(self, "km", None)
        assert km is not None  # set by validation, from the cities when not given
        return float(km)

    def route(self) -> places.Route | None:
        a, b = places.city(self.origin or ""), places.city(self.destination or "")
        return places.route(a, b, self._detour_mode) if a and b else None


RouteKm = Annotated[Km | None, Field(validate_default=True, description="Distance in km (or from and to)")]


class Flight(_Travel):
    type: Literal["flight"]
    origin: str = Field(alias="from", pattern=r"^[A-Za-z]{3}$", description="IATA airport code")
    destination: str = Field(alias="to", pattern=r"^[A-Za-z]{3}$", description="IATA airport code")
    cabin: Cabin = Cabin.economy
    round_trip: bool = False

    @field_validator("origin", "destination")
    @classmethod
    def _known_airport(cls, code: str) -> str:
        code = code.upper()
        if not code.isalpha() or find_airport(code) is None:
            raise ValueError(f"unknown IATA airport code {code!r}")
        return code

    @field_validator("destination")
    @classmethod
    def _another_airport(cls, code: str, info: ValidationInfo) -> str:
        origin = info.data.get("origin")
        if origin is None or (info.context or {}).get("stored"):
            return code  # a stored footprint reads back as it was made
        if origin == code:
            raise ValueError("'from' and 'to' must be different airports")
        km = airports_km(origin, code)
        if km is not None and km < MIN_FLIGHT_KM:
            raise ValueError(f"{origin} and {code} are codes of the same airport: a flight of 0 km")
        return code


class Rail(_Routed):
    _detour_mode: ClassVar[str] = "rail"
    type: Literal["rail"]
    km: RouteKm = None
    service: Literal["high_speed", "national", "international", "light_rail"] = "national"
    country: str = Field(
        default="CN",
        pattern=r"^[A-Z]{2}$",
        description="Where the train runs; international rail: the country it starts or ends in",
    )
    grid: Grid | None = Field(
        default=None,
        description="The grid an electric train in China draws from (default: CN, the national average)",
        exclude_if=lambda value: value is None,
    )
    round_trip: bool = False


class Car(_SharedVehicle, _Routed):
    type: Literal["car"]
    km: RouteKm = None
    fuel: Literal["petrol", "diesel", "hybrid", "plug_in_hybrid", "electric", "unknown"] = "unknown"
    occupants: int = Field(
        default=1,
        ge=1,
        le=9,
        description="People in the car, the driver included: the car's emissions are divided among them",
        examples=[3],
    )
    grid: Grid | None = Field(
        default=None,
        description="Where an electric or plug-in hybrid car is charged (default: CN, the national average)",
        exclude_if=lambda value: value is None,
    )
    round_trip: bool = False


class Bus(_Routed):
    type: Literal["bus"]
    km: RouteKm = None
    service: Literal["local", "coach"] = "local"
    round_trip: bool = False


class Taxi(_SharedVehicle):
    type: Literal["taxi"]
    km: Km
    occupants: int = Field(
        default=1,
        ge=1,
        le=8,
        description="Passengers sharing the ride: the taxi's emissions are divided among them",
        examples=[2],
    )
    round_trip: bool = False


class Metro(_Travel):
    type: Literal["metro"]
    km: Km
    grid: Grid | None = Field(
        default=None,
        description="The grid of the metro's city (default: CN, the national average)",
        exclude_if=lambda value: value is None,
    )
    round_trip: bool = False


class Motorcycle(_SharedVehicle):
    type: Literal["motorcycle"]
    km: Km
    occupants: int = Field(
        default=1, ge=1, le=2, description="Rider and pillion passenger: 1 or 2", examples=[2]
    )
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
        default="CN",
        description="Grid: CN (national), a regional grid such as CN-SW, or a province such as CN-SC",
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
