"""The carbon calculator: activities in, a breakdown with cited factors out.

Arithmetic is Decimal. Each line has a direct part and, where the factor set publishes one, a
well-to-tank part; each part is rounded once, to whole grams, and the total is the sum of the
lines, so a footprint is exactly additive over its activities. docs/methodology.md explains
every method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, NamedTuple, cast

from carbonneutral.domain import activities as a
from carbonneutral.domain.factors import METHOD, UPSTREAM_WITHIN, Boundary, Factor, FactorSet
from carbonneutral.domain.geo import airports_km, find_airport, known_country
from carbonneutral.errors import InvalidInput

PERIOD_DAYS = {"month": 30, "year": 365}
FlightMethod = Literal["cn", "desnz"]
Basis = Literal["CO2", "CO2e", "mixed"]  # the gases a line counts (a factor's are CO2 or CO2e)
# How a line's well-to-tank part stands: added as its own part, left out by the scene, already
# inside the factor's boundary, or not published for this factor.
Upstream = Literal["added", "excluded", "within", "not_available"]


@dataclass(frozen=True)
class Context:
    """What a line may depend on besides its own fields."""

    factors: FactorSet
    radiative_forcing: bool = True
    well_to_tank: bool = True
    flight_method: FlightMethod = "cn"  # which method counts for a flight within China
    period_days: int | None = None
    rates: dict[str, _Rate] = field(init=False, repr=False, compare=False)
    shapes: dict[tuple[Any, ...], _Shape] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.factors.method != METHOD:
            raise ValueError(
                f"factor set {self.factors.version} is for method {self.factors.method}; this calculator "
                f"implements method {METHOD} (older sets stay readable for the footprints stored with them)"
            )
        _, rates, shapes = _derived(self.factors)
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "shapes", shapes)


_ZERO, _ONE, _THOUSAND = Decimal(0), Decimal(1), Decimal(1000)


class Step(NamedTuple):
    """One factor applied: quantity × factor (+ its well-to-tank part)."""

    key: str
    factor: Factor
    quantity: Decimal
    direct_kg: Decimal
    wtt_kg: Decimal


class Alternative(NamedTuple):
    """Another method's figure for the same line, shown beside the one that counts."""

    method: FlightMethod
    g: int
    factor_key: str


