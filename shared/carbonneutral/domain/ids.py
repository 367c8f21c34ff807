"""Identifier formats shared across the domain, kept apart from the modules that use them so
that checking an id never imports a calculator or a store."""

from __future__ import annotations

import re

FOOTPRINT_ID_PATTERN = r"^fp_[A-Za-z0-9_-]{16,40}$"


def is_footprint_id(value: str) -> bool:
    return re.fullmatch(FOOTPRINT_ID_PATTERN, value) is not None
