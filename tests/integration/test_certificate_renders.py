"""Certificate renders for any name: every script, emoji, control characters and any length fit
the card (wrapped, shrunk or cut), never an empty box and never an error."""

from __future__ import annotations

import io

import pytest
from carbonneutral.certify import render
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

pytestmark = pytest.mark.integration

PAPER = render.PAPER
names = st.text(min_size=1, max_size=80).filter(lambda s: render.drawable(s).strip())


def _inked_box(name: str, width: int, sizes: range) -> tuple[int, int, int, int] | None:
    """Where _draw_name puts ink on an empty canvas wider than its space."""
    image = Image.new("RGB", (width + 400, 400), PAPER)
    render._draw_name(ImageDraw.Draw(image), render.drawable(name), (100, 20), width, sizes)
    diff = Image.eval(image.convert("L"), lambda v: 255 if v < 200 else 0)
    return diff.getbbox()


# A glyph may overhang its origin by a few pixels (the tail of a j); the cards keep a margin of at
# least 40 px around the name's space (60 px of edge on the wide card, and the QR code 40 px to the
# right of it), so ink within OVERHANG of the space is still on the card and clear of the QR code.
OVERHANG = 20


@settings(max_examples=60, deadline=None)
@example("j" * 80)
@example("jÿ𝒥" * 20)
@given(names)
def test_a_name_never_leaves_its_space_on_either_card(name: str) -> None:
    for width, sizes in ((820, range(72, 20, -4)), (920, range(96, 28, -4))):
        box = _inked_box(name, width, sizes)
        assert box is not None  # something visible is drawn
        left, _top, right, bottom = box
        assert left >= 100 - OVERHANG and right <= 100 + width + OVERHANG, (name, box)
        assert bottom <= 20 + 2 * sizes[0] * 1.3, (name, box)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("李雷\u2029Li Lei", "李雷 Li Lei"),  # a paragraph separator once made every view a 500
        ("韩梅梅\nHan", "韩梅梅 Han"),
        ("小明😀🌱", "小明★"),  # emoji the font cannot draw: one visible star, not empty boxes
        ("👨\u200d👩\u200d👧 家", "★ 家"),
        ("Zoë\u0007", "Zoë"),
    ],
)
def test_what_the_font_cannot_draw_becomes_visible_or_goes(name: str, shown: str) -> None:
    assert render.drawable(name) == shown


def test_a_name_far_too_long_is_cut_with_an_ellipsis() -> None:
    image = Image.new("RGB", (1200, 400), PAPER)
    draw = ImageDraw.Draw(image)
    render._draw_name(draw, "碳" * 80, (60, 20), 820)
    assert _inked_box("碳" * 80, 820, range(72, 20, -4)) is not None


def test_both_cards_render_any_name(tmp_path) -> None:
    from tests.factories import a_signed_certificate

    for name in ("李雷\u2029Li Lei", "😀" * 40, "A" * 80, "ال" * 30):
        certificate = a_signed_certificate(beneficiary=name)
        wide = Image.open(io.BytesIO(render.render_png(certificate, "https://example.test/c/x/verify")))
        card = Image.open(io.BytesIO(render.render_card_png(certificate, "https://example.test/c/x/verify")))
        assert (wide.size, card.size) == ((1200, 630), (1080, 1920))
