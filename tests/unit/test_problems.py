"""problem+json details: field paths and a JSON reader that never crashes."""

from __future__ import annotations

import json

import pytest
from carbonneutral.web.problems import field_path, safe_json_loads


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "activities", 0, "flight", "from"), ("body", "activities[0].from")),
        (("body", "kind"), ("body", "kind")),
        (("query", "limit"), ("query", "limit")),
        (("path", "scene_id"), ("path", "scene_id")),
        (("body",), ("body", "body")),
    ],
)
def test_field_path_names_the_field_as_clients_wrote_it(loc: tuple, expected: tuple) -> None:
    assert field_path(loc) == expected


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, '{"n": ' + "9" * 5000 + "}", '{"x": NaN}', '{"x": -Infinity}', "{"],
)
def test_malformed_json_is_a_decode_error_not_a_crash(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        safe_json_loads(text)


def test_well_formed_json_reads_as_usual() -> None:
    assert safe_json_loads('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
