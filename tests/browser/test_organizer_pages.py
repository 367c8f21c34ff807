"""An organizer signs in, creates a scene and gets a QR code that opens it, in a browser."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from tests.journeys import make_key
from tests.support import screenshot

pytestmark = pytest.mark.browser


def test_an_organizer_creates_a_scene_and_its_qr_opens_the_scene_page(phone, stack, capsys) -> None:
    key = make_key("browser-org", capsys)
    phone.goto(f"{stack.url}/organizer?lang=en")
    phone.fill("#f-key", "cnk_wrongwrongwr_" + "x" * 43)
    phone.click("button[type=submit]")
    assert "That key is not valid." in phone.content()
    phone.fill("#f-key", key)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/organizer/scenes/new*")
    phone.select_option("#f-kind", "scenic_spot")
    for field, value in {
        "name_zh": "青城山（测试）",
        "name_en": "Mount Qingcheng (test)",
        "city_zh": "都江堰",
        "city_en": "Dujiangyan",
        "lat": "30.90",
        "lon": "103.57",
        "airport": "ctu",
    }.items():
        phone.fill(f"#f-{field}", value)
    screenshot(phone, "organizer-1-new-scene")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/organizer/scenes/scenic-spot-*")
    assert phone.locator("h1").inner_text() == "Mount Qingcheng (test)"
    page_url = phone.locator("figure.qr figcaption a").inner_text()
    assert page_url.startswith(f"{stack.url}/s/scenic-spot-")
    shot = phone.locator("#scene-qr").screenshot()  # the QR as the browser shows it
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert decoded.text == page_url
    screenshot(phone, "organizer-2-scene")
    phone.goto(page_url + "?lang=zh-CN")
    assert phone.locator("h1").inner_text() == "青城山（测试）"
    assert phone.console_errors == [] or all("401" in e for e in phone.console_errors)


def test_organizer_pages_need_a_signed_in_organizer(phone, stack) -> None:
    phone.goto(f"{stack.url}/organizer/scenes/new?lang=en")
    assert phone.url.startswith(f"{stack.url}/organizer?")
