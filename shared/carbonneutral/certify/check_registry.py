"""Check a project's retirement registry offline:

  python -m carbonneutral.certify.check_registry EXPORT.jsonl HEAD.json KEYS.json [CERT.json]

EXPORT.jsonl is GET /v1/projects/{id}/registry.jsonl, HEAD.json its signed heads
(GET /v1/projects/{id}/registry/head; one signed head, as served before lanes, is read too),
KEYS.json the published key set (/.well-known/certificate-keys.json), CERT.json optionally a
certificate (GET /v1/certificates/{id}). Nothing is fetched. Each record's hash is recomputed and
each must follow the one before it in its lane; each head must be genuine and name its lane's
record at its count; no serial may appear twice; and the certificate, if given, must be genuine
and its record (lane, position and hash) must be in the chain. Exit 0 when intact, 1 when not.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from carbonneutral.certify.keys import verify
from carbonneutral.certify.verify import check, load_strict, printable
from carbonneutral.domain.certificates import canonical_json
from carbonneutral.domain.registry import check_chain, names_certificate
from carbonneutral.errors import NotCanonical


def problems_of(
    export_text: str, head_text: str, keys_text: str, certificate_text: str | None = None
) -> tuple[list[str], int]:
    """(problems, records read)."""
    try:
        records = [load_strict(line) for line in export_text.splitlines() if line.strip()]
        heads, keys = _heads(load_strict(head_text)), load_strict(keys_text)
        if not isinstance(keys, dict) or not all(isinstance(r, dict) for r in records):
            raise NotCanonical("records, the heads and the key set are JSON objects")
        for head in heads:
            canonical_json(head)
    except (NotCanonical, TypeError) as exc:
        return [str(exc)], 0
    problems = []
    for head in heads:
        genuine, why = verify(head, keys)
        if not genuine:
            where = f" of lane {head.get('lane')}" if head.get("lane") else ""
            problems.append(f"the head{where} is not genuine: {why.replace('certificate', 'head')}")
    problems += check_chain(records, heads)
    if certificate_text is not None:
        problems += _certificate_problems(certificate_text, keys_text, records)
    return problems, len(records)


def _certificate_problems(certificate_text: str, keys_text: str, records: list[dict[str, Any]]) -> list[str]:
    valid, why, certificate = check(certificate_text, keys_text)
    if not valid:
        return [f"the certificate is not genuine: {why}"]
    ref = certificate.get("registry")
    if not isinstance(ref, dict) or not isinstance(ref.get("position"), int):
        return ["the certificate names no registry record (issued before the registry)"]
    lane, position = ref.get("lane") or 0, ref["position"]
    chain = [r for r in records if (r.get("lane") or 0) == lane]
    if not 1 <= position <= len(chain):
        where = f" of lane {lane}" if lane else ""
        return [f"the certificate's record {position}{where} is not in this chain of {len(chain)}"]
    record = chain[position - 1]
    if record.get("hash") != ref.get("hash") or not names_certificate(
        record, certificate.get("certificate_id")
    ):
        return [f"record {position} is not the certificate's"]
    if record.get("project_id") != certificate.get("project_id"):
        return [
            f"the certificate is of {certificate.get('project_id')}, the chain of {record.get('project_id')}"
        ]
    return []


def _heads(document: Any) -> list[dict[str, Any]]:
    """The signed heads: {"heads": [...]} as served, or one head (as served before lanes)."""
    heads = document.get("heads") if isinstance(document, dict) and "heads" in document else [document]
    if not isinstance(heads, list) or not all(isinstance(h, dict) for h in heads):
        raise NotCanonical("the heads are JSON objects")
    return heads


def _signed_count(head_text: str) -> int:
    try:
        counts = [head.get("count") for head in _heads(load_strict(head_text))]
    except NotCanonical:
        return 0
    return sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    texts = [Path(a).read_text(encoding="utf-8") for a in args]
    problems, count = problems_of(*texts)
    for problem in problems:
        print(f"  {printable(problem)}")
    verdict = "INTACT" if not problems else "NOT INTACT"
    signed = _signed_count(texts[1])
    beyond = f" ({count - signed} retired after the signed head, not covered by it)" if signed < count else ""
    print(
        f"{verdict}: {count} records{beyond}"
        + (", and the certificate's record is in the chain" if len(args) == 4 and not problems else "")
    )
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
