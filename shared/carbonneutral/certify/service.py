"""Reading, verifying and rendering certificates. Holds public keys only, never the signing key."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from carbonneutral.certify.keys import verify
from carbonneutral.domain.certificates import is_certificate_id
from carbonneutral.domain.projects import SerialRange
from carbonneutral.errors import NotFound
from carbonneutral.store.renders import render_key


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
    """Reads, verifies and renders certificates with the published key set (`keys`), which holds
    the current key and every key retired by rotation."""

    def __init__(self, ledger: Any, renders: Any, keys: Callable[..., dict[str, Any]]) -> None:
        self._ledger, self._renders, self._keys = ledger, renders, keys

    def key_set(self) -> dict[str, Any]:
        return self._keys()

    def _found(self, certificate_id: str) -> tuple[dict[str, Any], str, str]:
        found = self._ledger.certificate(certificate_id) if is_certificate_id(certificate_id) else None
        if found is None:
            raise NotFound(f"no certificate {certificate_id!r}")
        return found  # type: ignore[no-any-return]

    def get(self, certificate_id: str) -> dict[str, Any]:
        return self._found(certificate_id)[0]

    def verify(self, certificate_id: str) -> Verification:
        signed, order_id, project_id = self._found(certificate_id)
        keys = self._keys()
        if signed.get("kid") not in {k.get("kid") for k in keys.get("keys", [])}:
            keys = self._keys(fresh=True)  # signed with a key published since this copy was read
        valid, why = verify(signed, keys)
        retired = self._ledger.serials_retired_for(project_id, order_id, ranges_of(signed.get("serials", [])))
        return Verification(
            certificate_id=certificate_id,
            valid=valid,
            reason=why,
            kid=signed.get("kid"),
            retired_in_ledger=retired,
        )

    @staticmethod
    def verify_url(certificate_id: str, base_url: str) -> str:
        return f"{base_url}/c/{certificate_id}/verify"

    def image(self, certificate_id: str, base_url: str) -> bytes:
        from carbonneutral.certify.render import render_png

        signed = self.get(certificate_id)
        url = self.verify_url(certificate_id, base_url)
        return self._renders.get_or_render(  # type: ignore[no-any-return]
            render_key(f"certificates/{certificate_id}", "image.png", url),
            "image/png",
            lambda: render_png(signed, url),
        )

    def page(self, certificate_id: str, lang: str, base_url: str) -> str:
        from carbonneutral.certify.render import qr_svg
        from carbonneutral.web.pages import render

        signed = self.get(certificate_id)
        url = self.verify_url(certificate_id, base_url)

        def make() -> bytes:
            qr = base64.b64encode(qr_svg(url).encode()).decode()
            return render("certificate.html", lang, cert=signed, qr_svg_b64=qr, base_url=base_url).encode()

        key = render_key(f"certificates/{certificate_id}", f"page.{lang}.html", url)
        page: bytes = self._renders.get_or_render(key, "text/html", make)
        return page.decode()
