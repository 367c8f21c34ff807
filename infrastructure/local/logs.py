"""CloudWatch Logs' metric filters, as far as the template uses them: JSON patterns of equality
terms, `{ $.message = "order not swept" }`, joined with `&&`. Any other pattern is refused rather
than guessed, so a filter the rehearsal cannot read fails its test instead of passing it."""

from __future__ import annotations

import json
import re
from typing import Any

_TERM = re.compile(r'\$\.([A-Za-z_][\w.]*)\s*=\s*"([^"*]*)"')


def matches(pattern: str, line: str) -> bool:
    """Whether the log line is an event the pattern counts."""
    body = pattern.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"not a JSON metric filter pattern this rehearsal reads: {pattern!r}")
    terms = []
    for term in body[1:-1].split("&&"):
        found = _TERM.fullmatch(term.strip())
        if found is None:
            raise ValueError(f"a term this rehearsal does not read: {term.strip()!r} in {pattern!r}")
        terms.append((found[1].split("."), found[2]))
    try:
        event: Any = json.loads(line)
    except ValueError:
        return False  # CloudWatch skips lines that are not JSON for a JSON pattern
    for path, expected in terms:
        value = event
        for name in path:
            if not isinstance(value, dict) or name not in value:
                return False
            value = value[name]
        if not isinstance(value, str) or value != expected:
            return False
    return True
