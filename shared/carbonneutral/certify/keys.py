"""Ed25519 signing keys with key ids, and the public JWK set anyone can verify against."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from carbonneutral.domain.certificates import canonical_json


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SigningKey:
    kid: str
    seed: bytes  # the 32-byte Ed25519 private key

    @classmethod
    def from_secret(cls, kid: str, secret: str) -> SigningKey:
        seed = b64url_decode(secret)
        if len(seed) != 32:
            raise ValueError("the certificate signing key must be 32 bytes, base64url")
        return cls(kid, seed)

    @classmethod
    def generate(cls, kid: str) -> tuple[SigningKey, str]:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(kid, raw), b64url(raw)

    def _private(self) -> Any:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def sign(self, document: dict[str, Any]) -> str:
        return b64url(self._private().sign(canonical_json(document)))

    def public_jwk(self) -> dict[str, str]:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(public),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }


def key_set(current: SigningKey, retired_keys_json: str = "") -> dict[str, list[dict[str, str]]]:
    """The current public key plus keys retired by rotation, so old certificates still verify."""
    keys = [current.public_jwk()]
    if retired_keys_json:
        keys += [k for k in json.loads(retired_keys_json).get("keys", []) if k.get("kid") != current.kid]
    return {"keys": keys}


def verify(signed: dict[str, Any], keys: dict[str, Any]) -> tuple[bool, str]:
    """(valid, why): checks the signature over everything but itself, with the key named by kid."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    signature, document = signed.get("signature"), {k: v for k, v in signed.items() if k != "signature"}
    jwk = next((k for k in keys.get("keys", []) if k.get("kid") == document.get("kid")), None)
    if not isinstance(signature, str):
        return False, "the certificate has no signature"
    if jwk is None or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return False, f"no Ed25519 key {document.get('kid')!r} in the key set"
    try:
        Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"])).verify(
            b64url_decode(signature), canonical_json(document)
        )
    except (InvalidSignature, ValueError, TypeError):
        return False, "the signature does not match the certificate"
    return True, "the signature is valid"
