"""The scene's A4 poster prints on exactly one page, whatever the length of the scene's name."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def pages_of(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("name_repeat", [1, 12])
def test_the_poster_prints_on_one_a4_page(phone, stack, invoke, name_repeat: int) -> None:
    from carbonneutral.domain.types import LocalizedText
    from carbonneutral.store.scenes import DynamoSceneRepository

    scenes = DynamoSceneRepository(stack.table, stack.dynamodb_client())
    scene = scenes.get("cdcnf-2021").model_copy(
        update={
            "scene_id": f"poster-{name_repeat}",
            "name": LocalizedText.model_validate(
                {
                    "zh-CN": ("首届中国数字碳中和高峰论坛" * name_repeat)[:200],
                    "en": ("Carbon Forum " * name_repeat)[:200],
                }
            ),
        }
    )
    scenes.put(scene)
    phone.goto(f"{stack.url}/v1/scenes/{scene.scene_id}/poster")
    pdf = phone.pdf(prefer_css_page_size=True, print_background=True)
    assert pages_of(pdf) == 1
    # the QR code is whole on the page: inside the poster's box
    qr, poster = phone.locator(".qr").bounding_box(), phone.locator(".poster").bounding_box()
    assert qr and poster and qr["y"] + qr["height"] <= poster["y"] + poster["height"]
