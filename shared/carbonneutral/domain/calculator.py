"""The carbon calculator: activities in, a breakdown with cited factors out.

Arithmetic is Decimal; each line is rounded once, to whole grams, and the total is the sum
of the lines, so a footprint is exactly additive over its activities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from carbonneutral.domain import activities as a
from carbonneutral.domain.factors import Factor, FactorSet
from carbonneutral.domain.geo import find_airport, great_circle_km
from carbonneutral.errors import InvalidInput

PERIOD_DAYS = {"month": 30, "year": 365}


@dataclass(frozen=True)
class Context:
    """What a line may depend on besides its own fields."""

    factors: FactorSet
    radiative_forcing: bool = True
    period_days: int | None = None


@dataclass(frozen=True)
class Line:
    type: str
    label: str
    quantity: Decimal
    quantity_unit: str
    factor_key: str
    factor: Factor
    g: int
    details: Mapping[str, Any]


def grams(quantity: Decimal, factor: Factor) -> int:
    kg = quantity * factor.value
    return int((kg * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _line(
    ctx: Context, activity_type: str, label: str, quantity: Decimal, unit: str, key: str, **details: Any
) -> Line:
    factor = _factor(ctx.factors, key)
    return Line(activity_type, label, quantity, unit, key, factor, grams(quantity, factor), details)


def _factor(factors: FactorSet, key: str) -> Factor:
    try:
        return factors.factor(key)
    except KeyError as exc:  # the set lacks a factor the request asks for
        raise InvalidInput(f"no emission factor {key!r} in factor set {factors.version}") from exc


def _legs(round_trip: bool) -> int:
    return 2 if round_trip else 1


# DESNZ publishes no cabin split for some bands; the nearest published row stands in.
_CABIN_ROWS = {
    "domestic": {
        "economy": "average",
        "premium_economy": "average",
        "business": "average",
        "first": "average",
    },
    "short_haul": {"premium_economy": "economy", "first": "business"},
}


def flight_band(
    origin_country: str, destination_country: str, great_circle: Decimal, long_haul_from: Decimal
) -> str:
    """DESNZ's classification: UK domestic, short/long-haul to or from the UK, else international."""
    uk = {origin_country, destination_country} & {"GB"}
    if origin_country == destination_country == "GB":
        return "domestic"
    if uk:
        return "long_haul" if great_circle >= long_haul_from else "short_haul"
    return "international"


def flight(act: a.Flight, ctx: Context) -> Line:
    origin, destination = find_airport(act.origin), find_airport(act.destination)
    assert origin and destination  # validated by the model
    gc_km = _dec(round(great_circle_km(origin.lat, origin.lon, destination.lat, destination.lon), 1))
    uplift = ctx.factors.parameter("flight.distance_uplift")
    long_haul_from = ctx.factors.parameter("flight.long_haul_min_km")
    rf = "with_rf" if ctx.radiative_forcing else "without_rf"
    band = flight_band(origin.country, destination.country, gc_km, long_haul_from)
    cabin = _CABIN_ROWS.get(band, {}).get(act.cabin.value, act.cabin.value)
    legs, pax = _legs(act.round_trip), act.passengers
    pkm = gc_km * uplift * legs * pax
    line = _line(
        ctx,
        "flight",
        f"{act.origin} → {act.destination}",
        pkm,
        "passenger.km",
        f"flight.{band}.{cabin}.{rf}",
        great_circle_km=float(gc_km),
        uplift=float(uplift),
        legs=legs,
        passengers=pax,
        band=band,
        cabin=act.cabin.value,
        radiative_forcing=ctx.radiative_forcing,
    )
    if band == "long_haul":
        # Per-km factors fall at the band edge; never rate a longer flight below the longest
        # short-haul one, so the result stays monotone in distance.
        short_cabin = _CABIN_ROWS["short_haul"].get(act.cabin.value, act.cabin.value)
        floor_key = f"flight.short_haul.{short_cabin}.{rf}"
        floor_g = grams(long_haul_from * uplift * legs * pax, _factor(ctx.factors, floor_key))
        if floor_g > line.g:
            line = Line(**{**line.__dict__, "g": floor_g, "details": {**line.details, "band_floor": True}})
    return line


def rail(act: a.Rail, ctx: Context) -> Line:
    key = f"rail.{act.service}"
    national = f"rail.{act.service}.{act.country}"
    if ctx.factors.has(national):  # a country's own official factor wins where there is one
        key = national
    return _line(
        ctx,
        "rail",
        f"{act.service.replace('_', ' ')} rail",
        _dec(act.km) * act.passengers,
        "passenger.km",
        key,
        km=act.km,
        passengers=act.passengers,
    )


def _vehicle(activity_type: str, key: str, km: float, round_trip: bool, sharing: int, ctx: Context) -> Line:
    # A vehicle's emissions are shared by the people in it: one person's share is counted.
    vkm = _dec(km) * _legs(round_trip)
    share = vkm / sharing
    return _line(
        ctx,
        activity_type,
        activity_type,
        share,
        "vehicle.km (own share)",
        key,
        km=km,
        legs=_legs(round_trip),
        sharing=sharing,
    )


