"""SHA256withRSA (PKCS#1 v1.5) as WeChat Pay and Alipay use it, keys read from what merchants are
given (PEM, an X.509 certificate, or Alipay's bare base64), a small HTTPS client for their APIs, and refund numbers."""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature as BadSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from carbonneutral.errors import NotConfigured, ProviderUnavailable

TIMEOUT_S = 8.0  # under the function's 15 s, with room for the ledger after it


def _pem(text: str, kind: str) -> bytes:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))  # Alipay's keys: bare base64
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def private_key(text: str, secret: str) -> rsa.RSAPrivateKey:
    """The merchant's private key; a 503 naming the secret when it is not an RSA private key."""
    try:
        pem = _pem(text, "PRIVATE KEY")
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise NotConfigured(f"the {secret} parameter is not an RSA private key in PEM") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise NotConfigured(f"the {secret} parameter must be an RSA key of 2048 bits or more")
    return key


def public_key(text: str, secret: str) -> rsa.RSAPublicKey:
    """A provider's public key, from a PEM public key, a PEM certificate or bare base64."""
    try:
        if "BEGIN CERTIFICATE" in text:
            from cryptography import x509

            key: Any = x509.load_pem_x509_certificate(text.strip().encode()).public_key()
        else:
            key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise NotConfigured(f"the {secret} parameter is not an RSA public key or certificate") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise NotConfigured(f"the {secret} parameter is not an RSA public key")
    return key


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verified(key: rsa.RSAPublicKey, message: str, signature: str | None) -> bool:
    if not signature:
        return False
    try:
        key.verify(
            base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (BadSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else {}
        except ValueError:
            return {}


def request(
    provider: str, method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One HTTPS call to a provider's API: its answer whatever the status; a 503 when it cannot be
    reached (the caller decides whether that may be retried)."""
    call = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=TIMEOUT_S) as answer:  # noqa: S310 - https or the test fake
            status, raw, got = answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as exc:
        status, raw, got = exc.code, exc.read(), exc.headers
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderUnavailable(f"{provider} could not be reached: {exc}") from exc
    return Answer(status, {k.lower(): v for k, v in got.items()}, raw.decode("utf-8", "replace"))


def refund_number(key: str) -> str:
    """A provider's refund number made from the refund's idempotency key (42 letters and digits, as
    WeChat Pay's out_refund_no and Alipay's out_request_no take): a retry asks for the same refund."""
    import hashlib

    return "rf" + hashlib.sha256(key.encode()).hexdigest()[:40]
