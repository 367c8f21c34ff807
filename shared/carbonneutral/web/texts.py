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

# How a buyer pays with WeChat Pay or Alipay, by the provider's method.
PAYMENT_METHODS = {
    "jsapi": _("Pay in WeChat"),
    "h5": _("Pay with WeChat Pay"),
    "native": _("WeChat Pay QR code"),
    "wap": _("Pay with Alipay"),
    "page": _("Pay with Alipay"),
}

# China's grids whose 2023 factors the factor set ships (MEE/NBS), in the order a list shows them.
GRID_NAMES = {
    "CN": _("China, national average"),
    "CN-N": _("North China grid"),
    "CN-NE": _("Northeast grid"),
    "CN-E": _("East China grid"),
    "CN-C": _("Central China grid"),
    "CN-NW": _("Northwest grid"),
    "CN-S": _("South grid"),
    "CN-SW": _("Southwest grid"),
    "CN-BJ": _("Beijing"),
    "CN-TJ": _("Tianjin"),
    "CN-HE": _("Hebei"),
    "CN-SX": _("Shanxi"),
    "CN-NM": _("Inner Mongolia"),
    "CN-LN": _("Liaoning"),
    "CN-JL": _("Jilin"),
    "CN-HL": _("Heilongjiang"),
    "CN-SH": _("Shanghai"),
    "CN-JS": _("Jiangsu"),
    "CN-ZJ": _("Zhejiang"),
    "CN-AH": _("Anhui"),
    "CN-FJ": _("Fujian"),
    "CN-JX": _("Jiangxi"),
    "CN-SD": _("Shandong"),
    "CN-HA": _("Henan"),
    "CN-HB": _("Hubei"),
    "CN-HN": _("Hunan"),
    "CN-GD": _("Guangdong"),
    "CN-GX": _("Guangxi"),
    "CN-HI": _("Hainan"),
    "CN-CQ": _("Chongqing"),
    "CN-SC": _("Sichuan"),
    "CN-GZ": _("Guizhou"),
    "CN-YN": _("Yunnan"),
    "CN-SN": _("Shaanxi"),
    "CN-GS": _("Gansu"),
    "CN-QH": _("Qinghai"),
    "CN-NX": _("Ningxia"),
    "CN-XJ": _("Xinjiang"),
}

CHART_TITLES = {
    "by_activity": _("Footprints by activity (kg)"),
    "compared": _("Calculated and neutralized (kg)"),
    "calculated": _("Calculated"),
    "by_participants": _("Neutralized by participants"),
    "by_organizer": _("Neutralized by the organizer"),
    "footprints_daily": _("Footprints calculated per day, last 30 days (Beijing time)"),
    "neutralized_daily": _("kg neutralized per day, last 30 days (Beijing time)"),
}

# The scene report's CSV: its headers and labels.
CSV_LABELS = {
    "section": _("Section"),
    "rank": _("Rank"),
    "name": _("Name"),
    "kg": _("kg CO₂e"),
    "individual": _("People"),
    "organization": _("Organizations"),
    "anonymous": _("Anonymous"),
    "total": _("Total"),
    "footprints": _("Footprints calculated"),
    "footprint_kg": _("Footprints (kg)"),
    "participant_orders": _("Participants' orders"),
    "participants_kg": _("Neutralized by participants (kg)"),
    "held_orders": _("Orders awaiting your acceptance"),
    "held_kg": _("Awaiting your acceptance (kg)"),
    "organizer_orders": _("Organizer's orders"),
    "organizer_kg": _("Neutralized by the organizer (kg)"),
    "explicit_orders": _("Orders for an amount"),
    "explicit_kg": _("Neutralized as an amount (kg)"),
    "rating": _("Rating"),
    "rating_target_kg": _("Rating target (kg)"),
    "rating_share": _("Share of the target"),
}

# The countries whose hotel stays the factor set rates, in the order a list shows them.
HOTEL_COUNTRIES = {
    "CN": _("China"),
    "HK": _("Hong Kong, China"),
    "JP": _("Japan"),
    "KR": _("South Korea"),
    "SG": _("Singapore"),
    "TH": _("Thailand"),
    "MY": _("Malaysia"),
    "VN": _("Vietnam"),
    "ID": _("Indonesia"),
    "PH": _("Philippines"),
    "IN": _("India"),
    "AE": _("United Arab Emirates"),
    "AU": _("Australia"),
    "GB": _("United Kingdom"),
    "FR": _("France"),
    "DE": _("Germany"),
    "IT": _("Italy"),
    "ES": _("Spain"),
    "NL": _("Netherlands"),
    "US": _("United States"),
    "CA": _("Canada"),
}

BOUNDARY_NAMES = {
    "combustion": _("fuel burnt"),
    "generation+combustion": _("power generation and fuel burnt"),
    "generation": _("power generation"),
    "operational": _("the building's energy"),
    "full_process": _("full process"),
    "life_cycle": _("life cycle"),
    "economy_wide": _("the whole economy"),
}

# What changed a line's figure, in a sentence.
NOTE_TEXTS = {
    "long_haul_floor": _(
        "Rated as the longest short-haul flight (3,700 km): DESNZ's long-haul factor per km is lower, "
        "and a longer flight should never count less."
    ),
    "at_least_1g": _("Less than half a gram, shown as 1 g so that nothing emitted reads as zero."),
    "cn_no_cabin_split": _(
        "China's method counts an average seat: it does not tell cabins apart, so business and first "
        "count less here than by the UK government's method."
    ),
    "cn_rail_whole_trip": _("A train to or from China: the Chinese figure is used for the whole distance."),
}
