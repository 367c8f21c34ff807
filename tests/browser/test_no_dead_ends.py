"""No dead ends: a failed submit says what is wrong and takes focus there, a bad link lands on a
page in the visitor's language, and every tap target is at least 44 x 44 CSS px."""

from __future__ import annotations

import pytest

from tests.support import PUBLIC_PAGES, axe_violations, screenshot

pytestmark = pytest.mark.browser

MIN_TARGET_PX = 44
# Every visible thing a finger can press.
_TARGETS = """els => els.filter(e => e.offsetParent !== null || e.tagName === 'SUMMARY').map(e => {
  const r = e.getBoundingClientRect();
  const label = (e.innerText || e.value || e.name || e.id || e.tagName).trim().slice(0, 30);
  return [label, Math.round(r.width), Math.round(r.height)];
}).filter(([_, w, h]) => w > 0 && h > 0)"""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_failed_submit_focuses_a_summary_linked_to_each_field(phone, stack, lang: str) -> None:
    phone.goto(f"{stack.url}/s/cdcnf-2021?lang={lang}")
    phone.fill("#f-flight-from", "QQQ")
    phone.fill("#f-flight-to", "CTU")
    with phone.expect_navigation():
        phone.locator("form button[type=submit]").first.click()
    summary = phone.locator(".error-summary")
    assert summary.count() == 1
    assert phone.evaluate("document.activeElement.classList.contains('error-summary')")
    link = summary.locator('a[href="#f-flight-from"]')
    assert link.count() == 1
    link.click()
    assert phone.evaluate("document.activeElement.id") == "f-flight-from"
    screenshot(phone, f"dead-ends-{lang}-error-summary")


def test_a_bad_link_lands_on_a_page_in_the_visitors_language(phone, stack) -> None:
    answer = phone.goto(f"{stack.url}/no/such/page?lang=zh-CN")
    assert answer is not None and answer.status == 404
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert phone.get_by_role("link", name="碳中和").count() >= 1  # the way back home


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_passes_axe_core(phone, stack, path: str, lang: str) -> None:
    phone.goto(f"{stack.url}{path}?lang={lang}")
    assert axe_violations(phone) == []


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_tap_target_is_at_least_44_px(phone, stack, path: str) -> None:
    phone.goto(f"{stack.url}{path}?lang=zh-CN")
    targets = phone.eval_on_selector_all(
        "a[href], button, input:not([type=hidden]), select, summary", _TARGETS
    )
    small = [t for t in targets if t[1] < MIN_TARGET_PX or t[2] < MIN_TARGET_PX]
    assert small == [], f"{path}: {small}"
