"""Labels and messages the pages show, in English: the catalogs in web/locale translate them.

Constants only, so that any page can use them without importing the calculator's forms.
"""

from __future__ import annotations


def _(message: str) -> str:
    """Marks a message for extraction; templates translate it when they show it."""
    return message


TITLES = {
    "flight": _("Flight"),
    "rail": _("Train"),
    "car": _("Car"),
    "bus": _("Bus or coach"),
    "taxi": _("Taxi"),
    "metro": _("Metro"),
    "motorcycle": _("Motorcycle"),
    "hotel": _("Hotel"),
    "meal": _("Meals"),
    "electricity": _("Electricity"),
    "gas": _("Gas"),
    "diet": _("Food"),
    "shopping": _("Shopping"),
}

KIND_NAMES = {
    "conference": _("Conference"),
    "scenic_spot": _("Scenic spot"),
    "supermarket": _("Supermarket"),
    "restaurant": _("Restaurant"),
    "hotel": _("Hotel"),
    "other": _("Place or event"),
}

RATING_LEVELS = {
    "none": _("Not rated yet"),
    "bronze": _("Bronze"),
    "silver": _("Silver"),
    "gold": _("Gold"),
    "carbon_neutral": _("Carbon neutral"),
}

BAD_KEY = _("That key is not valid.")

FORM_EXPIRED = _("The form expired; please send it again.")

ORDER_STATUSES = {
    "pending_payment": _("Waiting for payment"),
    "paid": _("Paid"),
    "retired": _("Credits retired"),
    "expired": _("Expired"),
    "failed": _("Failed; refund due"),
    "cancelled": _("Cancelled"),
    "refunded": _("Refunded"),
}
