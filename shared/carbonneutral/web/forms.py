"""The calculator as an HTML form: which inputs each activity shows, and back to a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from carbonneutral.domain.activities import Cabin, Diet
from carbonneutral.domain.footprints import FootprintRequest
from carbonneutral.domain.orders import OrderRequest
from carbonneutral.web.messages import UNKNOWN_PLACE, Message, plain
from carbonneutral.web.problems import field_path
from carbonneutral.web.texts import GRID_NAMES, HOTEL_COUNTRIES, KIND_NAMES, TITLES, _


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: str = "number"  # number, text, select, checkbox
    options: tuple[tuple[str, str], ...] = ()
    attrs: dict[str, str] = field(default_factory=dict)


_CABINS = (
    (Cabin.economy, _("Economy")),
    (Cabin.premium_economy, _("Premium economy")),
    (Cabin.business, _("Business")),
    (Cabin.first, _("First")),
)
_DIETS = (
    (Diet.meat_heavy, _("Lots of meat")),
    (Diet.meat, _("Some meat")),
    (Diet.low_meat, _("Little meat")),
    (Diet.pescatarian, _("Fish, no meat")),
    (Diet.vegetarian, _("Vegetarian")),
    (Diet.vegan, _("Vegan")),
)
_KM = {"min": "0.1", "max": "50000", "step": "0.1", "inputmode": "decimal"}
_TRIP = Input("round_trip", _("Return trip"), "checkbox")
# Text inputs that suggest places from a <datalist> (no JavaScript): what they send is resolved here.
_AIRPORT = {"list": "airports", "autocomplete": "off", "maxlength": "60"}
_CITY = {"list": "cities", "autocomplete": "off", "maxlength": "40"}
_FROM_CITY = Input("from", _("From (city)"), "text", attrs=_CITY)
_TO_CITY = Input("to", _("To (city)"), "text", attrs=_CITY)
_GRIDS = tuple(GRID_NAMES.items())

# The first input of each activity is the one that says whether the visitor used it.
INPUTS: dict[str, tuple[Input, ...]] = {
    "flight": (
        Input("from", _("From (city or airport)"), "text", attrs=_AIRPORT),
        Input("to", _("To (city or airport)"), "text", attrs=_AIRPORT),
        Input("cabin", _("Cabin"), "select", tuple((c.value, label) for c, label in _CABINS)),
        _TRIP,
    ),
    "rail": (
        _FROM_CITY,
        _TO_CITY,
        Input("km", _("Or the train distance (km)"), attrs=_KM),
        Input(
            "service",
            _("Train"),
            "select",
            (
                ("high_speed", _("High-speed")),
                ("national", _("Conventional")),
                ("international", _("International")),
                ("light_rail", _("Light rail or tram")),
            ),
        ),
    ),
    "car": (
        _FROM_CITY,
        _TO_CITY,
        Input("km", _("Or the car distance, one way (km)"), attrs=_KM),
        Input(
            "fuel",
            _("Fuel"),
            "select",
            (
                ("petrol", _("Petrol")),
                ("diesel", _("Diesel")),
                ("hybrid", _("Hybrid")),
                ("plug_in_hybrid", _("Plug-in hybrid")),
                ("electric", _("Electric")),
                ("unknown", _("Not sure")),
            ),
        ),
        Input("occupants", _("People in the car, you included"), attrs={"min": "1", "max": "9"}),
        Input("grid", _("Where an electric car is charged"), "select", _GRIDS),
        _TRIP,
    ),
    "bus": (
        _FROM_CITY,
        _TO_CITY,
        Input("km", _("Or the bus or coach distance (km)"), attrs=_KM),
        Input("service", _("Service"), "select", (("local", _("City bus")), ("coach", _("Coach")))),
        _TRIP,
    ),
    "taxi": (
        Input("km", _("Taxi distance (km)"), attrs=_KM),
        Input("occupants", _("People sharing the ride, you included"), attrs={"min": "1", "max": "8"}),
        _TRIP,
    ),
    "metro": (
        Input("km", _("Metro distance (km)"), attrs=_KM),
        Input("grid", _("City's region"), "select", _GRIDS),
        _TRIP,
    ),
    "motorcycle": (Input("km", _("Motorcycle distance (km)"), attrs=_KM), _TRIP),
    "hotel": (
        Input("nights", _("Hotel nights"), attrs={"min": "1", "max": "366"}),
        Input("country", _("Country"), "select", tuple(HOTEL_COUNTRIES.items())),
    ),
    "meal": (
        Input("count", _("Meals"), attrs={"min": "1", "max": "10000"}),
        Input("diet", _("Meals were mostly"), "select", tuple((d.value, label) for d, label in _DIETS)),
    ),
    "electricity": (
        Input("kwh", _("Electricity (kWh)"), attrs={"min": "0.1", "step": "0.1"}),
        Input("grid", _("Where you live (its power grid)"), "select", _GRIDS),
    ),
    "gas": (
        Input("amount", _("Gas used"), attrs={"min": "0.1", "step": "0.1"}),
        Input(
            "unit",
            _("Unit"),
            "select",
            (("m3", _("cubic metres")), ("kwh", "kWh"), ("kg", _("kg (LPG)")), ("litre", _("litres (LPG)"))),
        ),
        Input("fuel", _("Gas"), "select", (("natural_gas", _("Natural gas")), ("lpg", _("LPG")))),
    ),
    "diet": (
        Input(
            "diet",
            _("Your diet"),
            "select",
            (("", _("Leave out")), *((d.value, label) for d, label in _DIETS)),
        ),
    ),
    "shopping": (Input("spend_cny", _("Spending (CNY)"), attrs={"min": "0.01", "step": "0.01"}),),
}

LIFE_TYPES = ("electricity", "gas", "car", "metro", "bus", "rail", "flight", "diet", "shopping")


def used_inputs(activity_type: str) -> tuple[str, ...]:
    """The inputs that say the visitor used an activity: its first one; for a trip by road or rail,
    its cities or its km."""
    inputs = INPUTS[activity_type]
    if inputs[0].name == "from" and activity_type != "flight":
        return ("from", "to", "km")
    return (inputs[0].name,)


def filled(activity_type: str, values: dict[str, Any]) -> bool:
    return any(
        str(values.get(f"{activity_type}.{name}") or "").strip() for name in used_inputs(activity_type)
    )


def activities_from_form(form: dict[str, str], types: list[str]) -> list[dict[str, Any]]:
    """Only activities the visitor filled in count; empty inputs keep their defaults."""
    activities = []
    for activity_type in types:
        if not filled(activity_type, form):
            continue
        activity: dict[str, Any] = {"type": activity_type}
        for spec in INPUTS[activity_type]:
            raw = " ".join(form.get(f"{activity_type}.{spec.name}", "").split())
            if spec.kind == "checkbox":
                activity[spec.name] = raw in {"on", "true", "1"}
            elif raw:
                activity[spec.name] = raw.upper() if spec.name == "country" else raw
        activities.append(activity)
    return activities


def _airport_codes(activities: list[dict[str, Any]]) -> dict[str, Message | str]:
    """Flights' airports typed by name become their codes; a name that finds several airports or none
    is an error beside its input, listing what it found."""
    from carbonneutral.domain.places import search_airports

    errors: dict[str, Message | str] = {}
    for activity in activities:
        if activity["type"] != "flight":
            continue
        for name in ("from", "to"):
            typed = activity.get(name)
            if not typed:
                continue
            if len(typed) == 3 and typed.isascii() and typed.isalpha():
                activity[name] = typed.upper()  # a code: the model says if no airport has it
                continue
            found = search_airports(typed)
            if len(found) == 1:
                activity[name] = found[0].iata
            elif found:
                errors[f"flight.{name}"] = Message(
                    _("“%(typed)s” finds %(count)s airports (%(codes)s): pick one from the list."),
                    typed=typed,
                    count=len(found),
                    codes=", ".join(a.iata for a in found[:8]) + ("…" if len(found) > 8 else ""),
                )
            else:
                errors[f"flight.{name}"] = Message(
                    _("No airport called “%(typed)s”: type a city, an airport or its three-letter code."),
                    typed=typed,
                )
    return errors


def request_from_form(
    form: dict[str, str], types: list[str], **fixed: Any
) -> tuple[FootprintRequest | None, dict[str, Any]]:
    """A footprint request, or the messages to show beside each input that is wrong."""
    activities = activities_from_form(form, types)
    if not activities:
        return None, {"activities": _("Fill in at least one activity.")}
    unknown = _airport_codes(activities)
    try:
        request = FootprintRequest.model_validate({**fixed, "activities": activities})
    except ValidationError as exc:
        return None, {**form_errors(exc.errors(), activities), **unknown}
    return (None, unknown) if unknown else (request, {})


def plain_errors(errors: Any) -> list[tuple[str, Message]]:
    """(field, message in plain words) for each validation error, as forms show them."""
    out = []
    for error in errors:
        _location, name = field_path(error.get("loc", ()))
        if error.get("type") == "union_tag_invalid":
            name += ".type"
        out.append((name, plain(error)))
    return out


def form_errors(errors: Any, activities: list[dict[str, Any]]) -> dict[str, str]:
    """Maps 'activities[1].km' to the form input 'rail.km'."""
    out: dict[str, str] = {}
    for name, message in plain_errors(errors):
        if name.startswith("activities["):
            index = int(name[len("activities[") : name.index("]")])
            rest = name[name.index("]") + 1 :].lstrip(".")
            activity_type = activities[index]["type"] if index < len(activities) else "activities"
            name = f"{activity_type}.{rest}" if rest else activity_type
        out.setdefault(name, message)
    return out


def defaults_as_values(calculator: list[Any]) -> dict[str, str]:
    """A scene's calculator defaults as form values ('flight.to' -> 'CTU')."""
    values = {}
    for spec in calculator:
        for name, value in spec.defaults.items():
            if name == "passengers":  # scenes made before factor set 2025.2: the car's occupants
                name = "occupants" if spec.type in {"car", "taxi"} else "travellers"
            if value is not None:
                values[f"{spec.type}.{name}"] = (
                    "on" if value is True else "" if value is False else str(value)
                )
    return values