class Line(NamedTuple):
    """A line of the breakdown. Immutable; a tuple because it is made for every activity of every
    footprint, and a tuple made positionally is much cheaper to make than a frozen dataclass."""

    type: str
    label: str
    quantity: Decimal
    quantity_unit: str
    factor_key: str
    factor: Factor
    g: int
    details: Mapping[str, Any]
    direct_g: int = 0
    wtt_g: int = 0
    upstream: Upstream = "not_available"
    basis: Basis = "CO2e"
    boundary: str = ""
    steps: tuple[Step, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    notes: tuple[str, ...] = ()


class _Rate(NamedTuple):
    """A factor as the arithmetic applies it."""

    factor: Factor
    value: Decimal
    wtt: Decimal | None  # its well-to-tank part per unit, where published
    emitting: bool  # False for an energy factor: the grid step after it emits
    gases: Basis
    boundary: str  # "" where the factor states none
    within: bool  # the boundary already counts the fuel chain upstream


class _Shape(NamedTuple):
    """What a line's steps decide whatever the quantities: the same for every line made of them."""

    emitting: tuple[bool, ...]
    upstream: Upstream
    gases: frozenset[str]
    boundary: str


# Per factor set (held, so its id stays its own): each factor's rate by key, and each line shape
# by its steps' keys and whether well-to-tank counts. Factor sets never change once loaded.
_DERIVED: dict[int, tuple[FactorSet, dict[str, _Rate], dict[tuple[Any, ...], _Shape]]] = {}


def _derived(factors: FactorSet) -> tuple[FactorSet, dict[str, _Rate], dict[tuple[Any, ...], _Shape]]:
    held = _DERIVED.get(id(factors))
    if held is None:
        held = _DERIVED[id(factors)] = (factors, {}, {})
    return held


def _round_g(kg: Decimal) -> int:
    return int((kg * _THOUSAND).quantize(_ONE, rounding=ROUND_HALF_UP))


def _dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _factor(factors: FactorSet, key: str, field_name: str | None = None) -> Factor:
    try:
        return factors.factor(key)
    except KeyError as exc:  # the set lacks a factor the request asks for
        raise InvalidInput(
            f"no emission factor {key!r} in factor set {factors.version}", field=field_name
        ) from exc


def _rate(ctx: Context, key: str) -> _Rate:
    rate = ctx.rates.get(key)
    if rate is None:
        factor = _factor(ctx.factors, key)
        boundary = factor.boundary
        rate = ctx.rates[key] = _Rate(
            factor=factor,
            value=factor.value,
            wtt=factor.wtt.value if factor.wtt else None,
            emitting=boundary is not Boundary.energy,
            gases=factor.gases(),
            boundary=str(boundary) if boundary else "",
            within=boundary in UPSTREAM_WITHIN,
        )
    return rate


def _step(ctx: Context, key: str, quantity: Decimal) -> Step:
    rate = _rate(ctx, key)
    wtt = quantity * rate.wtt if rate.wtt is not None and ctx.well_to_tank else _ZERO
    return Step(key, rate.factor, quantity, quantity * rate.value, wtt)


def _grid_step(ctx: Context, grid: str, kwh: Decimal, field_name: str = "grid") -> Step:
    key = f"electricity.{grid}"
    if not ctx.factors.has(key):
        raise InvalidInput(
            f"no grid factor for {grid!r}; known: {', '.join(ctx.factors.grids())}", field=field_name
        )
    return _step(ctx, key, kwh)


def _shape(ctx: Context, steps: tuple[Step, ...]) -> _Shape:
    keys = (ctx.well_to_tank, *(s.key for s in steps))
    shape = ctx.shapes.get(keys)
    if shape is None:
        rates = [_rate(ctx, s.key) for s in steps]
        emitting = [r for r in rates if r.emitting]
        if all(r.within for r in emitting):
            upstream: Upstream = "within"
        elif any(r.wtt is not None for r in emitting):
            upstream = "added" if ctx.well_to_tank else "excluded"
        else:
            upstream = "not_available"
        shape = ctx.shapes[keys] = _Shape(
            emitting=tuple(r.emitting for r in rates),
            upstream=upstream,
            gases=frozenset(r.gases for r in emitting),
            boundary="+".join(dict.fromkeys(r.boundary for r in emitting if r.boundary)),
        )
    return shape


def _line(
    ctx: Context,
    activity_type: str,
    label: str,
    quantity: Decimal,
    unit: str,
    steps: tuple[Step, ...],
    *,
    notes: tuple[str, ...] = (),
    **details: Any,
) -> Line:
    """A line from its steps: the first is the activity's own factor, the rest what it draws on."""
    shape = _shape(ctx, steps)
    direct = wtt = _ZERO
    for step, emitting in zip(steps, shape.emitting, strict=True):
        if emitting:  # an energy step's kWh are not emissions; the grid step after it counts them
            direct += step.direct_kg
        wtt += step.wtt_kg
    direct_g, wtt_g = _round_g(direct), _round_g(wtt)
    if direct_g + wtt_g == 0 and direct + wtt > 0:
        direct_g, notes = 1, (*notes, "at_least_1g")  # never a silent 0 g for something emitted
    # DESNZ's well-to-tank rows are CO2e, whatever the gases of the factor they go with (no part
    # is negative, so one step has a well-to-tank part exactly when their sum is above 0).
    bases = shape.gases | {"CO2e"} if wtt > 0 else shape.gases
    first = steps[0]
    return Line(
        activity_type,
        label,
        quantity,
        unit,
        first.key,
        first.factor,
        direct_g + wtt_g,
        details,
        direct_g,
        wtt_g,
        shape.upstream,
        cast(Basis, next(iter(bases))) if len(bases) == 1 else "mixed",
        shape.boundary,
        steps,
        (),
        notes,
    )


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


def _desnz_flight(act: a.Flight, ctx: Context, gc_km: Decimal, band: str, people: Decimal) -> Line:
    rf = "with_rf" if ctx.radiative_forcing else "without_rf"
    long_haul_from = ctx.factors.parameter("flight.long_haul_min_km")
    cabin = _CABIN_ROWS.get(band, {}).get(act.cabin.value, act.cabin.value)
    pkm = gc_km * people
    label = f"{act.origin} → {act.destination}"
    line = _line(ctx, "flight", label, pkm, "passenger.km", (_step(ctx, f"flight.{band}.{cabin}.{rf}", pkm),))
    if band == "long_haul":
        # Per-km factors fall at the band edge; never rate a longer flight below the longest
        # short-haul one, so the result stays monotone in distance. The line says so.
        short_cabin = _CABIN_ROWS["short_haul"].get(act.cabin.value, act.cabin.value)
        floor_q = long_haul_from * people
        floor = _line(
            ctx,
            "flight",
            label,
            pkm,
            "passenger.km",
            (_step(ctx, f"flight.short_haul.{short_cabin}.{rf}", floor_q),),
        )
        if floor.g > line.g:
            return floor._replace(notes=(*floor.notes, "long_haul_floor"))
    return line


def _cn_flight(act: a.Flight, ctx: Context, gc_km: Decimal, people: Decimal) -> Line:
    """China's domestic aviation: the jet fuel CAAC's fleet burns per passenger-km, its CO2, and
    where the scene counts radiative forcing, DESNZ's multiplier of 1.7 on that CO2 as its own step
    (the 0.7 above the CO2). China's figure is per average seat: the line says so for other cabins."""
    pkm = gc_km * people
    fuel = _step(ctx, "flight.cn_domestic.fuel", pkm)
    burnt = _step(ctx, "fuel.jet.kg", fuel.quantity * fuel.factor.value)
    steps: tuple[Step, ...] = (fuel, burnt)
    if ctx.radiative_forcing:
        steps += (_step(ctx, "flight.cn_domestic.rf", burnt.direct_kg),)
    notes = ("cn_no_cabin_split",) if act.cabin is not a.Cabin.economy else ()
    label = f"{act.origin} → {act.destination}"
    return _line(ctx, "flight", label, pkm, "passenger.km", steps, notes=notes)


def flight(act: a.Flight, ctx: Context) -> Line:
    origin, destination = find_airport(act.origin), find_airport(act.destination)
    km = airports_km(act.origin, act.destination)
    assert origin and destination and km is not None  # validated by the model
    gc_km = _dec(round(km, 1))
    travellers, _ = act.people()
    legs = _legs(act.round_trip)
    people = Decimal(travellers * legs)
    band = flight_band(
        origin.country, destination.country, gc_km, ctx.factors.parameter("flight.long_haul_min_km")
    )
    details: dict[str, Any] = {
        "great_circle_km": float(gc_km),
        "legs": legs,
        "travellers": travellers,
        "band": band,
        "cabin": act.cabin.value,
        "radiative_forcing": ctx.radiative_forcing,
        "method": "desnz",
    }
    desnz = _desnz_flight(act, ctx, gc_km, band, people)
    if not (origin.country == destination.country == "CN"):
        return desnz._replace(details=details)
    china = _cn_flight(act, ctx, gc_km, people)
    others = {
        "desnz": Alternative("desnz", desnz.g, desnz.factor_key),
        "cn": Alternative("cn", china.g, china.factor_key),
    }
    counted = china if ctx.flight_method == "cn" else desnz
    return counted._replace(
        details={**details, "method": ctx.flight_method},
        alternatives=(others["cn"], others["desnz"]),
    )


def rail(act: a.Rail, ctx: Context) -> Line:
    travellers, _ = act.people()
    legs = _legs(act.round_trip)
    pkm = _dec(act.kilometres()) * legs * travellers
    label = f"{act.service.replace('_', ' ')} rail"
    details: dict[str, Any] = {
        "km": act.km,
        "legs": legs,
        "travellers": travellers,
        "country": act.country,
        **_route(act),
    }
    if act.country == "CN":
        service = "national" if act.service == "international" else act.service
        key = f"rail.{service}.CN"
        step = _step(ctx, key, pkm)
        notes = ("cn_rail_whole_trip",) if act.service == "international" else ()
        if step.factor.boundary is Boundary.energy:  # electricity per passenger-km, China's grid
            kwh = step.quantity * step.factor.value
            grid = _grid_step(ctx, act.grid or "CN", kwh)
            return _line(
                ctx,
                "rail",
                label,
                pkm,
                "passenger.km",
                (step, grid),
                notes=notes,
                grid=act.grid or "CN",
                **details,
            )
        return _line(ctx, "rail", label, pkm, "passenger.km", (step,), notes=notes, **details)
    return _line(
        ctx, "rail", label, pkm, "passenger.km", (_step(ctx, f"rail.{act.service}", pkm),), **details
    )


def _route(act: a.Rail | a.Car | a.Bus) -> dict[str, Any]:
    """A trip given by its cities names them, the straight line and the detour factor on the line."""
    route = act.route()
    if route is None:
        return {}
    return {
        "route": {
            "from": route.origin.city_id,
            "to": route.destination.city_id,
            "great_circle_km": float(route.great_circle_km),
            "detour": float(route.detour),
        }
    }


def _shared(act: a.Car | a.Taxi | a.Motorcycle) -> tuple[Decimal, dict[str, Any]]:
    """One line's share of a vehicle: its vehicle-km divided by the occupants, times the travellers."""
    travellers, occupants = act.people()
    legs = _legs(act.round_trip)
    km = act.kilometres() if isinstance(act, a.Car) else act.km
    share = _dec(km) * legs * travellers / occupants
    details = {"km": km, "legs": legs, "occupants": occupants, "travellers": travellers}
    return share, {**details, **(_route(act) if isinstance(act, a.Car) else {})}


def car(act: a.Car, ctx: Context) -> Line:
    share, details = _shared(act)
    unit = "vehicle.km (share)"
    if act.fuel == "electric":
        energy = _step(ctx, "car.electric.energy", share)
        grid = _grid_step(ctx, act.grid or "CN", energy.quantity * energy.factor.value)
        return _line(
            ctx, "car", "car", share, unit, (energy, grid), grid=act.grid or "CN", fuel=act.fuel, **details
        )
    if act.fuel == "plug_in_hybrid":
        # The kilometres on electricity draw from the grid; the rest are driven as a hybrid car.
        electric_share = ctx.factors.parameter("car.plug_in_hybrid.electric_share")
        energy = _step(ctx, "car.plug_in_hybrid.energy", share * electric_share)
        grid = _grid_step(ctx, act.grid or "CN", energy.quantity * energy.factor.value)
        steps = (energy, grid, _step(ctx, "car.hybrid", share * (1 - electric_share)))
        return _line(ctx, "car", "car", share, unit, steps, grid=act.grid or "CN", fuel=act.fuel, **details)
    return _line(
        ctx, "car", "car", share, unit, (_step(ctx, f"car.{act.fuel}", share),), fuel=act.fuel, **details
    )


def taxi(act: a.Taxi, ctx: Context) -> Line:
    share, details = _shared(act)
    return _line(
        ctx, "taxi", "taxi", share, "vehicle.km (share)", (_step(ctx, "taxi.regular", share),), **details
    )


def motorcycle(act: a.Motorcycle, ctx: Context) -> Line:
    share, details = _shared(act)
    steps = (_step(ctx, "motorcycle.average", share),)
    return _line(ctx, "motorcycle", "motorcycle", share, "vehicle.km (share)", steps, **details)


def _public(act: a.Bus | a.Metro, ctx: Context) -> tuple[Decimal, dict[str, Any]]:
    travellers, _ = act.people()
    legs = _legs(act.round_trip)
    km = act.kilometres() if isinstance(act, a.Bus) else act.km
    details = {
        "km": km,
        "legs": legs,
        "travellers": travellers,
        **(_route(act) if isinstance(act, a.Bus) else {}),
    }
    return _dec(km) * legs * travellers, details


def bus(act: a.Bus, ctx: Context) -> Line:
    pkm, details = _public(act, ctx)
    return _line(ctx, "bus", "bus", pkm, "passenger.km", (_step(ctx, f"bus.{act.service}", pkm),), **details)


def metro(act: a.Metro, ctx: Context) -> Line:
    pkm, details = _public(act, ctx)
    energy = _step(ctx, "metro.CN.energy", pkm)
    grid = _grid_step(ctx, act.grid or "CN", energy.quantity * energy.factor.value)
    return _line(ctx, "metro", "metro", pkm, "passenger.km", (energy, grid), grid=act.grid or "CN", **details)


def hotel(act: a.Hotel, ctx: Context) -> Line:
    key = f"hotel.{act.country}"
    if not ctx.factors.has(key):
        known = sorted(k.removeprefix("hotel.") for k in ctx.factors.factors if k.startswith("hotel."))
        raise InvalidInput(
            f"no hotel factor for country {act.country!r}; known: {', '.join(known)}", field="country"
        )
    quantity = _dec(act.nights * act.rooms)
    return _line(
        ctx,
        "hotel",
        f"hotel, {act.country}",
        quantity,
        "room.night",
        (_step(ctx, key, quantity),),
        nights=act.nights,
        rooms=act.rooms,
        country=act.country,
    )


def meal(act: a.Meal, ctx: Context) -> Line:
    quantity = _dec(act.count)
    steps = (_step(ctx, f"meal.{act.diet.value}", quantity),)
    return _line(
        ctx, "meal", f"meals, {act.diet.value}", quantity, "meal", steps, count=act.count, diet=act.diet.value
    )


def diet(act: a.DietPeriod, ctx: Context) -> Line:
    days = act.days or ctx.period_days
    if days is None:
        raise InvalidInput("days is required outside a life footprint period", field="days")
    steps = (_step(ctx, f"diet.{act.diet.value}", _dec(days)),)
    return _line(
        ctx, "diet", f"diet, {act.diet.value}", _dec(days), "day", steps, days=days, diet=act.diet.value
    )


def electricity(act: a.Electricity, ctx: Context) -> Line:
    kwh = _dec(act.kwh)
    steps = (_grid_step(ctx, act.grid or "CN", kwh),)
    return _line(
        ctx, "electricity", f"electricity, {act.grid}", kwh, "kWh", steps, kwh=act.kwh, grid=act.grid
    )


def gas(act: a.Gas, ctx: Context) -> Line:
    amount = _dec(act.amount)
    steps = (_step(ctx, f"gas.{act.fuel}.{act.unit}", amount),)
    label = act.fuel.replace("_", " ")
    return _line(
        ctx, "gas", label, amount, act.unit, steps, amount=act.amount, amount_unit=act.unit, fuel=act.fuel
    )


def shopping(act: a.Shopping, ctx: Context) -> Line:
    steps = (_step(ctx, "shopping.general", act.spend_cny),)
    return _line(ctx, "shopping", "shopping", act.spend_cny, "CNY", steps, spend_cny=float(act.spend_cny))


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
    grid = activity.__dict__.get("grid")  # not getattr: pydantic's __getattr__ is slow on a miss
    if grid is not None and not ctx.factors.has(f"electricity.{grid}"):  # even where it goes unused
        raise InvalidInput(
            f"no grid factor for {grid!r}; known: {', '.join(ctx.factors.grids())}", field="grid"
        )
    if isinstance(activity, a.Rail) and not known_country(activity.country):
        raise InvalidInput(f"unknown country code {activity.country!r}", field="country")
    return _CALCULATORS[type(activity)](activity, ctx)


def line_at(index: int, activity: Any, ctx: Context) -> Line:
    """The line of a request's activity at index: its field errors name the index."""
    try:
        return calculate_line(activity, ctx)
    except InvalidInput as exc:
        field_name = f"activities[{index}]" + (f".{exc.field}" if exc.field else "")
        raise InvalidInput(exc.detail, field=field_name) from exc


def calculate(activity_list: list[Any], ctx: Context) -> list[Line]:
    """One line per activity, in order. Field errors name the activity's index."""
    return [line_at(index, activity, ctx) for index, activity in enumerate(activity_list)]


def car_km_equivalent(total_g: int, factors: FactorSet, *, well_to_tank: bool = True) -> Decimal:
    """Everyday equivalent: how far an average petrol car drives for the same emissions, counted
    the way the footprint is (with or without its fuel's well-to-tank part)."""
    petrol = factors.factor("car.petrol")
    per_km = petrol.value + (petrol.wtt.value if petrol.wtt and well_to_tank else 0)
    return (Decimal(total_g) / 1000 / per_km).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
