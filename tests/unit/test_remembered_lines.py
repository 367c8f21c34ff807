"""A footprint's lines are remembered for the next footprint with the same activity in the same
context: what comes back must be exactly what working the line out afresh gives."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from carbonneutral.domain import calculator, footprints
from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintRequest, compute
from carbonneutral.errors import InvalidInput

FACTORS = load_factor_set("2025.2")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ACTIVITIES: list[dict[str, Any]] = [
    {"type": "flight", "from": "PEK", "to": "CTU", "cabin": "business", "round_trip": True},
    {"type": "flight", "from": "LHR", "to": "JFK"},
    {"type": "rail", "km": 120, "service": "high_speed", "country": "CN"},
    {"type": "car", "km": 30, "fuel": "petrol"},
    {"type": "electricity", "kwh": 200, "grid": "CN"},
    {"type": "diet", "diet": "vegan"},  # its days come from the period
    {"type": "meal", "count": 3, "diet": "meat"},
]
SETTINGS = list(itertools.product([True, False], [True, False], ["cn", "desnz"], ["month", "year"]))


def _footprint(period: str, rf: bool, wtt: bool, method: Any, factors: Any = FACTORS) -> str:
    request = FootprintRequest.model_validate({"kind": "life", "period": period, "activities": ACTIVITIES})
    footprint = compute(
        request,
        factors,
        radiative_forcing=rf,
        well_to_tank=wtt,
        flight_method=method,
        footprint_id="fp_test",
        created_at=NOW,
    )
    return footprint.model_dump_json()


@pytest.fixture
def lines_worked_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget what earlier tests left, and count the lines worked out (not remembered)."""
    footprints.forget_lines()
    worked: list[str] = []
    line_at = calculator.line_at

    def counting(index: int, activity: Any, ctx: calculator.Context) -> calculator.Line:
        worked.append(activity.type)
        return line_at(index, activity, ctx)

    monkeypatch.setattr(calculator, "line_at", counting)
    yield worked
    footprints.forget_lines()


def test_every_setting_that_changes_a_line_keeps_its_own_lines(lines_worked_out: list[str]) -> None:
    afresh = {}
    for rf, wtt, method, period in SETTINGS:
        footprints.forget_lines()
        afresh[rf, wtt, method, period] = _footprint(period, rf, wtt, method)
    footprints.forget_lines()
    lines_worked_out.clear()
    for rf, wtt, method, period in SETTINGS:  # one after the other, each remembering its lines
        assert _footprint(period, rf, wtt, method) == afresh[rf, wtt, method, period], (
            rf,
            wtt,
            method,
            period,
        )
    assert len(lines_worked_out) == len(SETTINGS) * len(ACTIVITIES)
    assert len(set(afresh.values())) == len(SETTINGS)  # each setting does change the footprint


def test_the_same_activities_again_are_remembered_not_worked_out(lines_worked_out: list[str]) -> None:
    first = _footprint("year", True, True, "cn")
    assert len(lines_worked_out) == len(ACTIVITIES)
    again = _footprint("year", True, True, "cn")  # a new request, its activities equal, not the same
    assert again == first
    assert len(lines_worked_out) == len(ACTIVITIES)
    # one field different: only that line is worked out
    ACTIVITIES[3] = {**ACTIVITIES[3], "km": 31}
    try:
        other = _footprint("year", True, True, "cn")
    finally:
        ACTIVITIES[3] = {**ACTIVITIES[3], "km": 30}
    assert other != first
    assert lines_worked_out[len(ACTIVITIES) :] == ["car"]


def test_a_factor_set_with_other_figures_never_gets_another_sets_lines(lines_worked_out: list[str]) -> None:
    petrol = FACTORS.factors["car.petrol"]
    doubled = FACTORS.model_copy(
        update={
            "factors": {
                **FACTORS.factors,
                "car.petrol": petrol.model_copy(update={"value": petrol.value * 2}),
            }
        }
    )
    assert doubled.version == FACTORS.version
    usual = compute_car(FACTORS)
    assert compute_car(doubled) > usual
    assert compute_car(FACTORS) == usual