# A scene's short calculator: how the visitor came and the nights they stayed; "more" opens the rest.
SHORT_TYPES = ("flight", "rail", "car", "hotel")


def short_first(types: list[str], values: dict[str, Any], errors: dict[str, str]) -> list[str]:
    """The activities shown before "more": the short set, and any the visitor (or the organizer's
    defaults) already filled in or that has an error, so nothing filled in is ever hidden."""
    shown = {t for t in types if t in SHORT_TYPES}
    for activity_type in types:
        if filled(activity_type, values) or any(
            key == activity_type or key.startswith(f"{activity_type}.") for key in errors
        ):
            shown.add(activity_type)
    for activity_type in types:
        if len(shown) >= 2:
            break
        shown.add(activity_type)
    return [t for t in types if t in shown]


def page_context(types: list[str], *, short: bool = False) -> dict[str, Any]:
    from carbonneutral.domain import places

    context: dict[str, Any] = {"types": types, "inputs": INPUTS, "titles": TITLES, "kinds": KIND_NAMES}
    if "flight" in types:
        context["airports"] = places.airports()
    if {"rail", "car", "bus"} & set(types):
        context["cities"] = places.cities()
    if short:
        context["short_first"] = lambda values, errors: short_first(types, values, errors)
    return context


def domain_error_to_form(field_name: str | None, message: str, activities: list[Any]) -> dict[str, str]:
    said = plain({"type": "value_error", "msg": message, "loc": tuple((field_name or "").split("."))})
    if field_name and field_name.startswith("activities["):
        index = int(field_name[len("activities[") : field_name.index("]")])
        rest = field_name[field_name.index("]") + 1 :].lstrip(".")
        activity_type = activities[index].type
        return {f"{activity_type}.{rest}" if rest else activity_type: said}
    return {"activities": said}