def car(act: a.Car, ctx: Context) -> Line:
    return _vehicle("car", f"car.{act.fuel}", act.km, act.round_trip, act.passengers, ctx)


def taxi(act: a.Taxi, ctx: Context) -> Line:
    return _vehicle("taxi", "taxi.regular", act.km, act.round_trip, act.passengers, ctx)


def motorcycle(act: a.Motorcycle, ctx: Context) -> Line:
    return _vehicle("motorcycle", "motorcycle.average", act.km, act.round_trip, 1, ctx)


def _public(activity_type: str, key: str, km: float, round_trip: bool, passengers: int, ctx: Context) -> Line:
    pkm = _dec(km) * _legs(round_trip) * passengers
    return _line(
        ctx,
        activity_type,
        activity_type,
        pkm,
        "passenger.km",
        key,
        km=km,
        legs=_legs(round_trip),
        passengers=passengers,
    )


def bus(act: a.Bus, ctx: Context) -> Line:
    return _public("bus", f"bus.{act.service}", act.km, act.round_trip, act.passengers, ctx)


def metro(act: a.Metro, ctx: Context) -> Line:
    return _public("metro", "metro.average", act.km, act.round_trip, act.passengers, ctx)


def hotel(act: a.Hotel, ctx: Context) -> Line:
    key = f"hotel.{act.country}"
    if not ctx.factors.has(key):
        known = sorted(k.removeprefix("hotel.") for k in ctx.factors.factors if k.startswith("hotel."))
        raise InvalidInput(
            f"no hotel factor for country {act.country!r}; known: {', '.join(known)}", field="country"
        )
    return _line(
        ctx,
        "hotel",
        f"hotel, {act.country}",
        _dec(act.nights * act.rooms),
        "room.night",
        key,
        nights=act.nights,
        rooms=act.rooms,
        country=act.country,
    )


def meal(act: a.Meal, ctx: Context) -> Line:
    return _line(
        ctx,
        "meal",
        f"meals, {act.diet.value}",
        _dec(act.count),
        "meal",
        f"meal.{act.diet.value}",
        count=act.count,
        diet=act.diet.value,
    )


def diet(act: a.DietPeriod, ctx: Context) -> Line:
    days = act.days or ctx.period_days
    if days is None:
        raise InvalidInput("days is required outside a life footprint period", field="days")
    return _line(
        ctx,
        "diet",
        f"diet, {act.diet.value}",
        _dec(days),
        "day",
        f"diet.{act.diet.value}",
        days=days,
        diet=act.diet.value,
    )


def electricity(act: a.Electricity, ctx: Context) -> Line:
    key = f"electricity.{act.grid}"
    if not ctx.factors.has(key):
        known = sorted(
            k.removeprefix("electricity.") for k in ctx.factors.factors if k.startswith("electricity.")
        )
        raise InvalidInput(f"no grid factor for {act.grid!r}; known: {', '.join(known)}", field="grid")
    return _line(
        ctx, "electricity", f"electricity, {act.grid}", _dec(act.kwh), "kWh", key, kwh=act.kwh, grid=act.grid
    )


def gas(act: a.Gas, ctx: Context) -> Line:
    return _line(
        ctx,
        "gas",
        act.fuel.replace("_", " "),
        _dec(act.amount),
        act.unit,
        f"gas.{act.fuel}.{act.unit}",
        amount=act.amount,
        amount_unit=act.unit,
        fuel=act.fuel,
    )


def shopping(act: a.Shopping, ctx: Context) -> Line:
    return _line(
        ctx, "shopping", "shopping", act.spend_cny, "CNY", "shopping.general", spend_cny=float(act.spend_cny)
    )


_CALCULATORS: dict[type[Any], Callable[[Any, Context], Line]] = {
    a.Flight: flight,
    a.Rail: rail,
    a.Car: car,
    a.Bus: bus,
    a.Taxi: taxi,
    a.Metro: metro,
    a.Motorcycle: motorcycle,
    a.Hotel: hotel,
    a.Meal: meal,
    a.Electricity: electricity,
    a.Gas: gas,
    a.DietPeriod: diet,
    a.Shopping: shopping,
}


def calculate_line(activity: Any, ctx: Context) -> Line:
    return _CALCULATORS[type(activity)](activity, ctx)


def calculate(activity_list: list[Any], ctx: Context) -> list[Line]:
    """One line per activity, in order. Field errors name the activity's index."""
    lines = []
    for index, activity in enumerate(activity_list):
        try:
            lines.append(calculate_line(activity, ctx))
        except InvalidInput as exc:
            field = f"activities[{index}]" + (f".{exc.field}" if exc.field else "")
            raise InvalidInput(exc.detail, field=field) from exc
    return lines


def car_km_equivalent(total_g: int, factors: FactorSet) -> Decimal:
    """Everyday equivalent: how far an average petrol car drives for the same emissions."""
    per_km = factors.factor("car.petrol").value
    return (Decimal(total_g) / 1000 / per_km).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
