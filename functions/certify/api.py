"""certify's API: the signed certificate, its verification, its shareable image, the public keys."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from carbonneutral import services
from carbonneutral.certify.service import Verification
from carbonneutral.domain.certificates import SignedCertificate, SignedEventCertificate
from carbonneutral.domain.types import CERTIFICATE_ID_PATTERN
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.problems import problem_responses

router = ApiRouter()
CertificateId = Annotated[str, Path(pattern=CERTIFICATE_ID_PATTERN, description="The certificate's id")]
IMMUTABLE = "public, max-age=86400, immutable"


@router.get(
    "/v1/certificates/<certificate_id>",
    tags=["certify"],
    summary="Get a signed certificate",
    description="The certificate as issued: a buyer's (schema carbon-neutral-certificate/2) or a scene's "
    "(carbon-neutral-event-certificate/1). Verify `signature` (Ed25519 over the JCS form of every other "
    "field) with the key named by `kid` in /.well-known/certificate-keys.json.",
    responses=problem_responses(404),
)
def get_certificate(certificate_id: CertificateId) -> Response[SignedCertificate | SignedEventCertificate]:
    certificate = services.certificate_service().get(certificate_id)
    return Response(200, "application/json", certificate, headers={"Cache-Control": IMMUTABLE})


@router.get(
    "/v1/certificates/<certificate_id>/verify",
    tags=["certify"],
    summary="Verify a certificate",
    description="Whether the signature is valid with the published keys and the serials are retired "
    "for this certificate's order in the ledger.",
    responses=problem_responses(404),
)
def verify_certificate(certificate_id: CertificateId) -> Verification:
    return services.certificate_service().verify(certificate_id)


@router.get(
    "/v1/certificates/<certificate_id>/image.png",
    tags=["certify"],
    summary="The certificate's shareable image",
    description="A 1200×630 PNG with the verification QR code, rendered once and kept.",
    responses={
        200: {"description": "PNG image", "content": {"image/png": {}}},
        **problem_responses(404, ok=None),
    },
)
def certificate_image(certificate_id: CertificateId):  # type: ignore[no-untyped-def]
    # No return annotation: Powertools would validate the PNG bytes as a JSON body.
    png = services.certificate_service().image(certificate_id, router.base_url())
    return Response(200, "image/png", png, headers={"Cache-Control": IMMUTABLE})


@router.get(
    "/.well-known/certificate-keys.json",
    tags=["certify"],
    summary="The public keys certificates are signed with",
    description="A JWK set: the current key and every key retired by rotation, so any certificate verifies.",
    responses=problem_responses(),
)
def certificate_keys() -> Response[dict[str, Any]]:
    keys = services.certificate_service().key_set()
    return Response(200, "application/json", keys, headers={"Cache-Control": "public, max-age=3600"})
