"""certify's API: the signed certificate, its verification, its shareable image, the public keys."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from carbonneutral import services
from carbonneutral.certify.service import Verification
from carbonneutral.domain.certificates import SignedCertificate, SignedEventCertificate
from carbonneutral.domain.types import CERTIFICATE_ID_PATTERN, PROJECT_ID_PATTERN
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.models import RetirementList
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
    "/v1/certificates/<certificate_id>/card.png",
    tags=["certify"],
    summary="The certificate's portrait share card",
    description="A 1080×1920 PNG (the shape WeChat users long-press to save and share) with the "
    "verification QR code, rendered once and kept.",
    responses={
        200: {"description": "PNG image", "content": {"image/png": {}}},
        **problem_responses(404, ok=None),
    },
)
def certificate_card(certificate_id: CertificateId):  # type: ignore[no-untyped-def]
    png = services.certificate_service().card(certificate_id, router.base_url())
    return Response(200, "image/png", png, headers={"Cache-Control": IMMUTABLE})


ProjectPath = Annotated[str, Path(pattern=PROJECT_ID_PATTERN, description="The project's id")]


@router.get(
    "/v1/retirements",
    tags=["certify"],
    summary="The public retirement registry",
    description="Every retirement: its project, its lane and position in the project's hash chains, serial "
    "ranges, kg, date, the name as on its certificate (null when hidden on boards) and its certificate. "
    "With `project_id`, that project's chains in order, lane by lane; without, every project's, newest "
    "first. Each record carries the hash of the previous one of its lane; check a project's chains "
    "offline from `/v1/projects/{project_id}/registry.jsonl` and their signed heads.",
    responses=problem_responses(400, 404),
)
def list_retirements(
    project_id: Annotated[
        str | None, Query(pattern=PROJECT_ID_PATTERN, description="Only this project")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=120, description="From the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Records per page")] = 50,
) -> RetirementList:
    records, next_cursor = services.registry_service().listing(project_id, cursor, limit)
    return RetirementList(items=records, cursor=next_cursor)


@router.get(
    "/v1/projects/<project_id>/registry.jsonl",
    tags=["certify"],
    summary="A project's registry, to check offline",
    description="Every record of the project's chains, lane by lane, each in order, one JSON object per "
    "line. Check it with "
    "`python -m carbonneutral.certify.check_registry EXPORT.jsonl HEAD.json KEYS.json [CERT.json]`.",
    responses={
        200: {"description": "JSON Lines", "content": {"application/jsonl": {}}},
        **problem_responses(404, ok=None),
    },
)
def registry_export(project_id: ProjectPath):  # type: ignore[no-untyped-def]
    # No return annotation: the body is JSON Lines, not one JSON document.
    body = services.registry_service().export(project_id)
    return Response(200, "application/jsonl; charset=utf-8", body, headers={"Cache-Control": "no-cache"})


@router.get(
    "/v1/projects/<project_id>/registry/head",
    tags=["certify"],
    summary="A project's registry heads, signed",
    description="`heads`: for each lane of the project's chain that has records (up to 16, so that "
    "retirements need not wait for one another), how many records it holds and the last one's hash, "
    "updated in each retirement's transaction and signed (Ed25519, like certificates) with the key "
    "named by `kid`.",
    responses=problem_responses(404),
)
def registry_head(project_id: ProjectPath) -> Response[dict[str, Any]]:
    head = services.registry_service().heads(project_id)
    return Response(200, "application/json", head, headers={"Cache-Control": "no-cache"})


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
