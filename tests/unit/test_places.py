"""Places picked by name: the airport and city tables, the search over them, and road and rail
distances between two cities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from carbonneutral.domain import activities as a
from carbonneutral.domain.geo import find_airport, great_circle_km
from carbonneutral.domain.places import (
    airports,
    capitals,
    cities,
    city,
    find_city,
    route,
    search_airports,
)
from pydantic import ValidationError


def test_the_tables_ship_their_sources_and_cover_what_they_promise() -> None:
    assert len(airports()) >= 100 and len(capitals()) == 31
    for airport in airports():
        known = find_airport(airport.iata)  # every code is one the calculator can fly
        assert known is not None and known.country == "CN", airport.iata
        assert airport.name["zh-CN"].endswith("机场") and airport.name["en"], airport.iata
    ids = [c.city_id for c in cities()]
    assert len(ids) == len(set(ids))
    for c in cities():  # GeoNames points, all within mainland China's extent
        assert 18 < c.lat < 54 and 73 < c.lon < 135, c.city_id


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("北京", {"PEK", "PKX"}),
        ("Beijing", {"PEK", "PKX"}),
        ("成都天府", {"TFU"}),
        ("成都", {"CTU", "TFU"}),
        ("pkx", {"PKX"}),
        ("  上海 虹桥 ", set()),  # spaces inside a Chinese name are not in it
        ("上海虹桥", {"SHA"}),
        ("成都天府国际机场 TFU", {"TFU"}),  # a picker's label
        ("Chengdu Tianfu International Airport TFU", {"TFU"}),
        ("Kunming", {"KMG"}),
        ("", set()),
    ],
)
def test_a_name_in_either_language_finds_its_airports(typed: str, codes: set[str]) -> None:
    assert {found.iata for found in search_airports(typed)} == codes


def test_a_city_is_found_by_id_name_or_label() -> None:
    chengdu = city("chengdu")
    for typed in ("chengdu", "成都", "成都市", "Chengdu", " CHENGDU ", "成都 · 四川省", "Chengdu · Sichuan"):
        assert find_city(typed) == chengdu, typed
    assert find_city("Atlantis") is None


def test_a_route_is_the_straight_line_times_the_modes_detour() -> None:
    chengdu, chongqing = city("chengdu"), city("chongqing")
    assert chengdu and chongqing
    straight = great_circle_km(chengdu.lat, chengdu.lon, chongqing.lat, chongqing.lon)
    rail, road = route(chengdu, chongqing, "rail"), route(chengdu, chongqing, "car")
    assert rail.great_circle_km == Decimal("269.3") == Decimal(str(round(straight, 1)))
    assert (rail.detour, rail.km) == (Decimal("1.2"), Decimal("323.2"))  # 269.3 × 1.2
    assert (road.detour, road.km) == (Decimal("1.5"), Decimal("404.0"))  # 269.3 × 1.5 (rounded from 403.95)


def test_a_trip_given_by_cities_gets_its_km_and_keeps_its_cities() -> None:
    train = a.Rail.model_validate({"type": "rail", "from": "成都", "to": "Chongqing"})
    assert (train.origin, train.destination, train.km) == ("chengdu", "chongqing", 323.2)
    coach = a.Bus.model_validate({"type": "bus", "service": "coach", "from": "chengdu", "to": "chongqing"})
    assert coach.km == 404.0
    assert a.Car.model_validate({"type": "car", "km": 12}).route() is None
    dumped = train.model_dump(by_alias=True)
    assert dumped["from"] == "chengdu" and dumped["km"] == 323.2
    # a stored line reads back as it was stored, even with both km and cities
    stored = a.Rail.model_validate(dumped, context={"stored": True})
    assert stored == train


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"type": "rail"}, "km", "give the distance in km, or the cities"),
        ({"type": "rail", "from": "成都"}, "km", "needs both 'from' and 'to'"),
        ({"type": "car", "to": "成都"}, "km", "needs both 'from' and 'to'"),
        ({"type": "bus", "from": "成都", "to": "成都市"}, "to", "the same city"),
        ({"type": "rail", "from": "Atlantis", "to": "成都"}, "from", "not a city this calculator knows"),
        ({"type": "car", "from": "成都", "to": "重庆", "km": 300}, "km", "not both"),
    ],
)
def test_a_trip_needs_its_km_or_two_known_different_cities(
    body: dict[str, object], field: str, says: str
) -> None:
    model = {"rail": a.Rail, "car": a.Car, "bus": a.Bus}[str(body["type"])]
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    error = raised.value.errors()[0]
    assert error["loc"] == (field,) and says in error["msg"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("张三", "张*"),
        ("张", "张*"),
        ("欧阳娜娜", "欧**"),
        ("Alice Smith", "A**"),
        ("  李\u200b雷 ", "李*"),
        ("🐼熊猫", "🐼**"),
    ],
)
def test_a_persons_name_is_masked_on_public_lists_unless_shown_in_full(name: str, shown: str) -> None:
    from carbonneutral.domain.orders import Beneficiary

    assert Beneficiary(name=name).public_name() == shown
    assert Beneficiary(name=name, full_name=True).public_name() == name
    assert Beneficiary(name=name, kind="organization").public_name() == name
    assert Beneficiary(name=name, hidden=True, full_name=True).public_name() is None
