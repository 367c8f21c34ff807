"""What must agree across files: template ↔ handlers, OpenAPI ↔ code, layer ↔ pyproject."""

from __future__ import annotations

import importlib
import json
import re

from infrastructure import openapi, requirements, template
from infrastructure.template import ROOT


def _app_routes(module_name: str) -> set[tuple[str, str]]:
    app = importlib.import_module(module_name).app
    found = set()
    for route in app._static_routes + app._dynamic_routes:
        path = re.sub(r"<(\w+)>", r"{\1}", route.openapi_path)
        methods = route.method if isinstance(route.method, list | tuple) else [route.method]
        found |= {(m.upper(), path) for m in methods}
    return found


def test_every_template_route_is_served_by_its_handler_and_back() -> None:
    by_module: dict[str, set[tuple[str, str]]] = {}
    catch_all = [r for r in template.routes() if r.path == template.DEFAULT_ROUTE]
    # whatever no route matches goes to calculate, whose not-found answer is a page or problem+json
    assert [(r.method, r.handler) for r in catch_all] == [("ANY", "calculate.app.lambda_handler")]
    for route in template.routes():
        if route.path == template.DEFAULT_ROUTE:
            continue
        by_module.setdefault(route.handler.rsplit(".", 1)[0], set()).add((route.method, route.path))
    assert by_module, "template declares no routes"
    for module_name, declared in by_module.items():
        assert _app_routes(module_name) == declared, module_name


def test_committed_openapi_document_matches_the_code() -> None:
    committed = (ROOT / "shared/carbonneutral/data/openapi.json").read_text(encoding="utf-8")
    assert committed == openapi.render(), "run `make openapi` and commit the result"


def test_committed_methodology_matches_the_factor_set() -> None:
    from infrastructure import methodology

    committed = (ROOT / "docs/methodology.md").read_text(encoding="utf-8")
    assert committed == methodology.render(), "run `make methodology` and commit the result"


def test_every_operation_documents_its_problem_answers() -> None:
    document = json.loads(openapi.render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"422", "503"} <= codes, f"{method} {path}"
            for code in codes - {"200", "201"}:
                assert "application/problem+json" in operation["responses"][code]["content"], (
                    f"{method} {path} {code}"
                )


def test_layer_requirements_come_from_pyproject() -> None:
    committed = (ROOT / "shared/requirements.txt").read_text(encoding="utf-8")
    assert committed == requirements.render(), "run `make requirements` and commit the result"


def test_table_definition_comes_from_the_template() -> None:
    definition = template.table_definition()
    assert {k["AttributeName"] for k in definition["KeySchema"]} == {"PK", "SK"}
    assert [i["IndexName"] for i in definition["GlobalSecondaryIndexes"]] == ["GSI1", "GSI2"]
