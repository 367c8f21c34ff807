"""Verify a certificate offline: python -m carbonneutral.certify.verify CERT.json KEYS.json

CERT.json is what GET /v1/certificates/{id} returns; KEYS.json is the published key set
(/.well-known/certificate-keys.json). Nothing is fetched: exit 0 when genuine, 1 when not.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from carbonneutral.certify.keys import verify


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    certificate = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    keys = json.loads(Path(args[1]).read_text(encoding="utf-8"))
    valid, why = verify(certificate, keys)
    print(
        f"{'GENUINE' if valid else 'NOT VALID'}: {why} ({certificate.get('certificate_id')}, key {certificate.get('kid')})"
    )
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
