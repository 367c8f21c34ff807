"""Prints the layer's requirements, taken from pyproject.toml's runtime dependencies."""

from __future__ import annotations

import tomllib

from infrastructure.template import ROOT


def runtime_requirements() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


def render() -> str:
    lines = ["# Generated from pyproject.toml by `make requirements`; do not edit.", *runtime_requirements()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
