"""Verify a certificate offline: python -m carbonneutral.certify.verify CERT.json KEYS.json

CERT.json is what GET /v1/certificates/{id} returns; KEYS.json is the published key set
(/.well-known/certificate-keys.json). Nothing is fetched: exit 0 when genuine, 1 when not.

Only what the signature covers is trusted: a document with a key twice (JSON parsers disagree on
which one counts), floats, NaN or numbers beyond 2**53 has no single canonical form and is refused,
and no field is printed with a control character in it (a forged "certificate" cannot paint its
own verdict on the terminal).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from carbonneutral.certify.keys import verify
from carbonneutral.domain.certificates import canonical_json
from carbonneutral.errors import NotCanonical


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise NotCanonical(f"the key {printable(repeated[0])!r} appears more than once")
    return dict(pairs)


def _refuse(what: str) -> Any:
    raise NotCanonical(f"{printable(what)} has no canonical JSON form here")


def load_strict(text: str) -> Any:
    """JSON with exactly one reading: no repeated keys, no floats, no NaN or Infinity."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_refuse, parse_constant=_refuse)
    except json.JSONDecodeError as exc:
        raise NotCanonical(f"not JSON: {exc.msg} at character {exc.pos}") from exc


def printable(value: object) -> str:
    """Text with every control, format and separator character shown as an escape."""
    return "".join(
        c if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else f"\\u{ord(c):04x}"
        for c in str(value)
    )


def check(certificate_text: str, keys_text: str) -> tuple[bool, str, dict[str, Any]]:
    """(genuine, why, the certificate as read)."""
    try:
        certificate = load_strict(certificate_text)
        keys = load_strict(keys_text)
        if not isinstance(certificate, dict) or not isinstance(keys, dict):
            raise NotCanonical("a certificate and a key set are JSON objects")
        canonical_json(certificate)  # integers beyond 2**53, non-string keys
    except (NotCanonical, TypeError) as exc:
        return False, str(exc), {}
    valid, why = verify(certificate, keys)
    return valid, why, certificate


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    valid, why, certificate = check(
        Path(args[0]).read_text(encoding="utf-8"), Path(args[1]).read_text(encoding="utf-8")
    )
    about = (
        f" ({printable(certificate.get('certificate_id'))}, key {printable(certificate.get('kid'))})"
        if certificate
        else ""
    )
    print(f"{'GENUINE' if valid else 'NOT VALID'}: {printable(why)}{about}")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
