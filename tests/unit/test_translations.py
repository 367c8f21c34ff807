"""The zh-CN catalog covers every message, and its compiled form is current."""

from __future__ import annotations

import io
import subprocess
import sys

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from infrastructure.template import ROOT

LOCALE = ROOT / "shared/carbonneutral/web/locale"


def test_every_message_is_extracted_and_translated(tmp_path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    extracted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalog = read_po((LOCALE / "zh_CN/LC_MESSAGES/messages.po").open("rb"))
    translated = {m.id for m in catalog if m.id and m.string}
    assert extracted - translated == set(), "run `make messages` and translate the new messages"


def test_compiled_catalog_matches_the_source() -> None:
    po = read_po((LOCALE / "zh_CN/LC_MESSAGES/messages.po").open("rb"))
    mo = read_mo(io.BytesIO((LOCALE / "zh_CN/LC_MESSAGES/messages.mo").read_bytes()))
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}


def test_times_are_shown_in_beijing_time() -> None:
    from datetime import UTC, datetime

    from carbonneutral.web.html import beijing_time

    assert beijing_time("2026-11-26T05:43:00+00:00") == "2026-11-26 13:43"
    assert beijing_time(datetime(2026, 11, 26, 20, 30, tzinfo=UTC), "%Y-%m-%d") == "2026-11-27"
    assert beijing_time(None) == ""


def test_form_errors_are_plain_words_never_patterns() -> None:
    from carbonneutral.domain.footprints import FootprintRequest
    from carbonneutral.web.forms import form_errors
    from pydantic import ValidationError

    activities = [
        {"type": "flight", "from": "北京", "to": "CTU"},
        {"type": "hotel", "nights": 0},
        {"type": "car", "km": "far", "occupants": 2, "travellers": 3},
    ]
    try:
        FootprintRequest.model_validate({"kind": "life", "period": "month", "activities": activities})
    except ValidationError as exc:
        errors = form_errors(exc.errors(), activities)
    assert errors["flight.from"] == "Enter an airport's three-letter code, such as PEK or CTU."
    assert errors["hotel.nights"] % errors["hotel.nights"].params == "Enter at least 1."  # type: ignore[attr-defined]
    assert errors["car.km"] == "Enter a number."
    assert errors["car.occupants"] == "More people are counted than there are in the vehicle."


def test_a_city_picked_from_the_list_gives_the_scene_its_place() -> None:
    from carbonneutral.domain.places import capitals, city
    from carbonneutral.web.forms import scene_request_from_form

    assert len(capitals()) == 31 and len({c.province for c in capitals()}) == 31
    chengdu = city("chengdu")
    assert chengdu and chengdu.province == "CN-SC" and chengdu.label("zh-CN") == "成都 · 四川省"
    form = {"kind": "restaurant", "name_zh": "素食小厨", "name_en": "Veggie Kitchen", "place": "chengdu"}
    request, errors = scene_request_from_form(form)
    assert errors == {} and request is not None
    assert (request.lat, request.lon, request.city.zh_cn, request.city.en) == (
        30.66667,
        104.06667,
        "成都",
        "Chengdu",
    )
    for typed in ("成都 · 四川省", "Chengdu", "成都市"):  # what the datalist suggests, or a name typed
        request, errors = scene_request_from_form({**form, "place": typed})
        assert errors == {} and request is not None and request.city.en == "Chengdu", typed
    _, errors = scene_request_from_form({**form, "place": ""})
    assert "lat" in errors and "lon" in errors  # elsewhere: the coordinates are needed
    _, errors = scene_request_from_form({**form, "place": "Atlantis"})
    assert errors["place"].startswith("We don't know this city")
    elsewhere = {
        "place": "Atlantis",
        "lat": "30.1",
        "lon": "103.2",
        "city_zh": "某地",
        "city_en": "Somewhere",
    }
    request, errors = scene_request_from_form({**form, **elsewhere})
    assert errors == {} and request is not None and request.lat == 30.1  # typed coordinates and names win
