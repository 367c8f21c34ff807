"""Footprints are stored whole and read back exactly; an id is never overwritten."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintRequest, compute, new_footprint_id
from carbonneutral.errors import Conflict
from carbonneutral.store.footprints import DynamoFootprintRepository

from tests.factories import DEMO_FOOTPRINT

pytestmark = pytest.mark.integration


def make_footprint():
    request = FootprintRequest.model_validate(DEMO_FOOTPRINT)
    return compute(
        request,
        load_factor_set(),
        radiative_forcing=True,
        footprint_id=new_footprint_id(),
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
    )


def test_footprint_reads_back_exactly(stack) -> None:
    repo = DynamoFootprintRepository(stack.table, stack.dynamodb_client())
    footprint = make_footprint()
    repo.add(footprint)
    assert repo.get(footprint.footprint_id) == footprint


def test_an_existing_footprint_is_never_overwritten(stack) -> None:
    repo = DynamoFootprintRepository(stack.table, stack.dynamodb_client())
    footprint = make_footprint()
    repo.add(footprint)
    with pytest.raises(Conflict):
        repo.add(footprint.model_copy(update={"total_g": 1}))
    assert repo.get(footprint.footprint_id).total_g == footprint.total_g


def test_missing_footprint_is_none(stack) -> None:
    assert (
        DynamoFootprintRepository(stack.table, stack.dynamodb_client()).get("fp_doesnotexist00000000") is None
    )
