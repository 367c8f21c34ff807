"""Every page speaks one language: no English words on a Chinese page and no Chinese on an English
one, outside names of sources (<cite>), codes, units and parts marked as the other language."""

from __future__ import annotations

import re

import pytest

from tests.factories import DEMO_FOOTPRINT
from tests.support import PUBLIC_PAGES, visible_text

pytestmark = pytest.mark.e2e

UNITS = {"kg", "km", "kWh", "g", "t"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
CHINESE = re.compile(r"[\u3400-\u9fff]+")


def _paths(http) -> list[str]:
    footprint = http.post("/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]
    return [
        *PUBLIC_PAGES,
        f"/f/{footprint}",
        f"/neutralize/{footprint}",
        "/no/such/page",
    ]


def test_chinese_pages_show_no_english_words(http) -> None:
    for path in _paths(http):
        page = http.get(f"{path}?lang=zh-CN", headers={"Accept": "text/html"}).body.decode()
        text = visible_text(page, "zh-CN").replace("CO₂e", "").replace("CO₂", "")  # units
        words = {w for w in LATIN_WORD.findall(text) if not w.isupper() and w not in UNITS}
        assert words == set(), f"{path}: {sorted(words)}"


def test_english_pages_show_no_chinese(http) -> None:
    for path in _paths(http):
        page = http.get(f"{path}?lang=en", headers={"Accept": "text/html"}).body.decode()
        assert CHINESE.findall(visible_text(page, "en")) == [], path
