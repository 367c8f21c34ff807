"""Prints the layer's requirements: every runtime package, pinned to the version this venv runs.

pyproject.toml names the runtime dependencies with ranges; this walks their whole closure in the
installed environment and pins each package exactly. The layer is built from these pins and the
venv is installed with them as constraints, so the tests run the very versions that deploy.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement

from infrastructure.template import ROOT

# Lambda's interpreter: markers are evaluated for it, whatever runs this script.
LAMBDA_ENVIRONMENT = {
    **default_environment(),
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": "aarch64",
}


def runtime_requirements() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def closure(roots: list[str]) -> dict[str, str]:
    """Normalized name -> installed version, for the roots and everything they require at run time."""
    pinned: dict[str, str] = {}
    todo = [Requirement(r) for r in roots]
    while todo:
        requirement = todo.pop()
        name = _name(requirement.name)
        if name in pinned:
            continue
        version = metadata.version(requirement.name)
        if requirement.specifier and version not in requirement.specifier:
            raise SystemExit(f"{requirement.name} {version} is installed but {requirement} is required")
        pinned[name] = version
        for raw in metadata.requires(requirement.name) or []:
            child = Requirement(raw)
            extras = requirement.extras or {""}
            if child.marker is None or any(
                child.marker.evaluate({**LAMBDA_ENVIRONMENT, "extra": e})  # type: ignore[dict-item]
                for e in extras
            ):
                todo.append(child)
    return dict(sorted(pinned.items()))


def render() -> str:
    lines = [
        "# Generated from pyproject.toml and the installed venv by `make requirements`; do not edit.",
        "# Every runtime package, pinned: the layer is built from these and the venv installed with them.",
        *(f"{name}=={version}" for name, version in closure(runtime_requirements()).items()),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
