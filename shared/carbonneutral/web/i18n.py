"""Languages: zh-CN and en, chosen by ?lang=, then the lang cookie, then Accept-Language."""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LOCALE_DIR = Path(__file__).with_name("locale")


def normalize(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for choice in (query, cookie):
        if normalize(choice):
            return normalize(choice)  # type: ignore[return-value]
    ranked = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if normalize(tag):
            ranked.append((-quality, index, normalize(tag)))
    return sorted(ranked)[0][2] if ranked else DEFAULT_LANGUAGE  # type: ignore[return-value]


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation("messages", localedir=LOCALE_DIR, languages=[lang.replace("-", "_")])
