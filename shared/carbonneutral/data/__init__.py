"""Data shipped in the layer: factor sets and the committed OpenAPI document."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def openapi_document() -> str:
    return resources.files(__name__).joinpath("openapi.json").read_text(encoding="utf-8")
