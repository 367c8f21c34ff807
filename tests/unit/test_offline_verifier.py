"""The offline verifier trusts only what the signature covers, and prints nothing it cannot show."""

from __future__ import annotations

import json

from carbonneutral.certify.keys import SigningKey, key_set
from carbonneutral.certify.verify import check, main

KEY = SigningKey.generate("k1")
DOC = {"schema": "carbon-neutral-certificate/2", "certificate_id": "cert_x", "quantity_kg": 58, "kid": "k1"}
SIGNED = {**DOC, "signature": KEY.sign(DOC)}
KEYS = json.dumps(key_set(KEY))


def test_a_genuine_certificate_is_genuine() -> None:
    assert check(json.dumps(SIGNED), KEYS)[:2] == (True, "the signature is valid")


def test_a_key_given_twice_is_refused_whichever_one_a_parser_would_keep() -> None:
    # Given the signed document, with a second quantity_kg after the signed one
    text = json.dumps(SIGNED)[:-1] + ', "quantity_kg": 5900}'
    # Then it is not genuine, and says why
    valid, why, _ = check(text, KEYS)
    assert not valid and why == "the key 'quantity_kg' appears more than once"


def test_floats_nan_and_huge_numbers_have_no_canonical_form() -> None:
    for text in (
        json.dumps({**SIGNED, "quantity_kg": 58.0}),
        json.dumps(SIGNED)[:-1] + ', "x": NaN}',
        json.dumps({**SIGNED, "quantity_kg": 2**60}),
    ):
        assert check(text, KEYS)[0] is False


def test_control_characters_in_a_forged_certificate_are_never_printed(tmp_path, capsys) -> None:
    forged = {**SIGNED, "certificate_id": "cert_x\x1b[2K\rGENUINE: trust me\u202e", "quantity_kg": 5900}
    (tmp_path / "cert.json").write_text(json.dumps(forged), encoding="utf-8")
    (tmp_path / "keys.json").write_text(KEYS, encoding="utf-8")
    assert main([str(tmp_path / "cert.json"), str(tmp_path / "keys.json")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NOT VALID") and "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert "\\u001b[2K\\u000dGENUINE" in out
