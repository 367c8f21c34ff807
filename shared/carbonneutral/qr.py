"""QR codes: PNG (via Pillow) and SVG (no image library needed)."""

from __future__ import annotations

import io
from typing import Any


def _code(url: str, box: int = 10) -> Any:
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_image(url: str, box: int = 10) -> Any:
    from qrcode.image.pil import PilImage

    return (
        _code(url, box)
        .make_image(image_factory=PilImage, fill_color="black", back_color="white")
        .get_image()
        .convert("RGB")
    )


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr_image(url).save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_svg(url: str) -> str:
    import qrcode.image.svg

    return str(
        _code(url).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    )