SCENE_FORM_FIELDS = (
    ("name_zh", _("Name in Chinese")),
    ("name_en", _("Name in English")),
    ("city_zh", _("City in Chinese")),
    ("city_en", _("City in English")),
    ("lat", _("Latitude (only for a place not in the list)")),
    ("lon", _("Longitude (only for a place not in the list)")),
    ("airport", _("Nearest airport (IATA code, optional)")),
    ("starts_on", _("First day")),
    ("ends_on", _("Last day")),
    ("expected_attendance", _("Expected participants (for the rating)")),
    ("per_participant_kg", _("Footprint per participant in kg (optional: the kind's own estimate)")),
    ("event_footprint_kg", _("The event's own footprint in kg (venue, energy, materials)")),
)


def order_request_from_form(
    form: dict[str, str], footprint_id: str, participant_id: str | None = None
) -> tuple[OrderRequest | None, dict[str, str]]:
    """The neutralize form as an order request, or the messages to show beside its inputs."""
    raw = {
        "footprint_id": footprint_id,
        "project_id": form.get("project_id", ""),
        "beneficiary": {
            "name": form.get("name", "").strip(),
            "kind": form.get("kind", "individual"),
            "hidden": form.get("hidden") == "on",
            "full_name": form.get("full_name") == "on",
        },
        "role": "participant",  # the organizer's share is bought from the organizer's own pages
        "participant_id": participant_id,
    }
    try:
        return OrderRequest.model_validate(raw), {}
    except ValidationError as exc:
        return None, dict(plain_errors(exc.errors()))


