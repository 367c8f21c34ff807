"""Types every model shares, declared once: identifiers, localized text, places, quantities.

Models annotate their fields with these instead of repeating a pattern or a range; routes use
the patterns for their path parameters. Checking an id imports nothing heavier than `re`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

SCENE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
PROJECT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
ORGANIZER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
FOOTPRINT_ID_PATTERN = r"^fp_[A-Za-z0-9_-]{16,40}$"
ORDER_ID_PATTERN = r"^ord_[A-Za-z0-9_-]{16,40}$"
CERTIFICATE_ID_PATTERN = r"^cert_[A-Za-z0-9_-]{20,40}$"
PARTICIPANT_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
ENTRY_ID_PATTERN = r"^(p|o|org)_[A-Za-z0-9_-]{8,40}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"
BOARD_PATTERN = r"^(global|scene:[a-z0-9][a-z0-9-]{2,63})$"
PERIOD_PATTERN = r"^(all|\d{4}-(0[1-9]|1[0-2]))$"

# Characters that change how text reads without being seen: bidi embeddings, overrides and isolates,
# marks, zero-width spaces and joiners, the BOM. Removed from names before they are shown, compared
# or signed, so "Alice\u202egnp.exe" cannot read as another name and two entries cannot look alike.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def normalize_name(text: str) -> str:
    """NFKC, invisible and bidi control characters removed, runs of white space made one space."""
    import unicodedata

    return re.sub(r"\s+", " ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))).strip()


SceneId = Annotated[str, Field(pattern=SCENE_ID_PATTERN, description="A scene's id, e.g. cdcnf-2021")]
ProjectId = Annotated[str, Field(pattern=PROJECT_ID_PATTERN, description="An offset project's id")]
OrganizerId = Annotated[str, Field(pattern=ORGANIZER_ID_PATTERN, description="An organizer's id")]
FootprintId = Annotated[str, Field(pattern=FOOTPRINT_ID_PATTERN, description="A stored footprint's id")]
OrderId = Annotated[str, Field(pattern=ORDER_ID_PATTERN, description="An order's id")]
CertificateId = Annotated[str, Field(pattern=CERTIFICATE_ID_PATTERN, description="A certificate's id")]
ParticipantId = Annotated[
    str,
    Field(pattern=PARTICIPANT_ID_PATTERN, description="A buyer's own random identity (the pages' cookie)"),
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. CN")]
AirportCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="IATA airport code, e.g. CTU")]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Kg = Annotated[int, Field(ge=0, description="Kilograms of CO2e")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CNY")]


def is_id(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def is_footprint_id(value: str) -> bool:
    return is_id(FOOTPRINT_ID_PATTERN, value)


class LocalizedText(BaseModel):
    """Text in Chinese and English, as every name and description in the platform is."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="forbid")

    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    def get(self, lang: str) -> str:
        return self.zh_cn if lang.lower().startswith("zh") else self.en
