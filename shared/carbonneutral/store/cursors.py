"""Page cursors: DynamoDB's LastEvaluatedKey sealed with AES-GCM under the `cursor-key` secret.

A client sees an opaque string that reveals nothing of the table's keys. The listing a cursor was
issued for (its purpose and query) is authenticated with it, so a cursor that was forged, cut,
re-encoded, sealed under another key or issued for another listing is refused with a 400 naming
the cursor and never reaches DynamoDB.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from carbonneutral.errors import InvalidCursor, NotConfigured

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_MIN_SECRET_CHARS = 32
_MAX_CURSOR_CHARS = 2048
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
PARAMETER = "cursor-key"  # the SSM parameter under SECRETS_PATH


class CursorCodec:
    """Seals and opens the cursors of one kind of listing (`purpose`, e.g. "scenes").

    `secret` is asked for each time a cursor is sealed or opened, so a rotated key reaches a warm
    container with the secret store's TTL (cursors sealed under the old key are then refused).
    """

    def __init__(self, secret: Callable[[], str], *, purpose: str) -> None:
        self._secret, self._purpose = secret, purpose

    def seal(self, last_key: dict[str, Any] | None, *, binding: Sequence[str]) -> str | None:
        """The cursor for the page after `last_key` of the listing `binding` names; None at the end."""
        if not last_key:
            return None
        values = {}
        for name, value in last_key.items():
            if not (isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)):
                raise TypeError(f"cursor key attribute {name!r} is not a string")  # a programming error
            values[name] = value["S"]
        plain = json.dumps(values, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _cipher(self._key()).encrypt(nonce, plain, self._associated(binding))
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode().rstrip("=")

    def open(
        self, cursor: str | None, *, binding: Sequence[str], expected_keys: set[str]
    ) -> dict[str, Any] | None:
        """The ExclusiveStartKey a cursor stands for; InvalidCursor (400) for any other string."""
        if not cursor:
            return None
        raw = _decode(cursor)
        body = raw[len(_VERSION) :]
        if not raw.startswith(_VERSION) or len(body) < _NONCE_BYTES + _TAG_BYTES + 2:
            raise _refused()
        from cryptography.exceptions import InvalidTag

        try:
            plain = _cipher(self._key()).decrypt(
                body[:_NONCE_BYTES], body[_NONCE_BYTES:], self._associated(binding)
            )
        except InvalidTag as exc:
            raise _refused() from exc
        try:
            values = json.loads(plain)
        except ValueError as exc:  # sealed by us, so only a bug in seal() could get here
            raise _refused() from exc
        if not (
            isinstance(values, dict)
            and set(values) == expected_keys
            and all(isinstance(v, str) for v in values.values())
        ):
            raise _refused()
        return {name: {"S": value} for name, value in values.items()}

    def _associated(self, binding: Sequence[str]) -> bytes:
        return json.dumps([self._purpose, *binding], separators=(",", ":"), ensure_ascii=False).encode()

    def _key(self) -> bytes:
        secret = self._secret()
        if len(secret) < _MIN_SECRET_CHARS:
            raise NotConfigured(
                f"the {PARAMETER} parameter must hold at least {_MIN_SECRET_CHARS} characters"
            )
        # The secret is random (init-secrets makes 256 bits), so one labelled hash gives the AES key.
        return hashlib.sha256(b"carbonneutral/page-cursor/v1\x00" + secret.encode()).digest()


def _decode(cursor: str) -> bytes:
    """The bytes of a cursor in the one encoding this API writes (base64url, unpadded): any other
    spelling of the same bytes is refused too, so a cursor has exactly one form."""
    if len(cursor) > _MAX_CURSOR_CHARS or not _BASE64URL.fullmatch(cursor) or len(cursor) % 4 == 1:
        raise _refused()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except ValueError as exc:
        raise _refused() from exc
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != cursor:
        raise _refused()
    return raw


def _refused() -> InvalidCursor:
    return InvalidCursor(
        "cursor is not one this API issued for this listing; start again without it",
        field="cursor",
        location="query",
    )


@lru_cache(maxsize=2)
def _cipher(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)
