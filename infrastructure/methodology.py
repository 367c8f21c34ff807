"""Prints docs/methodology.md from the methodology text and the newest shipped factor set."""

from __future__ import annotations

from carbonneutral.domain.factors import load_factor_set
from carbonneutral.web.methodology import markdown


def render() -> str:
    return markdown(load_factor_set())


if __name__ == "__main__":
    print(render(), end="")
