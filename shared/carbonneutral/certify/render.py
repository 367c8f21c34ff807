"""Certificate renders: a shareable PNG (1200x630, the Open Graph size), a portrait card
(1080x1920, what WeChat users long-press to save and share) and the hosted page.

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

__all__ = ["qr_svg", "render_card_png", "render_png"]

FONT_DIR = Path(__file__).resolve().parent.parent / "web" / "fonts"
GREEN, INK, MUTED, PAPER = (20, 101, 58), (27, 36, 32), (91, 102, 97), (250, 252, 251)


@cache
def _font(weight: str, size: int) -> Any:
    from PIL import ImageFont

    path = FONT_DIR / f"NotoSansSC_{weight}.ttf"
    if not path.exists():
        raise RuntimeError(f"missing font {path.name}: run `make setup` (it fetches Noto Sans SC)")
    return ImageFont.truetype(str(path), size)


FALLBACK = "★"  # drawn for a character the font has no glyph for (emoji, rare scripts)


@cache
def _has_glyph(char: str) -> bool:
    font = _font("400Regular", 40)
    missing = font.getmask("\ue000")  # a private-use code point: the font's "no glyph" box
    mask = font.getmask(char)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def drawable(text: str) -> str:
    """Text as the card can draw it: line and paragraph separators and control characters become
    spaces, format characters (joiners, bidi marks, variation selectors) go, and a character the
    font cannot draw becomes one visible ★ per run, never an empty box."""
    import unicodedata

    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category in {"Cc", "Zl", "Zp", "Zs"}:
            out.append(" ")
        elif category in {"Cf", "Cs", "Co", "Cn"} or "\ufe00" <= char <= "\ufe0f" or category == "Sk":
            continue
        elif category.startswith("M") and out and out[-1] == FALLBACK:
            continue
        elif _has_glyph(char):
            out.append(char)
        elif not out or out[-1] != FALLBACK:
            out.append(FALLBACK)
    return " ".join("".join(out).split())


def _clip(draw: Any, text: str, font: Any, width: int) -> str:
    """text, shortened with an ellipsis until it fits width."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


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


def _draw_name(
    draw: Any, name: str, origin: tuple[int, int], width: int, sizes: range = range(72, 20, -4)
) -> None:
    """The beneficiary's name as large as fits in two lines of the space above the figures; a name
    too long even then is cut with an ellipsis on its second line. Nothing leaves the space."""
    for size in sizes:
        font = _font("700Bold", size)
        lines = _two_lines(draw, name, font, width)
        if lines and (len(lines) == 1 or size <= 40):
            top = origin[1] + (0 if len(lines) == 2 else 10)
            for i, line in enumerate(lines):
                draw.text((origin[0], top + i * int(size * 1.25)), line, font=font, fill=INK)
            return
    size = sizes[-1]
    font = _font("700Bold", size)
    first = _clip(draw, name, font, width).removesuffix("…")
    rest = _clip(draw, name[len(first) :].lstrip(), font, width)
    for i, line in enumerate((first, rest)):
        draw.text((origin[0], origin[1] + i * int(size * 1.25)), line, font=font, fill=INK)


def render_png(certificate: SignedCertificate, verify_url: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 630), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1200, 110), fill=GREEN)
    draw.text(
        (60, 28), "碳中和荣誉证书  ·  Carbon Neutral Certificate", font=_font("700Bold", 40), fill="white"
    )
    _draw_name(draw, drawable(certificate.beneficiary), (60, 140), width=820)
    draw.text((60, 250), "已中和 neutralized", font=_font("400Regular", 28), fill=MUTED)
    # The font has no subscript two, so CO2e is set by hand: a smaller 2, lowered.
    big, small = _font("700Bold", 56), _font("700Bold", 34)
    x = 60 + draw.textlength(f"{certificate.quantity_kg:,} kg CO", font=big)
    draw.text((60, 285), f"{certificate.quantity_kg:,} kg CO", font=big, fill=GREEN)
    draw.text((x + 2, 318), "2", font=small, fill=GREEN)
    draw.text((x + 4 + draw.textlength("2", font=small), 285), "e", font=big, fill=GREEN)
    scene = certificate.scene
    if scene:
        line = drawable(f"{scene.zh_cn} · {scene.en}")
        font = _fit(draw, line, "400Regular", 30, 820)
        draw.text((60, 370), _clip(draw, line, font, 820), font=font, fill=INK)
    project = drawable(f"{certificate.project.zh_cn} ({certificate.standard} {certificate.vintage})")
    font = _fit(draw, project, "400Regular", 26, 820)
    draw.text((60, 420), _clip(draw, project, font, 820), font=font, fill=MUTED)
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
    return _png(image)


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _centred(draw: Any, y: int, text: str, font: Any, fill: Any, width: int = 1080) -> None:
    draw.text(((width - draw.textlength(text, font=font)) / 2, y), text, font=font, fill=fill)


def render_card_png(certificate: SignedCertificate, verify_url: str) -> bytes:
    """The portrait card (1080x1920): the name, the tonnes, the scene, and a QR code big enough to
    scan from another phone's screen. Every text is fitted or cut to its width."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1080, 1920), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1080, 300), fill=GREEN)
    _centred(draw, 70, "碳中和荣誉证书", _font("700Bold", 76), "white")
    _centred(draw, 180, "Carbon Neutral Certificate", _font("400Regular", 44), "white")
    _draw_name(draw, drawable(certificate.beneficiary), (80, 360), width=920, sizes=range(96, 28, -4))
    draw.text((80, 560), "已中和 neutralized", font=_font("400Regular", 40), fill=MUTED)
    big, small = _font("700Bold", 84), _font("700Bold", 50)
    figure = f"{certificate.quantity_kg:,} kg CO"
    draw.text((80, 620), figure, font=big, fill=GREEN)
    x = 80 + draw.textlength(figure, font=big)
    draw.text((x + 3, 668), "2", font=small, fill=GREEN)
    draw.text((x + 6 + draw.textlength("2", font=small), 620), "e", font=big, fill=GREEN)
    y = 760
    if certificate.scene:
        for line in (certificate.scene.zh_cn, certificate.scene.en):
            text = drawable(line)
            font = _fit(draw, text, "400Regular", 40, 920)
            draw.text((80, y), _clip(draw, text, font, 920), font=font, fill=INK)
            y += 58
    project = drawable(f"{certificate.project.zh_cn} ({certificate.standard} {certificate.vintage})")
    font = _fit(draw, project, "400Regular", 32, 920)
    draw.text((80, y + 12), _clip(draw, project, font, 920), font=font, fill=MUTED)
    footer = f"{certificate.retired_at[:10]}  ·  {certificate.certificate_id}"
    draw.text(
        (80, y + 62),
        _clip(draw, footer, _font("400Regular", 28), 920),
        font=_font("400Regular", 28),
        fill=MUTED,
    )
    qr = qr_image(verify_url, 8).resize((620, 620), Image.Resampling.NEAREST)
    image.paste(qr, (230, 1130))
    _centred(draw, 1770, "扫码验证 · Scan to verify", _font("400Regular", 36), MUTED)
    return _png(image)
