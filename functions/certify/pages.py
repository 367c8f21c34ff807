"""certify's pages: the certificate (to share, with its verification QR code), its verification, the
public retirement registry, and each project's page."""

from __future__ import annotations

import base64
import re

from aws_lambda_powertools.event_handler import Response
from carbonneutral import services
from carbonneutral.domain.certificates import SignedCertificate, SignedEventCertificate, is_certificate_id
from carbonneutral.domain.types import PROJECT_ID_PATTERN
from carbonneutral.errors import InvalidCursor, NotFound
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


@router.get("/registry", include_in_schema=False)
def registry_page() -> Response[str]:
    event = router.current_event
    lang, query = language_of(event), event.query_string_parameters or {}
    project_id, cursor = query.get("project_id"), query.get("cursor")
    service = services.registry_service()
    try:
        if project_id is not None and not re.fullmatch(PROJECT_ID_PATTERN, project_id):
            raise NotFound("bad id")
        records, next_cursor = service.listing(project_id or None, cursor)
    except (NotFound, InvalidCursor):
        return not_found_page(lang)
    projects = service.projects()
    project = next((p for p in projects if p.project_id == project_id), None)
    names = {p.project_id: p.name.get(lang) for p in projects}
    body = render(
        "registry.html",
        lang,
        records=records,
        cursor=next_cursor,
        project=project,
        projects=projects,
        names=names,
    )
    return html(body, lang=lang)


@router.get("/projects/<project_id>", include_in_schema=False)
def project_page(project_id: str) -> Response[str]:
    lang = language_of(router.current_event)
    try:
        if not re.fullmatch(PROJECT_ID_PATTERN, project_id):
            raise NotFound("bad id")
        money = services.registry_service().money(project_id)
    except NotFound:
        return not_found_page(lang)
    return html(render("project.html", lang, project=money.project, money=money), lang=lang)
