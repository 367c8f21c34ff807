"""The request contract: what is refused, and which field the refusal names."""

from __future__ import annotations

import pytest
from carbonneutral.domain.footprints import FootprintRequest
from carbonneutral.web.problems import field_errors
from pydantic import ValidationError


def errors_of(payload: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        FootprintRequest.model_validate(payload)
    return {e.field: e.message for e in field_errors(err.value.errors())}


def scene(*acts: dict) -> dict:
    return {"kind": "scene", "scene_id": "cdcnf-2021", "activities": list(acts)}


def test_unknown_airport_is_named() -> None:
    errors = errors_of(scene({"type": "flight", "from": "XQZ", "to": "CTU"}))
    assert "unknown IATA airport code 'XQZ'" in errors["activities[0].from"]


def test_same_airport_both_ends_is_refused() -> None:
    assert "activities[0].to" in errors_of(scene({"type": "flight", "from": "CTU", "to": "CTU"}))


def test_two_codes_of_one_airport_name_the_to_field() -> None:
    errors = errors_of(scene({"type": "flight", "from": "BSL", "to": "MLH"}))
    assert "codes of the same airport" in errors["activities[0].to"]


def test_the_retired_passengers_field_is_refused_naming_it() -> None:
    errors = errors_of(scene({"type": "car", "km": 12, "passengers": 2}))
    assert "use travellers" in errors["activities[0].passengers"]


def test_travellers_beyond_the_occupants_are_refused() -> None:
    errors = errors_of(scene({"type": "taxi", "km": 12, "occupants": 2, "travellers": 4}))
    assert any("cannot exceed the occupants" in m for m in errors.values())


def test_an_implausible_occupant_count_names_its_field() -> None:
    assert "activities[0].occupants" in errors_of(scene({"type": "car", "km": 12, "occupants": 12}))
    assert "activities[0].occupants" in errors_of(scene({"type": "car", "km": 12, "occupants": 0}))


def test_negative_nights_are_refused() -> None:
    assert "activities[0].nights" in errors_of(scene({"type": "hotel", "nights": -2}))


def test_unknown_activity_type_names_the_type_field() -> None:
    assert "activities[1].type" in errors_of(
        scene({"type": "meal", "count": 1}, {"type": "teleport", "km": 3})
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1, 0, 1e9])
def test_distance_must_be_a_sensible_positive_number(bad: float) -> None:
    assert "activities[0].km" in errors_of(scene({"type": "rail", "km": bad}))


def test_unknown_fields_are_refused_not_ignored() -> None:
    assert "activities[0].colour" in errors_of(scene({"type": "meal", "count": 1, "colour": "red"}))


def test_gas_unit_must_fit_the_fuel() -> None:
    assert "activities[0]" in errors_of(scene({"type": "gas", "fuel": "lpg", "amount": 3, "unit": "m3"}))


def test_scene_footprint_needs_a_scene() -> None:
    assert any(
        "scene_id is required" in m
        for m in errors_of({"kind": "scene", "activities": [{"type": "meal", "count": 1}]}).values()
    )


def test_life_footprint_needs_a_period() -> None:
    assert any(
        "period is required" in m
        for m in errors_of({"kind": "life", "activities": [{"type": "meal", "count": 1}]}).values()
    )


def test_at_least_one_and_at_most_fifty_activities() -> None:
    assert "activities" in errors_of(scene())
    assert "activities" in errors_of(scene(*[{"type": "meal", "count": 1}] * 51))


def test_airport_codes_are_case_insensitive() -> None:
    request = FootprintRequest.model_validate(scene({"type": "flight", "from": "pek", "to": "ctu"}))
    assert request.activities[0].origin == "PEK"  # type: ignore[union-attr]
