"""Timestamped HMAC-SHA256 signatures (the scheme Stripe uses, and the sandbox too)."""

from __future__ import annotations

import hashlib
import hmac
import time

from carbonneutral.errors import InvalidSignature

TOLERANCE_S = 300


def sign(secret: str, body: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: str, body: str, header: str | None, *, now: float | None = None, tolerance: int = TOLERANCE_S
) -> None:
    if not header:
        raise InvalidSignature("the signature header is missing", field="signature", location="header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as exc:
        raise InvalidSignature(
            "the signature has no timestamp", field="signature", location="header"
        ) from exc
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature(
            "the signature is too old or from the future", field="signature", location="header"
        )
    expected = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise InvalidSignature("the signature does not match", field="signature", location="header")
