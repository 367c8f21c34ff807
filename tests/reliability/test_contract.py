"""Contract fuzzing: every operation of the served OpenAPI document, 100 generated requests
each, through the local gateway: no server error, every answer as documented. Requests carry a
valid organizer key, and half of those naming a scene or an order name the key's own scene or a
real order with its token, so the routes behind authentication are fuzzed past the 401 as well."""

from __future__ import annotations

import json
import secrets

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from infrastructure.template import ROOT
from tests.support import Http

pytestmark = pytest.mark.reliability

DOCUMENT = json.loads((ROOT / "shared/carbonneutral/data/openapi.json").read_text(encoding="utf-8"))
OPERATIONS = [f"{method.upper()} {path}" for path, ops in DOCUMENT["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def credentials(stack) -> dict[str, str]:
    made = stack.admin("create-organizer-key", "fuzz-organizer", "--name", "contract fuzzing")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    http = Http(stack.url)
    scene = http.post(
        "/v1/scenes",
        json_body={
            "kind": "conference",
            "name": {"zh-CN": "模糊测试", "en": "Fuzzing"},
            "city": {"zh-CN": "成都", "en": "Chengdu"},
            "lat": 30.66,
            "lon": 104.07,
            "expected_attendance": 10,
            "event_footprint_kg": 100,
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert scene.status == 201, scene.body
    order = http.post(
        "/v1/orders",
        json_body={"quantity_kg": 1, "project_id": "cdcer-sichuan-biogas", "beneficiary": {"name": "Fuzz"}},
        headers={"Idempotency-Key": "fuzz-" + secrets.token_hex(8)},
    )
    assert order.status == 201, order.body
    return {
        "key": key,
        "scene_id": scene.json()["scene_id"],
        "order_id": order.json()["order_id"],
        "token": order.json()["order_token"],
    }


def authenticated(case, credentials: dict[str, str]) -> None:
    """The organizer's key on every request; the key's own scene, or a real order and its token,
    in half of the requests that name one (the other half keep what was generated)."""
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {credentials['key']}"}
    parameters = case.path_parameters or {}
    ours = len(repr(sorted(parameters.items()))) % 2 == 0
    if "scene_id" in parameters and ours:
        parameters["scene_id"] = credentials["scene_id"]
    if "order_id" in parameters and ours and case.method.upper() == "GET":
        parameters["order_id"] = credentials["order_id"]
        case.headers["Authorization"] = f"Bearer {credentials['token']}"


@pytest.fixture(scope="module")
def operations(stack) -> dict[str, object]:
    schema = schemathesis.openapi.from_url(f"{stack.url}/v1/openapi.json")
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_keeps_its_contract(operations, credentials, label: str) -> None:
    operation = operations[label]

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case) -> None:
        # Whether an airport, scene or project exists is beyond what a schema can say: such
        # requests get a documented 422 naming the field, and every other check still applies.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])
        authenticated(case, credentials)
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
