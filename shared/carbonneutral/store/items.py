"""Mapping between domain models and DynamoDB items (low-level attribute values)."""

from __future__ import annotations

SCHEMA_VERSION = 1


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | float | str) -> dict[str, str]:
    return {"N": str(value)}
