"""The certificate page in headless Chromium on a phone: it loads, shows, verifies, and breaks no CSP rule."""

from __future__ import annotations

import pytest

from tests.journeys import retire
from tests.support import screenshot

pytestmark = pytest.mark.browser


def test_certificate_page_works_in_a_phone_browser(phone, invoke, stack) -> None:
    retired = retire(invoke, stack, name="韩梅梅 Han Meimei")
    phone.goto(f"{stack.url}/c/{retired['certificate_id']}?lang=zh-CN")
    assert phone.locator("h1").inner_text() == "韩梅梅 Han Meimei"
    assert phone.title().startswith("碳中和荣誉证书")
    # no Share button where the browser cannot share (headless Chromium has no share sheet)
    assert phone.evaluate("!!navigator.share") is False and not phone.locator("[data-share-url]").is_visible()
    for image in ("figure.qr img", "img.share-image", "img.share-card"):
        assert phone.eval_on_selector(image, "img => img.complete && img.naturalWidth > 0"), image
    assert phone.locator('meta[property="og:image"]').get_attribute("content").endswith("/image.png")
    screenshot(phone, "certificate-zh")
    phone.click("figure.qr a")
    phone.wait_for_url("**/verify?lang=zh-CN")
    assert "证书真实有效" in phone.locator("h1").inner_text()
    screenshot(phone, "certificate-verify-zh")
    assert phone.console_errors == []
