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
    phone.wait_for_url("**/organizer/scenes?lang=en")  # the organizer's list first
    assert "You have no scenes yet." in phone.content()
    phone.get_by_role("link", name="New scene").click()
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
        "expected_attendance": "2",
        "per_participant_kg": "10",
        "event_footprint_kg": "30",
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
    # the scene's figures, drawn on the server, and its report as a spreadsheet
    assert phone.locator("svg.chart").count() == 3 and phone.locator("svg.chart title").count() >= 3
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download the report (CSV, opens in Excel)").click()
    assert download.value.suggested_filename.endswith("-report.csv")
    with open(download.value.path(), "rb") as csv_file:
        assert csv_file.read().startswith(b"\xef\xbb\xbf")
    phone.get_by_role("link", name="Your scenes").click()
    phone.wait_for_url("**/organizer/scenes?lang=en")
    assert phone.get_by_role("link", name="Mount Qingcheng (test)").count() == 1
    phone.goto(page_url + "?lang=zh-CN")
    assert phone.locator("h1").inner_text() == "青城山（测试）"
    assert phone.console_errors == [] or all("401" in e for e in phone.console_errors)


def test_organizer_pages_need_a_signed_in_organizer(phone, stack) -> None:
    phone.goto(f"{stack.url}/organizer/scenes/new?lang=en")
    assert phone.url.startswith(f"{stack.url}/organizer?")


def test_an_organizer_signs_in_to_a_session_and_signs_out(phone, stack, capsys) -> None:
    key = make_key("browser-session", capsys)
    phone.goto(f"{stack.url}/organizer?lang=en")
    phone.fill("#f-key", key)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/organizer/scenes?lang=en")
    cookies = {c["name"]: c for c in phone.context.cookies()}
    session = cookies["organizer_session"]
    assert (session["httpOnly"], session["sameSite"], session["path"]) == (True, "Strict", "/")
    assert key not in str(cookies) and key.split("_", 2)[2] not in str(cookies)
    phone.click("#sign-out")
    phone.wait_for_url("**/organizer?lang=en")
    assert "organizer_session" not in {c["name"] for c in phone.context.cookies()}
    phone.goto(f"{stack.url}/organizer/scenes/new?lang=en")
    assert phone.url.startswith(f"{stack.url}/organizer?")
    # the old session id, sent again by hand, is refused too
    phone.context.add_cookies([{**session, "expires": -1}])
    phone.goto(f"{stack.url}/organizer/scenes/new?lang=en")
    assert phone.url.startswith(f"{stack.url}/organizer?")


def test_the_organizer_neutralizes_the_event_and_applies_for_its_certificate(phone, stack, capsys) -> None:
    key = make_key("browser-rating", capsys)
    phone.goto(f"{stack.url}/organizer?lang=en")
    phone.fill("#f-key", key)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/organizer/scenes?lang=en")
    phone.goto(f"{stack.url}/organizer/scenes/new?lang=en")
    phone.select_option("#f-kind", "restaurant")
    phone.fill("#f-place", "成都")  # the place by name (a datalist suggests), not by typed coordinates
    for field, value in {
        "name_zh": "素食餐厅（测试）",
        "name_en": "Green Table (test)",
        "expected_attendance": "2",
        "per_participant_kg": "10",
        "event_footprint_kg": "30",
    }.items():
        phone.fill(f"#f-{field}", value)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/organizer/scenes/restaurant-*")
    scene_url = phone.url
    assert "Chengdu" in phone.locator(".hero").inner_text()
    rating = phone.locator("#rating").inner_text()
    assert "2 × 10 kg + 30 kg = 50.0 kg" in rating and "Not rated yet" in rating
    assert phone.get_by_role("button", name="Get the signed event certificate").count() == 0  # no level yet

    phone.get_by_role("link", name="Neutralize the event's own footprint").click()
    phone.wait_for_url("**/neutralize?lang=en")
    assert phone.locator("#f-kg").input_value() == "30"
    phone.fill("#f-name", "Green Table Ltd")
    phone.get_by_role("button", name="Continue to payment").click()
    phone.wait_for_url("**/checkout/ord_*")
    phone.locator("form button").filter(has_text="(test)").click()
    phone.wait_for_load_state()
    assert "Done: your credits are retired." in phone.locator(".notice").inner_text()

    phone.goto(scene_url)
    rating = phone.locator("#rating").inner_text()
    assert "Silver" in rating and "30 kg" in rating  # 30 of 50 kg: the organizer's part, all of it
    screenshot(phone, "organizer-3-rated")
    phone.get_by_role("button", name="Get the signed event certificate").click()
    phone.wait_for_url("**/c/cert_*")
    assert phone.locator("h1").inner_text() == "Green Table (test)"
    assert "Silver" in phone.locator("article").inner_text()
    screenshot(phone, "organizer-4-event-certificate")
    phone.get_by_role("link", name="Verify this certificate").click()
    assert "Genuine certificate" in phone.locator("h1").inner_text()
