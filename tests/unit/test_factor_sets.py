"""Factor sets are data with provenance: every factor cites a source and a licence."""

from __future__ import annotations

import pytest
from carbonneutral.domain.factors import available_versions, load_factor_set


def test_newest_set_is_loaded_by_default() -> None:
    assert load_factor_set().version == available_versions()[-1]


def test_every_factor_has_unit_source_and_licence() -> None:
    factor_set = load_factor_set()
    for key, factor in factor_set.factors.items():
        source = factor_set.source_of(factor)
        assert factor.unit and factor.table, key
        assert source.licence and source.publisher and source.year, key


def test_unknown_version_is_refused() -> None:
    with pytest.raises(KeyError):
        load_factor_set("1999.1")


def test_every_activity_kind_has_its_factors() -> None:
    keys = set(load_factor_set().factors)
    for prefix in (
        "flight.international.",
        "flight.short_haul.",
        "flight.long_haul.",
        "flight.domestic.",
        "rail.",
        "car.",
        "bus.",
        "taxi.",
        "metro.",
        "motorcycle.",
        "hotel.",
        "meal.",
        "diet.",
        "electricity.",
        "gas.",
        "shopping.",
    ):
        assert any(k.startswith(prefix) for k in keys), prefix


def test_chinese_official_grid_factor_is_used_for_china() -> None:
    factor = load_factor_set().factor("electricity.CN")
    assert str(factor.value) == "0.5306"
    assert "Ministry of Ecology and Environment" in load_factor_set().source_of(factor).publisher


def test_the_current_set_is_2025_2_and_2025_1_stays_readable() -> None:
    current, old = load_factor_set(), load_factor_set("2025.1")
    assert (current.version, current.method, current.methodology) == ("2025.2", 2, "/methodology")
    assert old.method == 1 and str(old.factor("electricity.CN-SC").value) == "0.1404"


def test_every_factor_states_its_gases_and_boundary() -> None:
    for key, factor in load_factor_set().factors.items():
        assert factor.basis in {"CO2", "CO2e"}, key
        assert factor.boundary is not None, key
        assert factor.basis == factor.gases(), key


def test_every_desnz_combustion_factor_has_its_well_to_tank_part() -> None:
    factor_set = load_factor_set()
    for key, factor in factor_set.factors.items():
        # radiative forcing adds warming, not fuel: the fuel's supply is counted once, on the fuel
        if (
            factor.source == "desnz-2025"
            and factor.boundary == "combustion"
            and key != "flight.cn_domestic.rf"
        ):
            assert factor.wtt is not None and factor.wtt.value > 0, key
            assert factor_set.source_of(factor.wtt).publisher.startswith("UK Department"), key


def test_china_grid_factors_are_2023_national_regional_and_provincial() -> None:
    factor_set = load_factor_set()
    grids = factor_set.grids()
    assert len(grids) == 1 + 7 + 30 and "CN-XZ" not in grids  # Tibet has no published factor
    for grid in grids:
        factor = factor_set.factor(f"electricity.{grid}")
        assert (factor.year, factor.basis, factor.boundary) == (2023, "CO2", "generation"), grid
        assert "公告2025年第47号" in factor_set.source_of(factor).title
    assert str(factor_set.factor("electricity.CN-SC").value) == "0.1564"  # Sichuan, 2023 (table 3)


def test_the_pages_name_every_grid_the_factor_set_ships() -> None:
    from carbonneutral.web.texts import GRID_NAMES

    assert sorted(GRID_NAMES) == load_factor_set().grids()


def test_every_parameter_says_where_it_comes_from() -> None:
    factor_set = load_factor_set()
    assert set(factor_set.parameter_notes) == set(factor_set.parameters)
