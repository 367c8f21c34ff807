"""The local reading of CloudWatch Logs' metric filter patterns (infrastructure/local/logs.py): what
the template's filters count, and a refusal for any pattern it cannot read."""

from __future__ import annotations

import json

import pytest

from infrastructure.local.logs import matches

PATTERN = '{ $.message = "order not swept" }'


def test_an_equality_pattern_counts_the_json_lines_that_hold_the_value() -> None:
    line = json.dumps({"level": "WARNING", "message": "order not swept", "order_id": "ord_1"})
    assert matches(PATTERN, line)
    assert not matches(PATTERN, json.dumps({"message": "reservations swept", "released": 3}))
    assert not matches(PATTERN, json.dumps({"msg": "order not swept"}))  # another field
    assert not matches(PATTERN, "order not swept")  # not JSON: a JSON pattern skips it
    nested = '{ $.error.code = "SYSTEM_ERROR" && $.message = "order not swept" }'
    assert matches(nested, json.dumps({"message": "order not swept", "error": {"code": "SYSTEM_ERROR"}}))
    assert not matches(nested, json.dumps({"message": "order not swept", "error": "SYSTEM_ERROR"}))


@pytest.mark.parametrize(
    "pattern",
    ['"order not swept"', '{ $.message = "order*" }', "{ $.released > 0 }", '{ $.message != "x" }'],
)
def test_a_pattern_the_rehearsal_cannot_read_is_refused_not_guessed(pattern: str) -> None:
    with pytest.raises(ValueError, match="rehearsal"):
        matches(pattern, json.dumps({"message": "order not swept", "released": 1}))
