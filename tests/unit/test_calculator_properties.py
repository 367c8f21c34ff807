"""Properties every footprint has, whatever the input: hypothesis explores the space."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from carbonneutral.domain import activities as a
from carbonneutral.domain import calculator, footprints, geo
from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintRequest, compute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FACTORS = load_factor_set()
NOW = datetime(2026, 1, 1, tzinfo=UTC)
AIRPORTS = ["PEK", "CTU", "PVG", "CAN", "SZX", "HKG", "NRT", "SIN", "LHR", "JFK", "CDG", "EDI", "SYD", "DXB"]
GRIDS = FACTORS.grids()
km = st.floats(min_value=0.1, max_value=20_000, allow_nan=False, allow_infinity=False)

activity = st.one_of(
    st.fixed_dictionaries(
        {
            "from": st.sampled_from(AIRPORTS),
            "to": st.sampled_from(AIRPORTS),
            "cabin": st.sampled_from(list(a.Cabin)),
            "round_trip": st.booleans(),
            "travellers": st.integers(1, 5),
        }
    )
    .filter(lambda f: f["from"] != f["to"])
    .map(lambda f: a.Flight.model_validate({"type": "flight", **f})),
    st.builds(
        a.Rail,
        type=st.just("rail"),
        km=km,
        service=st.sampled_from(["high_speed", "national", "international", "light_rail"]),
        country=st.sampled_from(["CN", "GB"]),
        grid=st.sampled_from(GRIDS),
        travellers=st.integers(1, 5),
    ),
    st.builds(
        a.Car,
        type=st.just("car"),
        km=km,
        fuel=st.sampled_from(["petrol", "diesel", "hybrid", "plug_in_hybrid", "electric", "unknown"]),
        occupants=st.integers(1, 9),
        grid=st.sampled_from(GRIDS),
        round_trip=st.booleans(),
    ),
    st.builds(a.Bus, type=st.just("bus"), km=km, service=st.sampled_from(["local", "coach"])),
    st.builds(a.Taxi, type=st.just("taxi"), km=km, occupants=st.integers(1, 8)),
    st.builds(a.Metro, type=st.just("metro"), km=km, grid=st.sampled_from(GRIDS)),
    st.builds(
        a.Hotel,
        type=st.just("hotel"),
        nights=st.integers(1, 366),
        rooms=st.integers(1, 20),
        country=st.sampled_from(["CN", "JP", "GB"]),
    ),
    st.builds(a.Meal, type=st.just("meal"), count=st.integers(1, 100), diet=st.sampled_from(list(a.Diet))),
    st.builds(
        a.Electricity,
        type=st.just("electricity"),
        kwh=st.floats(0.1, 1e6),
        grid=st.sampled_from(GRIDS),
    ),
    st.builds(
        a.Gas,
        type=st.just("gas"),
        fuel=st.just("natural_gas"),
        amount=st.floats(0.1, 1e5),
        unit=st.sampled_from(["m3", "kwh"]),
    ),
)


def total_g(acts: list) -> int:
    request = FootprintRequest.model_construct(
        kind="life", period="month", scene_id=None, activities=acts, radiative_forcing=None
    )
    return compute(request, FACTORS, radiative_forcing=True, footprint_id="fp_x", created_at=NOW).total_g


@settings(max_examples=150, deadline=None)
@given(activity, st.booleans())
def test_every_line_is_its_direct_part_plus_its_upstream_part(act: object, wtt: bool) -> None:
    line = calculator.calculate_line(act, calculator.Context(FACTORS, well_to_tank=wtt))
    assert line.g == line.direct_g + line.wtt_g and line.g >= 1
    assert line.upstream != ("added" if not wtt else "excluded")
    assert line.basis in {"CO2", "CO2e", "mixed"} and line.boundary


@settings(max_examples=150, deadline=None)
@given(st.lists(activity, min_size=1, max_size=8))
def test_footprint_is_never_negative(acts: list) -> None:
    assert total_g(acts) >= 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(activity, min_size=1, max_size=6), st.booleans(), st.booleans(), st.sampled_from(["cn", "desnz"])
)
def test_a_footprint_of_remembered_lines_is_the_footprint_worked_out_afresh(
    acts: list, rf: bool, wtt: bool, method: calculator.FlightMethod
) -> None:
    def once() -> str:
        request = FootprintRequest.model_construct(
            kind="life", period="month", scene_id=None, activities=acts, radiative_forcing=None
        )
        footprint = compute(
            request,
            FACTORS,
            radiative_forcing=rf,
            well_to_tank=wtt,
            flight_method=method,
            footprint_id="fp_x",
            created_at=NOW,
        )
        return footprint.model_dump_json()

    remembered = once()  # with whatever lines earlier examples left remembered
    footprints.forget_lines()
    assert once() == remembered  # every line worked out afresh
    assert once() == remembered  # every line remembered


@settings(max_examples=150, deadline=None)
@given(st.lists(activity, min_size=1, max_size=6), st.lists(activity, min_size=1, max_size=6))
def test_footprint_is_additive_over_activities(first: list, second: list) -> None:
    assert total_g(first + second) == total_g(first) + total_g(second)


@settings(max_examples=150, deadline=None)
@given(
    km,
    km,
    st.sampled_from(["rail", "car", "bus", "taxi", "metro", "motorcycle"]),
    st.booleans(),
    st.sampled_from(GRIDS),
    st.sampled_from(["petrol", "diesel", "hybrid", "plug_in_hybrid", "electric", "unknown"]),
    st.sampled_from(["high_speed", "national", "international", "light_rail"]),
)
def test_ground_travel_is_monotone_in_distance(
    d1: float, d2: float, kind: str, wtt: bool, grid: str, fuel: str, service: str
) -> None:
    short, long_ = sorted((d1, d2))
    make = {
        "rail": a.Rail,
        "car": a.Car,
        "bus": a.Bus,
        "taxi": a.Taxi,
        "metro": a.Metro,
        "motorcycle": a.Motorcycle,
    }
    extra = {
        "rail": {"grid": grid, "service": service},
        "car": {"grid": grid, "fuel": fuel},
        "metro": {"grid": grid},
    }.get(kind, {})
    ctx = calculator.Context(FACTORS, well_to_tank=wtt)
    assert (
        calculator.calculate_line(make[kind](type=kind, km=short, **extra), ctx).g
        <= calculator.calculate_line(make[kind](type=kind, km=long_, **extra), ctx).g
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.floats(50, 15_000),
    st.floats(50, 15_000),
    st.sampled_from(list(a.Cabin)),
    st.booleans(),
    st.sampled_from([("GB", "US"), ("CN", "JP"), ("GB", "GB"), ("CN", "CN")]),
    st.sampled_from(["cn", "desnz"]),
)
def test_flights_are_monotone_in_distance_across_haul_bands(
    monkeypatch: pytest.MonkeyPatch,
    d1: float,
    d2: float,
    cabin: a.Cabin,
    rf: bool,
    countries: tuple[str, str],
    method: str,
) -> None:
    short, long_ = sorted((d1, d2))
    ctx = calculator.Context(FACTORS, radiative_forcing=rf, flight_method=method)  # type: ignore[arg-type]
    results = []
    for distance in (short, long_):
        table = {
            "AAA": geo.Airport("AAA", "A", "A", countries[0], 0.0, 0.0),
            "BBB": geo.Airport(
                "BBB", "B", "B", countries[1], 0.0, math.degrees(distance / geo.EARTH_MEAN_RADIUS_KM)
            ),
        }
        monkeypatch.setattr(calculator, "find_airport", table.get)
        far = geo.great_circle_km(0.0, 0.0, 0.0, table["BBB"].lon)
        monkeypatch.setattr(calculator, "airports_km", lambda origin, destination, far=far: far)
        flight = a.Flight.model_construct(
            origin="AAA", destination="BBB", cabin=cabin, round_trip=False, travellers=1, passengers=None
        )
        results.append(calculator.calculate_line(flight, ctx).g)
    assert results[0] <= results[1]
