"""Builds the public OpenAPI document from every function's resolver and its models.

The document is committed (shared/carbonneutral/data/openapi.json) so that changes to the
contract show up in review; a test fails when it and the code disagree.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from infrastructure.template import routes

TITLE = "Carbon-neutral platform API"
VERSION = "1.0.0"
_UNUSED = ("HTTPValidationError", "ValidationError")


def build() -> dict[str, Any]:
    document: dict[str, Any] = {"openapi": "3.1.0", "info": {}, "paths": {}, "components": {"schemas": {}}}
    for module_name in sorted({r.handler.rsplit(".", 1)[0] for r in routes()}):
        app = importlib.import_module(module_name).app
        part = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        document["openapi"] = part["openapi"]
        document["info"] = part["info"]
        for path, operations in part.get("paths", {}).items():
            # Functions share paths (GET /v1/scenes is calculate's, POST organize's): merge, never replace.
            document["paths"].setdefault(path, {}).update(operations)
        document["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    for name in _UNUSED:
        document["components"]["schemas"].pop(name, None)
    document["info"]["description"] = (
        "JSON over HTTPS. CO2e amounts are grams (integers, *_g) or kilograms (*_kg); errors are "
        "application/problem+json (RFC 9457) naming the offending fields."
    )
    document["paths"] = dict(sorted(document["paths"].items()))
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
