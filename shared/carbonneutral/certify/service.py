"""Reading, verifying and rendering certificates. Holds public keys only, never the signing key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from carbonneutral.certify.keys import verify
from carbonneutral.domain.certificates import (
    SignedCertificate,
    SignedEventCertificate,
    is_certificate_id,
    is_event_certificate,
)
from carbonneutral.domain.projects import SerialRange
from carbonneutral.errors import NotFound
from carbonneutral.store.renders import render_key


class Verification(BaseModel):
    certificate_id: str
    kind: Literal["personal", "event"] = Field(description="A buyer's certificate, or a scene's")
    valid: bool
    reason: str
    kid: str | None
    retired_in_ledger: bool | None = Field(
        description="Personal: whether its serials are retired for its order in the ledger (null: event)"
    )
    current: bool | None = Field(
        default=None, description="Event: whether it is still the scene's certificate (null: personal)"
    )
    superseded_by: str | None = Field(default=None, description="Event: the scene's current certificate")


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

    def __init__(
        self,
        ledger: CertificateLedger,
        renders: Renders,
        keys: Callable[..., dict[str, Any]],
        events: EventCertificateIndex | None = None,
    ) -> None:
        self._ledger, self._renders, self._keys, self._events = ledger, renders, keys, events

    def key_set(self) -> dict[str, Any]:
        return self._keys()

    def _found(self, certificate_id: str) -> tuple[dict[str, Any], str, str]:
        found = self._ledger.certificate(certificate_id) if is_certificate_id(certificate_id) else None
        if found is None:
            raise NotFound(f"no certificate {certificate_id!r}")
        return found

    def get(self, certificate_id: str) -> SignedCertificate | SignedEventCertificate:
        document = self._found(certificate_id)[0]
        if is_event_certificate(document):
            return SignedEventCertificate.model_validate(document)
        return SignedCertificate.model_validate(document)

    def verify(self, certificate_id: str) -> Verification:
        signed, order_id, project_id = self._found(certificate_id)  # verified as stored, in its own form
        keys = self._keys()
        if signed.get("kid") not in {k.get("kid") for k in keys.get("keys", [])}:
            keys = self._keys(fresh=True)  # signed with a key published since this copy was read
        valid, why = verify(signed, keys)
        if is_event_certificate(signed):
            assert self._events is not None
            current = self._events.current_id(str(signed.get("scene_id")))
            return Verification(
                certificate_id=certificate_id,
                kind="event",
                valid=valid,
                reason=why,
                kid=signed.get("kid"),
                retired_in_ledger=None,
                current=current == certificate_id,
                superseded_by=current if current != certificate_id else None,
            )
        retired = self._ledger.serials_retired_for(project_id, order_id, ranges_of(signed.get("serials", [])))
        return Verification(
            certificate_id=certificate_id,
            kind="personal",
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
        if isinstance(signed, SignedEventCertificate):
            raise NotFound(
                f"{certificate_id} is a scene's certificate: it has a page (/c/{certificate_id}), no image"
            )
        url = self.verify_url(certificate_id, base_url)
        key = render_key(f"certificates/{certificate_id}", "image.png", url)
        return self._renders.get_or_render(key, "image/png", lambda: render_png(signed, url))

    def card(self, certificate_id: str, base_url: str) -> bytes:
        """The portrait share card, rendered once and kept like the image."""
        from carbonneutral.certify.render import render_card_png

        signed = self.get(certificate_id)
        if isinstance(signed, SignedEventCertificate):
            raise NotFound(f"{certificate_id} is a scene's certificate: it has a page, no card")
        url = self.verify_url(certificate_id, base_url)
        key = render_key(f"certificates/{certificate_id}", "card.png", url)
        return self._renders.get_or_render(key, "image/png", lambda: render_card_png(signed, url))

    def page(self, certificate_id: str, lang: str, base_url: str, render: PageRenderer) -> str:
        """The certificate's hosted page, kept in S3: `render` (the web layer's) makes it from the
        certificate and the SVG of its verification QR code."""
        from carbonneutral.qr import qr_svg

        signed = self.get(certificate_id)
        url = self.verify_url(certificate_id, base_url)
        key = render_key(f"certificates/{certificate_id}", f"page.{lang}.html", url)
        made = self._renders.get_or_render(key, "text/html", lambda: render(signed, qr_svg(url)).encode())
        return made.decode()


class CertificateLedger(Protocol):
    def certificate(self, certificate_id: str) -> tuple[dict[str, Any], str, str] | None: ...
    def serials_retired_for(self, project_id: str, order_id: str, ranges: list[SerialRange]) -> bool: ...


class EventCertificateIndex(Protocol):
    def current_id(self, scene_id: str) -> str | None: ...


class Renders(Protocol):
    def get_or_render(self, key: str, content_type: str, render: Callable[[], bytes]) -> bytes: ...


PageRenderer = Callable[[SignedCertificate | SignedEventCertificate, str], str]
