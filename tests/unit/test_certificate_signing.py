"""Signatures over the canonical form: tampering, wrong keys and rotation."""

from __future__ import annotations

import json

import pytest
from carbonneutral.certify.keys import SigningKey, key_set, verify
from carbonneutral.domain.certificates import canonical_json

DOC = {
    "certificate_id": "cert_x",
    "beneficiary": "李雷",
    "quantity_kg": 461,
    "serials": ["A-1-461"],
    "kid": "k1",
    "scene": {"zh_cn": "论坛", "en": "Forum"},
    "factor_set": None,
}


def signed(key: SigningKey, doc: dict) -> dict:
    return {**doc, "kid": key.kid, "signature": key.sign({**doc, "kid": key.kid})}


def test_canonical_form_sorts_keys_without_spaces_in_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["é", True, None]}) == '{"a":["é",true,null],"b":1}'.encode()


def test_floats_have_no_canonical_form_here() -> None:
    with pytest.raises(TypeError):
        canonical_json({"kg": 1.5})


def test_a_signed_certificate_verifies_with_the_published_key_set() -> None:
    key = SigningKey.generate("k1")
    assert verify(signed(key, DOC), key_set(key)) == (True, "the signature is valid")


@pytest.mark.parametrize(
    ("field", "value"), [("beneficiary", "韩梅梅"), ("quantity_kg", 4610), ("serials", ["A-1-462"])]
)
def test_a_tampered_field_fails(field: str, value: object) -> None:
    key = SigningKey.generate("k1")
    cert = signed(key, DOC)
    assert verify({**cert, field: value}, key_set(key))[0] is False


def test_a_certificate_signed_with_another_key_fails() -> None:
    key = SigningKey.generate("k1")
    impostor = SigningKey.generate("k1")  # same kid, different key
    assert verify(signed(impostor, DOC), key_set(key))[0] is False


def test_old_certificates_still_verify_after_key_rotation() -> None:
    old = SigningKey.generate("2025-1")
    new = SigningKey.generate("2026-1")
    before = signed(old, DOC)
    published = key_set(new, key_set(old))  # rotation publishes the new key beside the old ones
    assert verify(before, published)[0] is True
    assert verify(signed(new, DOC), published)[0] is True
    assert [k["kid"] for k in published["keys"]] == ["2026-1", "2025-1"]


def test_the_issuer_asks_for_its_key_only_when_it_signs() -> None:
    from carbonneutral.domain.certificates import CertificateIssuer

    def no_key() -> SigningKey:
        raise AssertionError("the signing key was loaded without a certificate to sign")

    CertificateIssuer(scenes=None, signing_key=no_key)  # the sweeper's wiring


def test_the_signing_key_travels_with_its_key_id_and_refuses_anything_else() -> None:
    key = SigningKey.generate("cert-7")
    again = SigningKey.from_secret(key.to_secret())
    assert (again.kid, again.seed) == ("cert-7", key.seed)
    for bad in (
        "",
        "not json",
        '{"kty": "OKP", "crv": "Ed25519", "d": "AAAA"}',
        json.dumps(key.public_jwk()),
    ):
        with pytest.raises(ValueError):
            SigningKey.from_secret(bad)
