"""Contract fuzzing: every operation of the served OpenAPI document, 100 generated requests
each, through the local gateway: no server error, every answer as documented."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from infrastructure.template import ROOT

pytestmark = pytest.mark.reliability

DOCUMENT = json.loads((ROOT / "shared/carbonneutral/data/openapi.json").read_text(encoding="utf-8"))
OPERATIONS = [f"{method.upper()} {path}" for path, ops in DOCUMENT["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def operations(stack) -> dict[str, object]:
    schema = schemathesis.openapi.from_url(f"{stack.url}/v1/openapi.json")
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_keeps_its_contract(operations, label: str) -> None:
    operation = operations[label]

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case) -> None:
        # Whether an airport, scene or project exists is beyond what a schema can say: such
        # requests get a documented 422 naming the field, and every other check still applies.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
