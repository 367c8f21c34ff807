"""certify's pages: the certificate (to share, with its verification QR code) and its verification."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import Response
from carbonneutral import services
from carbonneutral.domain.certificates import SignedCertificate, SignedEventCertificate, is_certificate_id
from carbonneutral.errors import NotFound
from carbonneutral.web import texts
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.html import html, language_of, not_found_page, render

router = ApiRouter()


@router.get("/c/<certificate_id>", include_in_schema=False)
def certificate_page(certificate_id: str) -> Response[str]:
    lang, base = language_of(router.current_event), router.base_url()
    if not is_certificate_id(certificate_id):
        return not_found_page(lang)

    def page(certificate: SignedCertificate | SignedEventCertificate, qr_svg: str) -> str:
        qr = base64.b64encode(qr_svg.encode()).decode()
        if isinstance(certificate, SignedEventCertificate):
            return render(
                "event_certificate.html",
                lang,
                cert=certificate,
                qr_svg_b64=qr,
                base_url=base,
                levels=texts.RATING_LEVELS,
            )
        return render("certificate.html", lang, cert=certificate, qr_svg_b64=qr, base_url=base)

    try:
        return html(services.certificate_service().page(certificate_id, lang, base, page), lang=lang)
    except NotFound:
        return not_found_page(lang)


@router.get("/c/<certificate_id>/verify", include_in_schema=False)
def verification_page(certificate_id: str) -> Response[str]:
    lang = language_of(router.current_event)
    service = services.certificate_service()
    try:
        if not is_certificate_id(certificate_id):
            raise NotFound("bad id")
        result, certificate = service.verify(certificate_id), service.get(certificate_id)
    except NotFound:
        return not_found_page(lang)
    return html(render("verify.html", lang, result=result, cert=certificate), lang=lang)
