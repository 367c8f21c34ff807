"""Reading, verifying and rendering certificates. Holds public keys only, never the signing key."""

from __future__ import annotations

import base64
import json
from typing import Any

from pydantic import BaseModel

from carbonneutral.certify.keys import verify
from carbonneutral.domain.certificates import is_certificate_id
from carbonneutral.domain.projects import SerialRange
from carbonneutral.errors import NotFound


class Verification(BaseModel):
    certificate_id: str
    valid: bool
    reason: str
    kid: str | None
    retired_in_ledger: bool


def ranges_of(labels: list[str]) -> list[SerialRange]:
    """CDCER-<project>-<vintage>-<first>-<last> → the serial ranges."""
    ranges = []
    for label in labels:
        first, last = label.rsplit("-", 2)[1:]
        ranges.append(SerialRange(first=int(first), last=int(last)))
    return ranges


class CertificateService:
    def __init__(self, ledger: Any, renders: Any, key_set: dict[str, Any], base_url: str) -> None:
        self._ledger, self._renders, self._keys, self._base = ledger, renders, key_set, base_url

    def key_set(self) -> dict[str, Any]:
        return self._keys

    def _found(self, certificate_id: str) -> tuple[dict[str, Any], str, str]:
        found = self._ledger.certificate(certificate_id) if is_certificate_id(certificate_id) else None
        if found is None:
            raise NotFound(f"no certificate {certificate_id!r}")
        return found  # type: ignore[no-any-return]

    def get(self, certificate_id: str) -> dict[str, Any]:
        return self._found(certificate_id)[0]

    def verify(self, certificate_id: str) -> Verification:
        signed, order_id, project_id = self._found(certificate_id)
        valid, why = verify(signed, self._keys)
        retired = self._ledger.serials_retired_for(project_id, order_id, ranges_of(signed.get("serials", [])))
        return Verification(certificate_id=certificate_id, valid=valid, reason=why, kid=signed.get("kid"),
                            retired_in_ledger=retired)  # fmt: skip

    def verify_url(self, certificate_id: str) -> str:
        return f"{self._base}/c/{certificate_id}/verify"

    def image(self, certificate_id: str) -> bytes:
        from carbonneutral.certify.render import render_png

        signed = self.get(certificate_id)
        return self._renders.get_or_render(  # type: ignore[no-any-return]
            f"certificates/{certificate_id}/image.png", "image/png",
            lambda: render_png(signed, self.verify_url(certificate_id)),
        )  # fmt: skip

    def page(self, certificate_id: str, lang: str) -> str:
        from carbonneutral.certify.render import qr_svg
        from carbonneutral.web.pages import render

        signed = self.get(certificate_id)

        def make() -> bytes:
            qr = base64.b64encode(qr_svg(self.verify_url(certificate_id)).encode()).decode()
            return render("certificate.html", lang, cert=signed, qr_svg_b64=qr, base_url=self._base).encode()

        page: bytes = self._renders.get_or_render(
            f"certificates/{certificate_id}/page.{lang}.html", "text/html", make
        )
        return page.decode()


def public_key_set(published: str, signing_key: Any | None, retired: str) -> dict[str, Any]:
    """The published JWK set; where none is configured (local runs) it comes from the signing key."""
    if published:
        return dict(json.loads(published))
    if signing_key is None:
        raise RuntimeError("set CERT_PUBLIC_KEYS (or CERT_PUBLIC_KEYS_PARAM)")
    from carbonneutral.certify.keys import key_set

    return key_set(signing_key, retired)
