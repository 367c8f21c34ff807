"""Mapping between domain models and DynamoDB items (low-level attribute values)."""

from __future__ import annotations

import base64
import json
from typing import Any

from carbonneutral.errors import InvalidInput

SCHEMA_VERSION = 1


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | float | str) -> dict[str, str]:
    return {"N": str(value)}


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, expected_keys: set[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, dict) or set(key) != expected_keys:
            raise ValueError("wrong keys")
        if not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values()):
            raise ValueError("wrong values")
    except ValueError as exc:  # binascii.Error and JSONDecodeError are ValueErrors
        raise InvalidInput("cursor is not one this API issued", field="cursor", location="query") from exc
    return key
