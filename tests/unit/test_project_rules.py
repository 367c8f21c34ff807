"""The rules of the rooms that import-linter cannot see: where exceptions live, how long the
ledger's modules and the handlers' entry points may grow, and what every operation documents."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from infrastructure.template import ROOT

LAYER = ROOT / "shared" / "carbonneutral"
FUNCTIONS = ROOT / "functions"


def exception_classes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {
                b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                for b in node.bases
            }
            if any(
                base.endswith(("Error", "Exception")) or base in {"Conflict", "NotFound", "Forbidden", "Busy"}
                for base in bases
            ):
                found.append(node.name)
    return found


def test_every_exception_of_the_layer_and_the_functions_lives_in_errors_py() -> None:
    elsewhere = {
        str(path.relative_to(ROOT)): names
        for path in [*LAYER.rglob("*.py"), *FUNCTIONS.rglob("*.py")]
        if path.name != "errors.py" and (names := exception_classes(path))
    }
    assert elsewhere == {}


@pytest.mark.parametrize("module", sorted((LAYER / "store" / "ledger").glob("*.py")), ids=lambda p: p.name)
def test_no_ledger_module_is_over_300_lines(module: Path) -> None:
    assert len(module.read_text(encoding="utf-8").splitlines()) <= 300


@pytest.mark.parametrize("app", sorted(FUNCTIONS.glob("*/app.py")), ids=lambda p: p.parent.name)
def test_each_handler_is_a_screen_long_and_only_wires_its_routers(app: Path) -> None:
    text = app.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 30
    tree = ast.parse(text)
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions == ["lambda_handler"]
    if app.parent.name != "sweeper":  # the sweeper is scheduled: it has no routes
        assert f"from {app.parent.name} import api, pages" in text
        assert "create_app(api.router, pages.router)" in text


def test_every_operation_has_a_summary_and_a_description() -> None:
    document = json.loads((LAYER / "data" / "openapi.json").read_text(encoding="utf-8"))
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if not operation.get("summary") or not operation.get("description")
    ]
    assert missing == []


def test_the_signed_certificate_is_a_typed_schema_in_the_document() -> None:
    document = json.loads((LAYER / "data" / "openapi.json").read_text(encoding="utf-8"))
    ok = document["paths"]["/v1/certificates/{certificate_id}"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/SignedCertificate"},
        {"$ref": "#/components/schemas/SignedEventCertificate"},
    ]
    schema = document["components"]["schemas"]["SignedCertificate"]
    assert {"signature", "kid", "serials", "schema"} <= set(schema["properties"])
    event = document["components"]["schemas"]["SignedEventCertificate"]
    assert {"signature", "kid", "level", "period", "neutralized_kg", "supersedes"} <= set(event["properties"])
