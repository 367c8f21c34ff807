"""Hand-computed expectations from the cited factors (DESNZ 2025, MEE 2023, Scarborough 2014 …).

Each expected value is written out as arithmetic on the published figure, so a change in the
shipped factor set, the rounding or the method shows up here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from carbonneutral.domain import calculator
from carbonneutral.domain.activities import Activity
from carbonneutral.domain.factors import load_factor_set
from pydantic import TypeAdapter

ACTIVITY = TypeAdapter(Activity)


def grams(kg: str) -> int:
    """Round half up to whole grams, as the calculator does."""
    return int((Decimal(kg) * 1000).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def line_g(activity: dict, *, rf: bool = True, period_days: int | None = None) -> int:
    ctx = calculator.Context(load_factor_set("2025.1"), radiative_forcing=rf, period_days=period_days)
    return calculator.calculate_line(ACTIVITY.validate_python(activity), ctx).g


@pytest.mark.parametrize(
    ("activity", "expected_g"),
    [
        # PEK→CTU, 1556.1 km great circle, return, economy, DESNZ international (non-UK) with RF 0.10916
        (
            {"type": "flight", "from": "PEK", "to": "CTU", "cabin": "economy", "round_trip": True},
            grams(str(Decimal("1556.1") * 2 * Decimal("0.10916"))),
        ),
        # LHR→CDG, 347.2 km, short-haul to/from UK, economy with RF 0.12576
        ({"type": "flight", "from": "LHR", "to": "CDG"}, grams(str(Decimal("347.2") * Decimal("0.12576")))),
        # LHR→CDG first class: DESNZ has no short-haul first row; business 0.18863 stands in
        (
            {"type": "flight", "from": "LHR", "to": "CDG", "cabin": "first"},
            grams(str(Decimal("347.2") * Decimal("0.18863"))),
        ),
        # LHR→JFK, 5539.6 km, long-haul business with RF 0.33940
        (
            {"type": "flight", "from": "LHR", "to": "JFK", "cabin": "business"},
            grams(str(Decimal("5539.6") * Decimal("0.33940"))),
        ),
        # LHR→EDI, 533.5 km, UK domestic: average passenger 0.22928 for every cabin
        (
            {"type": "flight", "from": "LHR", "to": "EDI", "cabin": "business"},
            grams(str(Decimal("533.5") * Decimal("0.22928"))),
        ),
        # 120 km high-speed rail in China: 30.48 g/pkm (BJTU, full process 2019)
        ({"type": "rail", "km": 120, "service": "high_speed"}, grams("3.6576")),
        # 100 km national rail in the UK for two: 200 pkm x 0.03546
        (
            {"type": "rail", "km": 100, "service": "national", "country": "GB", "passengers": 2},
            grams("7.092"),
        ),
        # 30 km alone in an average petrol car: 0.16272 per vehicle-km
        ({"type": "car", "km": 30, "fuel": "petrol"}, grams("4.8816")),
        # 30 km each way shared by three: 60 / 3 = 20 vehicle-km each x 0.16272
        ({"type": "car", "km": 30, "fuel": "petrol", "round_trip": True, "passengers": 3}, grams("3.2544")),
        # two taxi passengers share 10 km: 5 x 0.20806
        ({"type": "taxi", "km": 10, "passengers": 2}, grams("1.0403")),
        # 40 km by coach: 0.02776 per pkm
        ({"type": "bus", "km": 40, "service": "coach"}, grams("1.1104")),
        # two nights in China: 53.5 per room-night
        ({"type": "hotel", "nights": 2, "country": "CN"}, grams("107.0")),
        # three nights, two rooms in Japan: 6 x 39
        ({"type": "hotel", "nights": 3, "rooms": 2, "country": "JP"}, grams("234")),
        # three meals, medium meat-eater: 5.63 / 3 = 1.87667 per meal (5 places)
        ({"type": "meal", "count": 3, "diet": "meat"}, grams(str(3 * Decimal("1.87667")))),
        # 120 kWh on China's national grid, 2023: 0.5306
        ({"type": "electricity", "kwh": 120, "grid": "CN"}, grams("63.672")),
        # 1000 kWh on the Southwest grid, 2023: 0.2472
        ({"type": "electricity", "kwh": 1000, "grid": "CN-SW"}, grams("247.2")),
        # 10 m3 of natural gas: 2.06672
        ({"type": "gas", "fuel": "natural_gas", "amount": 10, "unit": "m3"}, grams("20.6672")),
        # 5 kg of LPG: 50.179 GJ/t x 17.2 t C/TJ x 0.98 x 44/12 = 3.10133 kg/kg
        ({"type": "gas", "fuel": "lpg", "amount": 5, "unit": "kg"}, grams("15.50665")),
        # 1000 CNY of shopping: 0.094 per CNY
        ({"type": "shopping", "spend_cny": "1000"}, grams("94")),
    ],
)
def test_line_matches_hand_computation(activity: dict, expected_g: int) -> None:
    assert line_g(activity) == expected_g


def test_pek_ctu_return_economy_is_339_728_kg() -> None:
    activity = {"type": "flight", "from": "PEK", "to": "CTU", "cabin": "economy", "round_trip": True}
    assert line_g(activity) == 339_728  # 3112.2 pkm x 0.10916 = 339.727752 kg


def test_flight_without_radiative_forcing_uses_the_lower_factor() -> None:
    activity = {"type": "flight", "from": "PEK", "to": "CTU", "round_trip": True}
    assert line_g(activity, rf=False) == grams(str(Decimal("3112.2") * Decimal("0.06449")))


def test_diet_over_a_month_uses_thirty_days() -> None:
    assert line_g({"type": "diet", "diet": "vegan"}, period_days=30) == grams("86.7")  # 30 x 2.89


def test_great_circle_distance_of_pek_ctu() -> None:
    from carbonneutral.domain.geo import find_airport, great_circle_km

    pek, ctu = find_airport("PEK"), find_airport("CTU")
    assert pek and ctu
    assert great_circle_km(pek.lat, pek.lon, ctu.lat, ctu.lon) == pytest.approx(1556.1, abs=0.1)


def test_long_haul_never_rates_below_the_longest_short_haul(monkeypatch: pytest.MonkeyPatch) -> None:
    # 3800 km long-haul economy: 3800 x 0.11704 = 444.752 kg, below 3700 x 0.12576 = 465.312 kg
    _airports_on_equator(monkeypatch, km_apart=3800)
    line = calculator.calculate_line(
        ACTIVITY.validate_python({"type": "flight", "from": "AAA", "to": "BBB"}),
        calculator.Context(load_factor_set("2025.1")),
    )
    assert line.details["band"] == "long_haul"
    assert line.g == grams("465.312")


def test_hotel_in_a_country_without_a_factor_names_the_field() -> None:
    from carbonneutral.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        calculator.calculate(
            [ACTIVITY.validate_python({"type": "hotel", "nights": 1, "country": "ZZ"})],
            calculator.Context(load_factor_set()),
        )
    assert err.value.field == "activities[0].country"


def test_car_km_equivalent_uses_the_petrol_car_factor() -> None:
    assert calculator.car_km_equivalent(162_720, load_factor_set("2025.1")) == Decimal("1000.0")


def _airports_on_equator(
    monkeypatch: pytest.MonkeyPatch, km_apart: float, countries: tuple[str, str] = ("GB", "US")
) -> None:
    import math

    from carbonneutral.domain import geo
    from carbonneutral.domain.geo import EARTH_MEAN_RADIUS_KM, Airport

    degrees = math.degrees(km_apart / EARTH_MEAN_RADIUS_KM)
    table = {
        "AAA": Airport("AAA", "A", "A", countries[0], 0.0, 0.0),
        "BBB": Airport("BBB", "B", "B", countries[1], 0.0, degrees),
    }
    monkeypatch.setattr(geo, "find_airport", table.get)
    monkeypatch.setattr(calculator, "find_airport", table.get)
    from carbonneutral.domain import activities

    monkeypatch.setattr(activities, "find_airport", table.get)
