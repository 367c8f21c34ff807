"""Certificate renders: a shareable PNG (1200x630, the Open Graph size) and the hosted page.

Rendering is deterministic: the same certificate gives the same bytes, so a render lost
from S3 is made again identical from DynamoDB.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from carbonneutral.domain.certificates import SignedCertificate
from carbonneutral.qr import qr_image, qr_svg

__all__ = ["qr_svg", "render_png"]

FONT_DIR = Path(__file__).resolve().parent.parent / "web" / "fonts"
GREEN, INK, MUTED, PAPER = (20, 101, 58), (27, 36, 32), (91, 102, 97), (250, 252, 251)


@cache
def _font(weight: str, size: int) -> Any:
    from PIL import ImageFont

    path = FONT_DIR / f"NotoSansSC_{weight}.ttf"
    if not path.exists():
        raise RuntimeError(f"missing font {path.name}: run `make setup` (it fetches Noto Sans SC)")
    return ImageFont.truetype(str(path), size)


def _fit(draw: Any, text: str, weight: str, size: int, width: int) -> Any:
    """The largest font up to size that fits text in width (long names shrink, never overflow)."""
    while size > 18:
        font = _font(weight, size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 2
    return _font(weight, size)


def _two_lines(draw: Any, text: str, font: Any, width: int) -> list[str] | None:
    """Splits text into at most two lines that fit, breaking at a space where possible."""
    if draw.textlength(text, font=font) <= width:
        return [text]
    cut = len(text)
    while cut > 1 and draw.textlength(text[:cut], font=font) > width:
        cut -= 1
    space = text.rfind(" ", 0, cut + 1)
    if space > cut // 2:
        cut = space
    first, rest = text[:cut].rstrip(), text[cut:].lstrip()
    return [first, rest] if draw.textlength(rest, font=font) <= width else None


def _draw_name(draw: Any, name: str, origin: tuple[int, int], width: int) -> None:
    """The beneficiary's name as large as fits in two lines of the space above the figures."""
    for size in range(72, 20, -4):
        font = _font("700Bold", size)
        lines = _two_lines(draw, name, font, width)
        if lines and (len(lines) == 1 or size <= 40):
            top = origin[1] + (0 if len(lines) == 2 else 10)
            for i, line in enumerate(lines):
                draw.text((origin[0], top + i * int(size * 1.25)), line, font=font, fill=INK)
            return
    draw.text(origin, name, font=_fit(draw, name, "700Bold", 24, width), fill=INK)


def render_png(certificate: SignedCertificate, verify_url: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 630), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1200, 110), fill=GREEN)
    draw.text(
        (60, 28), "碳中和荣誉证书  ·  Carbon Neutral Certificate", font=_font("700Bold", 40), fill="white"
    )
    _draw_name(draw, certificate.beneficiary, (60, 140), width=820)
    draw.text((60, 250), "已中和 neutralized", font=_font("400Regular", 28), fill=MUTED)
    # The font has no subscript two, so CO2e is set by hand: a smaller 2, lowered.
    big, small = _font("700Bold", 56), _font("700Bold", 34)
    x = 60 + draw.textlength(f"{certificate.quantity_kg:,} kg CO", font=big)
    draw.text((60, 285), f"{certificate.quantity_kg:,} kg CO", font=big, fill=GREEN)
    draw.text((x + 2, 318), "2", font=small, fill=GREEN)
    draw.text((x + 4 + draw.textlength("2", font=small), 285), "e", font=big, fill=GREEN)
    scene = certificate.scene
    if scene:
        line = f"{scene.zh_cn} · {scene.en}"
        draw.text((60, 370), line, font=_fit(draw, line, "400Regular", 30, 820), fill=INK)
    project = f"{certificate.project.zh_cn} ({certificate.standard} {certificate.vintage})"
    draw.text((60, 420), project, font=_fit(draw, project, "400Regular", 26, 820), fill=MUTED)
    serials = certificate.serials
    serial = serials[0] + (f"  +{len(serials) - 1}" if len(serials) > 1 else "")
    draw.text((60, 462), serial, font=_fit(draw, serial, "400Regular", 22, 820), fill=MUTED)
    draw.text(
        (60, 540),
        f"{certificate.retired_at[:10]}  ·  {certificate.certificate_id}",
        font=_font("400Regular", 22),
        fill=MUTED,
    )
    qr = qr_image(verify_url, 6).resize((230, 230), Image.Resampling.NEAREST)
    image.paste(qr, (920, 330))
    draw.text((935, 568), "扫码验证 Verify", font=_font("400Regular", 22), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