def test_a_factor_set_with_other_figures_cites_its_own_factors(lines_worked_out: list[str]) -> None:
    """The factor a line cites (its value, as the page shows it) comes from the set the line was
    worked out with, even where another set of the same version cited that factor first."""
    petrol = FACTORS.factors["car.petrol"]
    doubled = FACTORS.model_copy(
        update={
            "factors": {
                **FACTORS.factors,
                "car.petrol": petrol.model_copy(update={"value": petrol.value * 2}),
            }
        }
    )
    assert _car_line(FACTORS).factor.value == float(petrol.value)
    assert _car_line(doubled).factor.value == float(petrol.value * 2)
    assert _car_line(FACTORS).factor.value == float(petrol.value)


def compute_car(factors: Any) -> int:
    return _car_line(factors).direct_g or 0


def _car_line(factors: Any) -> footprints.BreakdownItem:
    request = FootprintRequest.model_validate(
        {"kind": "scene", "scene_id": "s-1", "activities": [ACTIVITIES[3]]}
    )
    footprint = compute(request, factors, radiative_forcing=True, footprint_id="fp_test", created_at=NOW)
    return footprint.breakdown[0]


def test_remembered_lines_stay_bounded_and_the_oldest_goes_first(
    lines_worked_out: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(footprints, "REMEMBERED_LINES", 4)

    def meals(count: int) -> int:
        body = {
            "kind": "scene",
            "scene_id": "s-1",
            "activities": [{"type": "meal", "count": count, "diet": "vegan"}],
        }
        request = FootprintRequest.model_validate(body)
        return compute(
            request, FACTORS, radiative_forcing=True, footprint_id="fp_test", created_at=NOW
        ).total_g

    grams = [meals(count) for count in range(1, 11)]
    assert len(footprints._LINES) == 4
    assert len(lines_worked_out) == 10
    assert [meals(count) for count in (7, 8, 9, 10)] == grams[6:]  # the newest four: remembered
    assert len(lines_worked_out) == 10
    assert meals(1) == grams[0]  # the oldest was dropped: worked out again, the same
    assert len(lines_worked_out) == 11
    assert grams == sorted(set(grams))  # ten different lines


def test_a_refused_line_is_refused_every_time_and_never_remembered(lines_worked_out: list[str]) -> None:
    body = {
        "kind": "scene",
        "scene_id": "s-1",
        "activities": [ACTIVITIES[3], {"type": "electricity", "kwh": 5, "grid": "XX"}],
    }
    for _ in range(2):
        with pytest.raises(InvalidInput) as refused:
            compute(
                FootprintRequest.model_validate(body),
                FACTORS,
                radiative_forcing=True,
                footprint_id="fp_test",
                created_at=NOW,
            )
        assert refused.value.field == "activities[1].grid"
    assert footprints._LINES == {}  # nothing of a refused footprint, not even its good line


def test_an_activity_twice_in_one_footprint_is_remembered_once_and_drops_nothing(
    lines_worked_out: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(footprints, "REMEMBERED_LINES", 2)

    def footprint(*counts: int) -> int:
        meals = [{"type": "meal", "count": count, "diet": "vegan"} for count in counts]
        request = FootprintRequest.model_validate({"kind": "scene", "scene_id": "s-1", "activities": meals})
        return compute(
            request, FACTORS, radiative_forcing=True, footprint_id="fp_test", created_at=NOW
        ).total_g

    one = footprint(1)
    assert footprint(2, 2) == 2 * footprint(2)
    assert len(footprints._LINES) == 2 and lines_worked_out == ["meal", "meal", "meal"]
    assert footprint(1) == one  # still remembered: the second meal of 2 dropped nothing
    assert lines_worked_out == ["meal", "meal", "meal"]


def test_threads_making_the_same_context_at_once_share_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line is kept under its context's id: a context made twice for the same settings, one of them
    then dropped, would free an id that a context for other settings could take, with its lines."""

    class Racing(dict):  # every thread misses, as if none had stored its context yet
        def get(self, key: Any, default: Any = None) -> Any:
            return default

    monkeypatch.setattr(footprints, "_CONTEXTS", Racing())
    first = footprints._context(FACTORS, True, True, "cn", None)
    assert footprints._context(FACTORS, True, True, "cn", None) is first
