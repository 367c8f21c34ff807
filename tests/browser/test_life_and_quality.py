"""The life footprint from the home page; every page light, labelled and keyboard-usable."""

from __future__ import annotations

import pytest

from tests.support import PUBLIC_PAGES, screenshot

pytestmark = pytest.mark.browser

# Slow 3G moves about 50 KB/s: 40 KB of HTML, CSS and JS arrives well under a second.
MAX_PAGE_BYTES = 40 * 1024


def test_everyday_footprint_from_the_home_page(phone, stack) -> None:
    phone.goto(f"{stack.url}/?lang=zh-CN")
    phone.get_by_role("link", name="计算我的日常碳足迹").click()
    phone.wait_for_url("**/life*")
    phone.select_option("#f-period", "year")
    phone.fill("#f-electricity-kwh", "2400")
    phone.select_option("#f-electricity-grid", "CN-SW")
    phone.select_option("#f-diet-diet", "vegetarian")
    phone.keyboard.press("Enter")  # submitting with the keyboard works too
    phone.wait_for_url("**/f/fp_*")
    # 2400 x 0.2472 = 593.28 kg; 365 x 3.81 = 1390.65 kg; together 1983.93 kg
    assert "1,983.9" in phone.locator("h1").inner_text()
    screenshot(phone, "life-zh-CN-result")


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_are_light_and_every_input_has_a_label(phone, stack, path: str) -> None:
    sizes: list[int] = []
    # what travels: the encoded (gzipped) bodies, as a slow network carries them
    phone.on(
        "requestfinished",
        lambda r: (
            sizes.append(r.sizes()["responseBodySize"])
            if r.resource_type in ("document", "stylesheet", "script")
            else None
        ),
    )
    phone.goto(f"{stack.url}{path}?lang=en")
    phone.wait_for_load_state("networkidle")
    assert sum(sizes) < MAX_PAGE_BYTES, f"{path}: {sum(sizes)} bytes of HTML, CSS and JS"
    unlabelled = phone.eval_on_selector_all(
        "input:not([type=hidden]), select",
        "els => els.filter(e => !(e.labels && e.labels.length)).map(e => e.name || e.id)",
    )
    assert unlabelled == []
    assert phone.locator("html").get_attribute("lang") == "en"
