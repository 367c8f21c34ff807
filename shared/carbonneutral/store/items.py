"""Mapping between domain models and DynamoDB items (low-level attribute values)."""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1


def footprint_key(footprint_id: str) -> dict[str, Any]:
    """A stored footprint's key (here, not in store.footprints, so the ledger reads footprints without
    importing the calculator their model brings)."""
    return {"PK": s(f"FOOTPRINT#{footprint_id}"), "SK": s("FOOTPRINT")}


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | float | str) -> dict[str, str]:
    return {"N": str(value)}
