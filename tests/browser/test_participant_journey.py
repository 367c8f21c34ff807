"""The participant's journey from the QR landing page to the leaderboard, in a phone browser,
without JavaScript doing any of the work: forms post, pages render on the server."""

from __future__ import annotations

import pytest

from tests.support import screenshot

pytestmark = pytest.mark.browser

TEXT = {
    "zh-CN": {
        "calculate": "计算我的碳足迹",
        "neutralize": "去中和",
        "continue": "去支付",
        "pay": "测试",
        "done": "完成：您的减排量已注销。",
        "certificate": "查看您的证书",
        "board": "查看排行榜",
        "you": "你",
    },
    "en": {
        "calculate": "Calculate my footprint",
        "neutralize": "Neutralize it",
        "continue": "Continue to payment",
        "pay": "(test)",
        "done": "Done: your credits are retired.",
        "certificate": "See your certificate",
        "board": "See the leaderboard",
        "you": "you",
    },
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_from_the_qr_code_to_the_leaderboard(phone, stack, lang: str) -> None:
    t = TEXT[lang]
    phone.goto(f"{stack.url}/s/cdcnf-2021?lang={lang}")
    screenshot(phone, f"journey-{lang}-1-scene")
    assert phone.locator("#f-flight-from").get_attribute("list") == "airports"
    phone.fill("#f-flight-from", "北京首都" if lang == "zh-CN" else "Beijing Capital")  # a name, not a code
    phone.fill("#f-hotel-nights", "2")
    assert not phone.locator("#f-meal-count").is_visible()  # meals are behind "more"
    phone.locator("details.more > summary").click()
    phone.fill("#f-meal-count", "6")
    phone.get_by_role("button", name=t["calculate"]).click()
    phone.wait_for_url("**/f/fp_*")
    # the flight by China's method with its fuel supply 535.183 + 107 hotel + 6 x 1.87667 meals
    assert "653.4" in phone.locator("h1").inner_text()
    screenshot(phone, f"journey-{lang}-2-result")

    phone.get_by_role("link", name=t["neutralize"]).click()
    phone.wait_for_url("**/neutralize/fp_*")
    phone.fill("#f-name", "韩梅梅" if lang == "zh-CN" else "Han Meimei")
    assert (
        "public page" in phone.locator("#f-public").inner_text()
        or "公开页面" in phone.locator("#f-public").inner_text()
    )
    phone.check("#p-cdcer-sichuan-biogas")
    screenshot(phone, f"journey-{lang}-3-neutralize")
    phone.get_by_role("button", name=t["continue"]).click()
    phone.wait_for_url("**/checkout/ord_*")
    screenshot(phone, f"journey-{lang}-4-checkout")

    phone.locator("form button").filter(has_text=t["pay"]).click()
    phone.wait_for_load_state()
    assert t["done"] in phone.locator(".notice").inner_text()
    screenshot(phone, f"journey-{lang}-5-paid")

    phone.get_by_role("link", name=t["certificate"]).click()
    phone.wait_for_url("**/c/cert_*")
    assert phone.locator("h1").inner_text() == ("韩梅梅" if lang == "zh-CN" else "Han Meimei")
    screenshot(phone, f"journey-{lang}-6-certificate")

    phone.go_back()
    phone.get_by_role("link", name=t["board"]).click()
    phone.wait_for_url("**/leaderboard/scene:cdcnf-2021*")
    me = phone.locator("tr.me")
    assert me.count() == 1 and t["you"] in me.inner_text()
    # the board shows a person's name masked: they did not choose to show it in full
    assert ("韩**" if lang == "zh-CN" else "H**") in me.inner_text() and "梅梅" not in me.inner_text()
    screenshot(phone, f"journey-{lang}-7-leaderboard")
    assert phone.console_errors == []


def test_a_buyer_who_changes_their_mind_cancels_before_paying(phone, stack) -> None:
    phone.goto(f"{stack.url}/s/cdcnf-2021?lang=en")
    phone.locator("details.more > summary").click()
    phone.fill("#f-meal-count", "2")
    phone.get_by_role("button", name="Calculate my footprint").click()
    phone.wait_for_url("**/f/fp_*")
    footprint_url = phone.url
    phone.get_by_role("link", name="Neutralize it").click()
    phone.fill("#f-name", "Lucy")
    phone.check("#p-cdcer-sichuan-biogas")
    phone.get_by_role("button", name="Continue to payment").click()
    phone.wait_for_url("**/checkout/ord_*")
    assert "Retirement is final" in phone.locator("main").inner_text()  # said before paying
    phone.get_by_role("button", name="Cancel this order").click()
    phone.wait_for_load_state()
    assert "You cancelled this order" in phone.locator(".notice").inner_text()
    assert phone.get_by_role("button", name="Cancel this order").count() == 0
    assert phone.locator("text=(test)").count() == 0  # nothing left to pay
    screenshot(phone, "journey-en-cancelled")
    phone.get_by_role("link", name="Try again").click()  # the footprint is free again
    phone.wait_for_url(footprint_url.replace("/f/", "/neutralize/"))
    assert phone.get_by_role("button", name="Continue to payment").count() == 1
    assert phone.console_errors == []
