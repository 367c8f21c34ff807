"""What a person reads when a form field is wrong: plain words in the page's language, never a
regular expression or a validator's name. The API keeps pydantic's own messages for programs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carbonneutral.web.texts import _


class Message(str):
    """A message id with the values it is formatted with once translated (the `say` filter)."""

    params: dict[str, Any]

    def __new__(cls, text: str, **params: Any) -> Message:
        message = super().__new__(cls, text)
        message.params = params
        return message


AIRPORT_CODE = _("Enter an airport's three-letter code, such as PEK or CTU.")
CHOOSE = _("Choose one of the options.")
NUMBER = _("Enter a number.")
WHOLE_NUMBER = _("Enter a whole number.")
AT_LEAST = _("Enter at least %(limit)s.")
ABOVE = _("Enter a number above %(limit)s.")
AT_MOST = _("Enter at most %(limit)s.")
FILL_IN = _("Fill this in.")
TOO_LONG = _("This is too long: at most %(limit)s characters.")
CHECK = _("Please check this value.")
UNKNOWN_AIRPORT = _("No airport has the code %(code)s. Check the three letters.")
SAME_PLACE = _("Both ends are the same place: a trip needs two different ones.")
TOO_MANY_TRAVELLERS = _("More people are counted than there are in the vehicle.")
UNIT_FOR_GAS = _("This unit does not fit this gas.")
NO_GRID = _("Choose a region from the list.")
NO_HOTEL_COUNTRY = _("There is no hotel figure for this country yet: choose another country.")
COUNTRY = _("Choose a country from the list.")
UNKNOWN_PLACE = _("We don't know this city: pick one from the list, or type its coordinates below.")
UNKNOWN_CITY = _("We don't know this city: pick one from the list, or give the distance in km.")
CITIES_OR_KM = _("Give the two cities, or the distance in km.")
BOTH_CITIES = _("Give both cities: where the trip starts and where it ends.")
NOT_BOTH = _("Give the two cities or the distance, not both.")

_BY_FIELD = {
    "from": AIRPORT_CODE,
    "to": AIRPORT_CODE,
    "airport": AIRPORT_CODE,
    "grid": NO_GRID,
    "country": COUNTRY,
}
# Our own validators' English, by how it starts, in plain words.
_BY_TEXT = (
    ("unknown IATA airport code", UNKNOWN_AIRPORT),
    ("'from' and 'to' must be different", SAME_PLACE),
    ("'from' and 'to' are the same city", SAME_PLACE),
    ("give the distance in km, or the cities", CITIES_OR_KM),
    ("a trip between two cities needs both", BOTH_CITIES),
    ("give either km or", NOT_BOTH),
    ("codes of the same airport", SAME_PLACE),
    ("travellers (", TOO_MANY_TRAVELLERS),
    ("unit ", UNIT_FOR_GAS),
    ("no grid factor", NO_GRID),
    ("no hotel factor", NO_HOTEL_COUNTRY),
)


def plain(error: Mapping[str, Any]) -> Message:
    """A pydantic error (or an InvalidInput shaped like one) in plain words."""
    kind = str(error.get("type") or "")
    ctx = error.get("ctx") or {}
    text = str(error.get("msg") or "").removeprefix("Value error, ")
    field = next((str(p) for p in reversed(error.get("loc") or ()) if isinstance(p, str)), "")
    if "is not a city this calculator knows" in text:
        return Message(UNKNOWN_CITY)
    for start, message in _BY_TEXT:
        if text.startswith(start) or (start == "codes of the same airport" and start in text):
            code = str(error.get("input") or "")[:8]
            return Message(message, code=code.upper())
    if kind in {"string_pattern_mismatch", "literal_error", "enum", "union_tag_invalid"}:
        return Message(_BY_FIELD.get(field, CHOOSE if kind != "string_pattern_mismatch" else CHECK))
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        limit = next(iter(ctx.values()), "")
        template = {"greater_than_equal": AT_LEAST, "greater_than": ABOVE}.get(kind, AT_MOST)
        return Message(template, limit=limit)
    if kind in {"int_parsing", "int_from_float", "int_type"}:
        return Message(WHOLE_NUMBER)
    if kind in {"float_parsing", "decimal_parsing", "finite_number", "float_type", "decimal_type"}:
        return Message(NUMBER)
    if kind in {"missing", "string_too_short"}:
        return Message(FILL_IN)
    if kind == "string_too_long":
        return Message(TOO_LONG, limit=ctx.get("max_length", ""))
    return Message(CHECK)
