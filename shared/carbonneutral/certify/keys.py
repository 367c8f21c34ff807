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
    def from_secret(cls, secret: str) -> SigningKey:
        """The certificate-signing-key parameter: a private Ed25519 JWK with its key id.

        The key id travels with the key, so rotating the key is one parameter change and no deploy.
        """
        try:
            jwk = json.loads(secret)
            kid, seed = str(jwk["kid"]), b64url_decode(str(jwk["d"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError("the certificate signing key must be a private Ed25519 JWK with a kid") from exc
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or len(seed) != 32 or not kid:
            raise ValueError("the certificate signing key must be a private Ed25519 JWK with a kid")
        return cls(kid, seed)

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(kid, raw)

    def to_secret(self) -> str:
        return json.dumps({**self.public_jwk(), "d": b64url(self.seed)}, sort_keys=True)

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


def key_set(current: SigningKey, published: dict[str, Any] | None = None) -> dict[str, list[dict[str, str]]]:
    """The published set with the current key first: keys retired by rotation stay in it, so
    certificates they signed keep verifying."""
    keys = [current.public_jwk()]
    keys += [k for k in (published or {}).get("keys", []) if k.get("kid") != current.kid]
    return {"keys": keys}


def parse_key_set(text: str) -> dict[str, Any]:
    """The certificate-public-keys parameter: a JWK set."""
    try:
        keys = json.loads(text)
    except ValueError as exc:
        raise ValueError("the published key set is not JSON") from exc
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise ValueError('the published key set must be {"keys": [...]}')
    return keys


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
