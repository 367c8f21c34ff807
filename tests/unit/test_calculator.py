"""Hand-computed expectations from the cited factors of set 2025.2 (DESNZ 2025, MEE/NBS 2023,
CAAC, ICAO, Scarborough 2014 …).

Each expected value is written out as arithmetic on the published figures, so a change in the
shipped factor set, the rounding or the method shows up here. A line is its direct part plus its
well-to-tank part, each rounded to whole grams.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from carbonneutral.domain import calculator
from carbonneutral.domain.activities import Activity
from carbonneutral.domain.factors import load_factor_set
from carbonneutral.errors import InvalidInput
from pydantic import TypeAdapter, ValidationError

ACTIVITY = TypeAdapter(Activity)
FACTORS = load_factor_set("2025.2")


def grams(kg: D | str) -> int:
    """Round half up to whole grams, as the calculator does."""
    return int((D(kg) * 1000).quantize(D(1), rounding="ROUND_HALF_UP"))


def parts(direct_kg: D, wtt_kg: D = D(0)) -> int:
    return grams(direct_kg) + grams(wtt_kg)


def line(activity: dict, **ctx: object) -> calculator.Line:
    context = calculator.Context(FACTORS, **ctx)  # type: ignore[arg-type]
    return calculator.calculate_line(ACTIVITY.validate_python(activity), context)


PEK_CTU = D("1556.1")  # great circle, km
CN_FUEL = D("0.285") * D("0.1")  # CAAC kg fuel per tonne-km x ICAO's 0.1 t per passenger


@pytest.mark.parametrize(
    ("activity", "ctx", "expected_g"),
    [
        # DESNZ: PEK→CTU return economy, international (non-UK) with RF 0.10916, WTT 0.01656
        (
            {"type": "flight", "from": "PEK", "to": "CTU", "round_trip": True},
            {"flight_method": "desnz"},
            parts(2 * PEK_CTU * D("0.10916"), 2 * PEK_CTU * D("0.01656")),
        ),
        # China's method: fuel 0.0285 kg/pkm x 3.16 kg CO2/kg x 1.7 (RF) + WTT 0.66179 kg/kg fuel
        (
            {"type": "flight", "from": "PEK", "to": "CTU", "round_trip": True},
            {},
            parts(2 * PEK_CTU * CN_FUEL * D("3.16") * D("1.7"), 2 * PEK_CTU * CN_FUEL * D("0.66179")),
        ),
        # China's method without radiative forcing: the CO2 alone
        (
            {"type": "flight", "from": "PEK", "to": "CTU"},
            {"radiative_forcing": False},
            parts(PEK_CTU * CN_FUEL * D("3.16"), PEK_CTU * CN_FUEL * D("0.66179")),
        ),
        # LHR→CDG, 347.2 km, short-haul economy with RF 0.12576, WTT 0.02249
        (
            {"type": "flight", "from": "LHR", "to": "CDG"},
            {},
            parts(D("347.2") * D("0.12576"), D("347.2") * D("0.02249")),
        ),
        # LHR→CDG first: no short-haul first row; business 0.18863, WTT 0.03373 stand in
        (
            {"type": "flight", "from": "LHR", "to": "CDG", "cabin": "first"},
            {},
            parts(D("347.2") * D("0.18863"), D("347.2") * D("0.03373")),
        ),
        # LHR→JFK, 5539.6 km, long-haul business with RF 0.33940, WTT 0.07137, two travellers
        (
            {"type": "flight", "from": "LHR", "to": "JFK", "cabin": "business", "travellers": 2},
            {},
            parts(2 * D("5539.6") * D("0.33940"), 2 * D("5539.6") * D("0.07137")),
        ),
        # LHR→EDI, 533.5 km, UK domestic average 0.22928, WTT 0.0335
        (
            {"type": "flight", "from": "LHR", "to": "EDI", "cabin": "business"},
            {},
            parts(D("533.5") * D("0.22928"), D("533.5") * D("0.0335")),
        ),
        # High-speed rail in China: 30.48 g CO2/pkm full process (BJTU), no separate WTT
        ({"type": "rail", "km": 120, "service": "high_speed"}, {}, grams(D(120) * D("0.03048"))),
        # Conventional rail in China: 0.0364 kWh/pkm (CRH380A) x 0.5306 national grid 2023
        ({"type": "rail", "km": 100, "service": "national"}, {}, grams(D(100) * D("0.0364") * D("0.5306"))),
        # International rail from China: the Chinese figure for the whole trip, here on Sichuan's grid
        (
            {"type": "rail", "km": 500, "service": "international", "grid": "CN-SC"},
            {},
            grams(D(500) * D("0.0364") * D("0.1564")),
        ),
        # Light rail in Shanghai: 0.16158 kWh/pkm x 0.5737
        (
            {"type": "rail", "km": 10, "service": "light_rail", "grid": "CN-SH"},
            {},
            grams(D(10) * D("0.16158") * D("0.5737")),
        ),
        # National rail in the UK for two: 200 pkm x (0.03546 + WTT 0.00897)
        (
            {"type": "rail", "km": 100, "country": "GB", "travellers": 2},
            {},
            parts(D(200) * D("0.03546"), D(200) * D("0.00897")),
        ),
        # Metro in Chengdu, return: 2 x 8 km x 0.15706 kWh/pkm x Sichuan 0.1564
        (
            {"type": "metro", "km": 8, "round_trip": True, "grid": "CN-SC"},
            {},
            grams(D(16) * D("0.15706") * D("0.1564")),
        ),
        # 30 km alone in an average petrol car: 0.16272 + WTT 0.04599 per vehicle-km
        ({"type": "car", "km": 30, "fuel": "petrol"}, {}, parts(D(30) * D("0.16272"), D(30) * D("0.04599"))),
        # 30 km each way, three in the car, one of them counted: 60 / 3 = 20 vehicle-km
        (
            {"type": "car", "km": 30, "fuel": "petrol", "round_trip": True, "occupants": 3},
            {},
            parts(D(20) * D("0.16272"), D(20) * D("0.04599")),
        ),
        # ... and all three counted on one line: the whole car, 60 vehicle-km
        (
            {"type": "car", "km": 30, "fuel": "diesel", "round_trip": True, "occupants": 3, "travellers": 3},
            {},
            parts(D(60) * D("0.17304"), D(60) * D("0.04146")),
        ),
        # 100 km in an electric car charged in Sichuan: 15.1 / 0.85 / 100 = 0.17765 kWh/km x 0.1564
        (
            {"type": "car", "km": 100, "fuel": "electric", "grid": "CN-SC"},
            {},
            grams(D(100) * D("0.17765") * D("0.1564")),
        ),
        # 100 km in a plug-in hybrid: 53 km on China's grid, 47 km as a hybrid (0.12825 + WTT 0.03315)
        (
            {"type": "car", "km": 100, "fuel": "plug_in_hybrid"},
            {},
            parts(D(53) * D("0.17765") * D("0.5306") + D(47) * D("0.12825"), D(47) * D("0.03315")),
        ),
        # two share a 10 km taxi ride: 5 vehicle-km x (0.20806 + WTT 0.05176)
        ({"type": "taxi", "km": 10, "occupants": 2}, {}, parts(D(5) * D("0.20806"), D(5) * D("0.05176"))),
        # a rider and a pillion: 10 km / 2 x (0.11367 + WTT 0.02956)
        (
            {"type": "motorcycle", "km": 10, "occupants": 2},
            {},
            parts(D(5) * D("0.11367"), D(5) * D("0.02956")),
        ),
        # 40 km by coach: 0.02776 + WTT 0.00656 per pkm
        (
            {"type": "bus", "km": 40, "service": "coach"},
            {},
            parts(D(40) * D("0.02776"), D(40) * D("0.00656")),
        ),
        # three people on a 5 km city bus: 15 pkm x (0.10385 + WTT 0.02649)
        (
            {"type": "bus", "km": 5, "travellers": 3},
            {},
            parts(D(15) * D("0.10385"), D(15) * D("0.02649")),
        ),
        # two nights in China: 53.5 per room-night; DESNZ publishes no WTT for hotel stays
        ({"type": "hotel", "nights": 2, "country": "CN"}, {}, grams("107.0")),
        # three meals, medium meat-eater: 5.63 / 3 = 1.87667 per meal, life cycle (no WTT part)
        ({"type": "meal", "count": 3, "diet": "meat"}, {}, grams(3 * D("1.87667"))),
        # 120 kWh on China's national grid, 2023: 0.5306
        ({"type": "electricity", "kwh": 120, "grid": "CN"}, {}, grams(D(120) * D("0.5306"))),
        # 1000 kWh in Sichuan, 2023 (table 3): 0.1564
        ({"type": "electricity", "kwh": 1000, "grid": "CN-SC"}, {}, grams("156.4")),
        # 1000 kWh on the Southwest grid, 2023 (table 2): 0.2472
        ({"type": "electricity", "kwh": 1000, "grid": "CN-SW"}, {}, grams("247.2")),
        # 10 m3 of natural gas: 2.06672 + WTT 0.3366
        (
            {"type": "gas", "fuel": "natural_gas", "amount": 10, "unit": "m3"},
            {},
            parts(D(10) * D("2.06672"), D(10) * D("0.3366")),
        ),
        # 100 kWh of natural gas (gross CV): 0.18296 + WTT 0.03021
        (
            {"type": "gas", "fuel": "natural_gas", "amount": 100, "unit": "kwh"},
            {},
            parts(D(100) * D("0.18296"), D(100) * D("0.03021")),
        ),
        # 5 kg of LPG: 50.179 GJ/t x 17.2 t C/TJ x 0.98 x 44/12 = 3.10133, WTT 349.29282 / 1000
        (
            {"type": "gas", "fuel": "lpg", "amount": 5, "unit": "kg"},
            {},
            parts(D(5) * D("3.10133"), D(5) * D("0.34929")),
        ),
        # 10 litres of LPG: 1.55713 + WTT 0.18551
        (
            {"type": "gas", "fuel": "lpg", "amount": 10, "unit": "litre"},
            {},
            parts(D(10) * D("1.55713"), D(10) * D("0.18551")),
        ),
        # 1000 CNY of shopping: 0.094 per CNY, economy-wide
        ({"type": "shopping", "spend_cny": "1000"}, {}, grams("94")),
        # well-to-tank switched off: the direct part alone
        ({"type": "car", "km": 30, "fuel": "petrol"}, {"well_to_tank": False}, grams(D(30) * D("0.16272"))),
    ],
)
def test_line_matches_hand_computation(activity: dict, ctx: dict, expected_g: int) -> None:
    assert line(activity, **ctx).g == expected_g


def test_pek_ctu_return_by_both_methods_side_by_side() -> None:
    result = line({"type": "flight", "from": "PEK", "to": "CTU", "round_trip": True})
    by_method = {alt.method: alt.g for alt in result.alternatives}
    # cn: 3112.2 pkm x 0.0285 = 88.6977 kg fuel; x 3.16 x 1.7 = 476.484 kg; WTT x 0.66179 = 58.699 kg
    assert by_method == {"cn": 476_484 + 58_699, "desnz": 339_728 + 51_538}
    assert result.g == by_method["cn"] and result.details["method"] == "cn"
    # CO2 (CO2 only), the 0.7 of radiative forcing and the fuel's supply (both CO2e): mixed
    assert (result.direct_g, result.wtt_g, result.basis, result.upstream) == (
        476_484,
        58_699,
        "mixed",
        "added",
    )
    assert [s.key for s in result.steps] == [
        "flight.cn_domestic.fuel",
        "fuel.jet.kg",
        "flight.cn_domestic.rf",
    ]
    assert result.steps[2].direct_kg == result.steps[1].direct_kg * D("0.7")
    without_rf = line({"type": "flight", "from": "PEK", "to": "CTU"}, radiative_forcing=False)
    assert [s.key for s in without_rf.steps] == ["flight.cn_domestic.fuel", "fuel.jet.kg"]
    desnz = line({"type": "flight", "from": "PEK", "to": "CTU", "round_trip": True}, flight_method="desnz")
    assert desnz.g == by_method["desnz"] and desnz.basis == "CO2e"


def test_china_method_says_it_has_no_cabin_split() -> None:
    business = line({"type": "flight", "from": "PEK", "to": "CTU", "cabin": "business"})
    economy = line({"type": "flight", "from": "PEK", "to": "CTU"})
    assert business.g == economy.g and "cn_no_cabin_split" in business.notes
    assert "cn_no_cabin_split" not in economy.notes


def test_flights_outside_china_have_one_method() -> None:
    assert line({"type": "flight", "from": "PEK", "to": "NRT"}).alternatives == ()
    assert line({"type": "flight", "from": "CTU", "to": "HKG"}).alternatives == ()


def test_each_line_states_its_gases_boundary_and_upstream() -> None:
    petrol = line({"type": "car", "km": 30, "fuel": "petrol"})
    assert (petrol.basis, petrol.boundary, petrol.upstream) == ("CO2e", "combustion", "added")
    assert petrol.direct_g == grams(D(30) * D("0.16272")) and petrol.wtt_g == grams(D(30) * D("0.04599"))
    off = line({"type": "car", "km": 30, "fuel": "petrol"}, well_to_tank=False)
    assert (off.upstream, off.wtt_g) == ("excluded", 0)
    electric = line({"type": "car", "km": 30, "fuel": "electric"})
    assert (electric.basis, electric.boundary, electric.upstream) == ("CO2", "generation", "not_available")
    hybrid = line({"type": "car", "km": 30, "fuel": "plug_in_hybrid"})
    assert (hybrid.basis, hybrid.boundary) == ("mixed", "generation+combustion")
    hsr = line({"type": "rail", "km": 120, "service": "high_speed"})
    assert (hsr.basis, hsr.boundary, hsr.upstream) == ("CO2", "full_process", "within")
    meals = line({"type": "meal", "count": 1})
    assert (meals.basis, meals.boundary, meals.upstream) == ("CO2e", "life_cycle", "within")
    lpg = line({"type": "gas", "fuel": "lpg", "amount": 5, "unit": "kg"})  # CO2, with a CO2e upstream
    assert lpg.basis == "mixed"
    assert line({"type": "gas", "fuel": "lpg", "amount": 5, "unit": "kg"}, well_to_tank=False).basis == "CO2"


def test_long_haul_floor_is_stated_on_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # 3800 km long-haul economy: 3800 x (0.11704 + 0.02461) = 538.27 kg, below the longest
    # short-haul flight: 3700 x (0.12576 + 0.02249) = 548.525 kg
    _airports_on_equator(monkeypatch, km_apart=3800)
    result = calculator.calculate_line(
        ACTIVITY.validate_python({"type": "flight", "from": "AAA", "to": "BBB"}),
        calculator.Context(FACTORS),
    )
    assert result.details["band"] == "long_haul"
    assert result.g == parts(D(3700) * D("0.12576"), D(3700) * D("0.02249"))
    assert "long_haul_floor" in result.notes
    # far enough that DESNZ's own long-haul figure is higher: no floor, no note
    _airports_on_equator(monkeypatch, km_apart=6000)
    far = calculator.calculate_line(
        ACTIVITY.validate_python({"type": "flight", "from": "AAA", "to": "BBB"}),
        calculator.Context(FACTORS),
    )
    assert "long_haul_floor" not in far.notes
    assert far.g == parts(D(6000) * D("0.11704"), D(6000) * D("0.02461"))


def test_a_tiny_line_shows_at_least_one_gram() -> None:
    # 0.01 km of metro: 0.01 x 0.15706 x 0.1564 = 0.000246 kg, which rounds to 0 g
    tiny = line({"type": "metro", "km": 0.01, "grid": "CN-SC"})
    assert tiny.g == 1 and "at_least_1g" in tiny.notes


def test_two_codes_of_one_airport_are_refused_naming_to() -> None:
    with pytest.raises(ValidationError) as err:
        ACTIVITY.validate_python({"type": "flight", "from": "BSL", "to": "MLH"})
    (error,) = err.value.errors()
    assert error["loc"][-1] == "to" and "same airport" in error["msg"]


@pytest.mark.parametrize(
    ("activity", "field"),
    [
        ({"type": "car", "km": 10, "occupants": 10}, "occupants"),
        ({"type": "car", "km": 10, "occupants": 0}, "occupants"),
        ({"type": "taxi", "km": 10, "occupants": 9}, "occupants"),
        ({"type": "motorcycle", "km": 10, "occupants": 3}, "occupants"),
        ({"type": "flight", "from": "PEK", "to": "CTU", "travellers": 0}, "travellers"),
        ({"type": "car", "km": 10, "grid": "cn-sc"}, "grid"),
        ({"type": "car", "km": 10, "passengers": 2}, "passengers"),
        ({"type": "rail", "km": 0}, "km"),
    ],
)
def test_implausible_people_and_grids_are_refused_naming_the_field(activity: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        ACTIVITY.validate_python(activity)
    assert err.value.errors()[0]["loc"][-1] == field


def test_more_travellers_than_occupants_is_refused_naming_occupants() -> None:
    with pytest.raises(ValidationError, match="cannot exceed the occupants") as err:
        ACTIVITY.validate_python({"type": "car", "km": 10, "occupants": 2, "travellers": 3})
    assert err.value.errors()[0]["loc"][-1] == "occupants"


@pytest.mark.parametrize(
    ("activity", "field"),
    [
        ({"type": "car", "km": 5, "fuel": "petrol", "grid": "CN-XX"}, "activities[0].grid"),
        ({"type": "rail", "km": 5, "service": "high_speed", "grid": "CN-QQ"}, "activities[0].grid"),
        ({"type": "rail", "km": 5, "country": "ZZ"}, "activities[0].country"),
    ],
)
def test_a_grid_or_country_is_checked_even_where_it_goes_unused(activity: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        calculator.calculate([ACTIVITY.validate_python(activity)], calculator.Context(FACTORS))
    assert err.value.field == field


def test_a_stored_2025_1_flight_between_two_codes_of_one_airport_still_reads() -> None:
    flight = ACTIVITY.validate_python(
        {"type": "flight", "from": "BSL", "to": "MLH", "passengers": 1},
        context={"stored": True},
    )
    assert (flight.origin, flight.destination) == ("BSL", "MLH")


def test_unknown_grid_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        calculator.calculate(
            [ACTIVITY.validate_python({"type": "metro", "km": 5, "grid": "CN-XZ"})],
            calculator.Context(FACTORS),
        )
    assert err.value.field == "activities[0].grid" and "CN-SC" in err.value.detail


def test_passengers_of_2025_1_read_back_with_their_old_meaning() -> None:
    stored = {"context": {"stored": True}}
    car = ACTIVITY.validate_python({"type": "car", "km": 30, "passengers": 3}, **stored)  # type: ignore[arg-type]
    flight = ACTIVITY.validate_python(
        {"type": "flight", "from": "PEK", "to": "CTU", "passengers": 3},
        **stored,  # type: ignore[arg-type]
    )
    assert car.people() == (1, 3)  # the car was shared by three, one person counted
    assert flight.people() == (3, 1)  # three seats counted
    assert ACTIVITY.dump_python(car, by_alias=True)["passengers"] == 3


def test_diet_over_a_month_uses_thirty_days() -> None:
    assert line({"type": "diet", "diet": "vegan"}, period_days=30).g == grams("86.7")  # 30 x 2.89


def test_great_circle_distance_of_pek_ctu() -> None:
    from carbonneutral.domain.geo import find_airport, great_circle_km

    pek, ctu = find_airport("PEK"), find_airport("CTU")
    assert pek and ctu
    assert great_circle_km(pek.lat, pek.lon, ctu.lat, ctu.lon) == pytest.approx(1556.1, abs=0.1)


def test_hotel_in_a_country_without_a_factor_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        calculator.calculate(
            [ACTIVITY.validate_python({"type": "hotel", "nights": 1, "country": "ZZ"})],
            calculator.Context(FACTORS),
        )
    assert err.value.field == "activities[0].country"


def test_car_km_equivalent_counts_the_petrol_car_as_the_footprint_is_counted() -> None:
    # 0.16272 + 0.04599 = 0.20871 kg per km with its fuel's supply, 0.16272 without
    assert calculator.car_km_equivalent(208_710, FACTORS) == D("1000.0")
    assert calculator.car_km_equivalent(162_720, FACTORS, well_to_tank=False) == D("1000.0")


def test_a_set_of_the_old_method_is_not_used_for_new_footprints() -> None:
    with pytest.raises(ValueError, match="method 1"):
        calculator.Context(load_factor_set("2025.1"))


def _airports_on_equator(
    monkeypatch: pytest.MonkeyPatch, km_apart: float, countries: tuple[str, str] = ("GB", "US")
) -> None:
    import math

    from carbonneutral.domain import activities, geo
    from carbonneutral.domain.geo import EARTH_MEAN_RADIUS_KM, Airport

    degrees = math.degrees(km_apart / EARTH_MEAN_RADIUS_KM)
    table = {
        "AAA": Airport("AAA", "A", "A", countries[0], 0.0, 0.0),
        "BBB": Airport("BBB", "B", "B", countries[1], 0.0, degrees),
    }
    monkeypatch.setattr(geo, "find_airport", table.get)
    monkeypatch.setattr(calculator, "find_airport", table.get)
    monkeypatch.setattr(activities, "find_airport", table.get)

    def km(origin: str, destination: str) -> float | None:  # as geo.airports_km, on this table
        a, b = table.get(origin), table.get(destination)
        return geo.great_circle_km(a.lat, a.lon, b.lat, b.lon) if a and b else None

    for module in (geo, calculator, activities):
        monkeypatch.setattr(module, "airports_km", km)


# Every factor of 2025.2 that is new or changed, as its source publishes it, checked against the
# shipped set by one hand-computed case each: 1000 units of activity.
PUBLISHED_GRIDS = {  # MEE/NBS notice 2025 No. 47, kg CO2/kWh, 2023: table 1, table 2, table 3
    "CN": "0.5306",
    "CN-N": "0.6361",
    "CN-NE": "0.5122",
    "CN-E": "0.5500",
    "CN-C": "0.5271",
    "CN-NW": "0.5543",
    "CN-S": "0.4042",
    "CN-SW": "0.2472",
    "CN-BJ": "0.5554",
    "CN-TJ": "0.6796",
    "CN-HE": "0.6516",
    "CN-SX": "0.6634",
    "CN-NM": "0.6479",
    "CN-LN": "0.4878",
    "CN-JL": "0.4671",
    "CN-HL": "0.5229",
    "CN-SH": "0.5737",
    "CN-JS": "0.5827",
    "CN-ZJ": "0.4974",
    "CN-AH": "0.6553",
    "CN-FJ": "0.4211",
    "CN-JX": "0.5836",
    "CN-SD": "0.6191",
    "CN-HA": "0.5897",
    "CN-HB": "0.4044",
    "CN-HN": "0.4976",
    "CN-GD": "0.4419",
    "CN-GX": "0.4476",
    "CN-HI": "0.3648",
    "CN-CQ": "0.5581",
    "CN-SC": "0.1564",
    "CN-GZ": "0.5683",
    "CN-YN": "0.1333",
    "CN-SN": "0.6335",
    "CN-GS": "0.4471",
    "CN-QH": "0.1796",
    "CN-NX": "0.6187",
    "CN-XJ": "0.6021",
}
PUBLISHED_WTT = {  # DESNZ 2025 well-to-tank rows, kg CO2e per unit of the factor they go with
    "flight.domestic.average": "0.0335",
    "flight.short_haul.average": "0.02286",
    "flight.short_haul.economy": "0.02249",
    "flight.short_haul.business": "0.03373",
    "flight.long_haul.average": "0.03213",
    "flight.long_haul.economy": "0.02461",
    "flight.long_haul.premium_economy": "0.03937",
    "flight.long_haul.business": "0.07137",
    "flight.long_haul.first": "0.09844",
    "flight.international.average": "0.02162",
    "flight.international.economy": "0.01656",
    "flight.international.premium_economy": "0.02649",
    "flight.international.business": "0.04802",
    "flight.international.first": "0.06623",
    "car.diesel": "0.04146",
    "car.petrol": "0.04599",
    "car.hybrid": "0.03315",
    "car.unknown": "0.04399",
    "motorcycle.average": "0.02956",
    "taxi.regular": "0.05176",
    "bus.local": "0.02649",
    "bus.coach": "0.00656",
    "rail.national": "0.00897",
    "rail.high_speed": "0.00897",
    "rail.international": "0.00117",
    "rail.light_rail": "0.00749",
    "gas.natural_gas.m3": "0.3366",
    "gas.natural_gas.kwh": "0.03021",
    "gas.lpg.litre": "0.18551",
    "gas.lpg.kg": "0.34929",
    "fuel.jet.kg": "0.66179",
}


@pytest.mark.parametrize(("grid", "published"), sorted(PUBLISHED_GRIDS.items()))
def test_every_grid_factor_is_the_published_one(grid: str, published: str) -> None:
    # 1000 kWh x the published factor
    assert line({"type": "electricity", "kwh": 1000, "grid": grid}).g == grams(D(1000) * D(published))
    assert FACTORS.factor(f"electricity.{grid}").year == 2023


@pytest.mark.parametrize(("key", "published"), sorted(PUBLISHED_WTT.items()))
def test_every_well_to_tank_part_is_the_published_one(key: str, published: str) -> None:
    factors = [k for k in FACTORS.factors if k in (key, f"{key}.with_rf", f"{key}.without_rf")]
    assert factors, key
    for found in factors:  # with and without radiative forcing: the same upstream part
        wtt = FACTORS.factor(found).wtt
        assert wtt is not None and wtt.value * 1000 == D(published) * 1000, found


def test_the_derived_energy_figures_are_their_derivations() -> None:
    assert FACTORS.factor("car.electric.energy").value == (D("15.1") / D("0.85") / 100).quantize(D("0.00001"))
    assert FACTORS.factor("metro.CN.energy").value == (D("0.02780") / D("0.177")).quantize(D("0.00001"))
    assert FACTORS.factor("rail.light_rail.CN").value == (D("0.02860") / D("0.177")).quantize(D("0.00001"))
    assert FACTORS.factor("rail.national.CN").value == D("3.64") / 100
    assert FACTORS.factor("flight.cn_domestic.fuel").value == D("0.285") * D("0.1")
    assert FACTORS.factor("flight.cn_domestic.rf").value == D("1.7") - 1
    assert FACTORS.parameter("car.plug_in_hybrid.electric_share") == D("0.53")
