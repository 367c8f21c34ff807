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
