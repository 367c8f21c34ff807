"""certify: certificates, their verification, the shareable image, the hosted pages, the public keys."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from carbonneutral import services
from carbonneutral.certify.service import Verification
from carbonneutral.domain.certificates import CERTIFICATE_ID_PATTERN, is_certificate_id
from carbonneutral.errors import NotFound
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.web.api import create_app
from carbonneutral.web.pages import html, language_of, not_found_page, render
from carbonneutral.web.problems import problem_responses

app = create_app()
CertificateId = Annotated[str, Path(pattern=CERTIFICATE_ID_PATTERN)]
_IMMUTABLE = "public, max-age=86400, immutable"


@app.get("/v1/certificates/<certificate_id>", tags=["certify"], responses=problem_responses(404))
def get_certificate(certificate_id: CertificateId) -> Response[dict[str, Any]]:
    """The signed certificate: verify `signature` (Ed25519 over the JCS form without it) with key `kid`."""
    return Response(
        status_code=200,
        content_type="application/json",
        body=services.certificate_service().get(certificate_id),
        headers={"Cache-Control": _IMMUTABLE},
    )


@app.get("/v1/certificates/<certificate_id>/verify", tags=["certify"], responses=problem_responses(404))
def verify_certificate(certificate_id: CertificateId) -> Verification:
    return services.certificate_service().verify(certificate_id)


@app.get(
    "/v1/certificates/<certificate_id>/image.png",
    tags=["certify"],
    responses={
        200: {"description": "PNG image", "content": {"image/png": {}}},
        **problem_responses(404, ok=None),
    },
)
def certificate_image(certificate_id: CertificateId):  # type: ignore[no-untyped-def]
    # No return annotation: Powertools would validate the PNG bytes as a JSON body.
    return Response(
        status_code=200,
        content_type="image/png",
        body=services.certificate_service().image(certificate_id, app.base_url()),
        headers={"Cache-Control": _IMMUTABLE},
    )


@app.get("/.well-known/certificate-keys.json", tags=["certify"], responses=problem_responses())
def certificate_keys() -> Response[dict[str, Any]]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=services.certificate_service().key_set(),
        headers={"Cache-Control": "public, max-age=3600"},
    )


@app.get("/c/<certificate_id>", include_in_schema=False)
def certificate_page(certificate_id: str) -> Response[str]:
    lang = language_of(app.current_event)
    try:
        page = (
            services.certificate_service().page(certificate_id, lang, app.base_url())
            if is_certificate_id(certificate_id)
            else None
        )
    except NotFound:
        page = None
    return html(page, lang=lang) if page else not_found_page(lang)


@app.get("/c/<certificate_id>/verify", include_in_schema=False)
def verification_page(certificate_id: str) -> Response[str]:
    lang = language_of(app.current_event)
    service = services.certificate_service()
    try:
        if not is_certificate_id(certificate_id):
            raise NotFound("bad id")
        result, cert = service.verify(certificate_id), service.get(certificate_id)
    except NotFound:
        return not_found_page(lang)
    return html(render("verify.html", lang, result=result, cert=cert), lang=lang)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