def scene_request_from_form(form: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """The organizer's new-scene form as a SceneCreate, or messages beside the inputs."""
    from carbonneutral.domain.organizers import SceneCreate
    from carbonneutral.domain.places import find_city

    # A city picked from the list gives the coordinates and the city's names, unless typed.
    typed_place = " ".join(form.get("place", "").split())
    place = find_city(typed_place) if typed_place else None
    coordinates = bool(form.get("lat", "").strip() and form.get("lon", "").strip())
    raw: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "name": {"zh-CN": form.get("name_zh", "").strip(), "en": form.get("name_en", "").strip()},
        "city": {
            "zh-CN": form.get("city_zh", "").strip() or (place.name["zh-CN"] if place else ""),
            "en": form.get("city_en", "").strip() or (place.name["en"] if place else ""),
        },
        "lat": form.get("lat", "").strip() or (place.lat if place else None),
        "lon": form.get("lon", "").strip() or (place.lon if place else None),
        "airport": form.get("airport", "").strip().upper() or None,
        "starts_on": form.get("starts_on") or None,
        "ends_on": form.get("ends_on") or None,
        **{
            name: form.get(name, "").strip() or None
            for name in ("expected_attendance", "per_participant_kg", "event_footprint_kg")
        },
    }
    try:
        scene = SceneCreate.model_validate(raw)
    except ValidationError as exc:
        names = {"name.zh-CN": "name_zh", "name.en": "name_en", "city.zh-CN": "city_zh", "city.en": "city_en"}
        errors: dict[str, str] = {}
        for name, message in plain_errors(exc.errors()):
            errors.setdefault(names.get(name, name) if name != "body" else "form", message)
        if typed_place and place is None and not coordinates:
            errors["place"] = Message(UNKNOWN_PLACE)
        return None, errors
    if typed_place and place is None and not coordinates:
        return None, {"place": Message(UNKNOWN_PLACE)}
    return scene, {}


def event_order_from_form(form: dict[str, str], scene_id: str) -> tuple[OrderRequest | None, dict[str, str]]:
    """The organizer's event-footprint form as an order request, or the messages beside its inputs."""
    raw = {
        "quantity_kg": form.get("quantity_kg", "").strip() or None,
        "scene_id": scene_id,
        "project_id": form.get("project_id", ""),
        "beneficiary": {"name": form.get("name", "").strip(), "kind": "organization"},
        "role": "organizer",
    }
    try:
        return OrderRequest.model_validate(raw), {}
    except ValidationError as exc:
        errors: dict[str, str] = dict(plain_errors(exc.errors()))
        if "body" in errors:  # neither a footprint nor a quantity: the quantity is what is missing
            errors["quantity_kg"] = errors.pop("body")
        return None, errors
