"""Static assets shipped in the layer, served with long cache lifetimes."""

from __future__ import annotations

from functools import cache
from importlib import resources

TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".js": "text/javascript; charset=utf-8"}


@cache
def asset(name: str) -> tuple[str, str] | None:
    """(content, content type) of a shipped asset, or None; names are looked up, never joined."""
    files = {p.name: p for p in resources.files("carbonneutral.web").joinpath("static").iterdir()}
    path = files.get(name)
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if path is None or suffix not in TYPES:
        return None
    return path.read_text(encoding="utf-8"), TYPES[suffix]
