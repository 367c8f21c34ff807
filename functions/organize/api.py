"""organize's API: organizers' scenes (create, change, close), their QR codes, posters and reports."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.certificates import SignedEventCertificate
from carbonneutral.domain.organizers import SceneCreate, SceneUpdate
from carbonneutral.domain.types import ORDER_ID_PATTERN, SCENE_ID_PATTERN
from carbonneutral.observability import logger, metrics
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.auth import organizer_of
from carbonneutral.web.html import SECURITY_HEADERS, language_of
from carbonneutral.web.models import HeldClaimOut, HeldClaimsOut, SceneCreated, SceneOut, SceneReportOut
from carbonneutral.web.problems import problem_responses

router = ApiRouter()
SceneId = Annotated[str, Path(pattern=SCENE_ID_PATTERN, description="The scene's id")]
RENDERED = "public, max-age=3600"
AUTH = "Needs the organizer's API key: `Authorization: Bearer cnk_…`."


def _organizer() -> str:
    return organizer_of(router.current_event, services.organizer_store())


@router.post(
    "/v1/scenes",
    tags=["organize"],
    summary="Create a scene",
    description=f"A new scene of the signed-in organizer, with its calculator (the kind's own when none is "
    f"given), page URL and QR codes. {AUTH}",
    responses={
        201: {"description": "The scene, with its page and QR URLs"},
        **problem_responses(401, 409, 415, ok=None),
    },
)
def create_scene(request: Annotated[SceneCreate, Body()]) -> Response[SceneCreated]:
    scene = services.organizer_service().create_scene(request, _organizer())
    metrics.add_metric(name="ScenesCreated", unit=MetricUnit.Count, value=1)
    logger.info("scene created", extra={"scene_id": scene.scene_id, "kind": scene.kind.value})
    body = SceneCreated.of_created(scene, router.base_url())
    return Response(201, "application/json", body, headers={"Location": f"/v1/scenes/{scene.scene_id}"})


@router.patch(
    "/v1/scenes/<scene_id>",
    tags=["organize"],
    summary="Change a scene",
    description="Only the fields given change; only the scene's own organizer may, and never once the scene "
    "is closed (409). Declaring `expected_attendance`, `event_footprint_kg` and, if the kind's own estimate "
    f"does not fit, `per_participant_kg` is what lets the scene be rated. {AUTH}",
    responses=problem_responses(401, 403, 404, 409, 415),
)
def update_scene(scene_id: SceneId, changes: Annotated[SceneUpdate, Body()]) -> SceneOut:
    updated = services.organizer_service().update_scene(scene_id, changes, _organizer())
    return SceneOut.of(updated, router.base_url())


@router.post(
    "/v1/scenes/<scene_id>/close",
    tags=["organize"],
    summary="Close a scene",
    description="A closed scene takes no new footprints or orders and no changes; its figures are final. "
    f"Closing it again changes nothing. {AUTH}",
    responses=problem_responses(401, 403, 404, 409),
)
def close_scene(scene_id: SceneId) -> SceneOut:
    return SceneOut.of(services.organizer_service().close_scene(scene_id, _organizer()), router.base_url())


@router.get(
    "/v1/scenes/<scene_id>/qr.png",
    tags=["organize"],
    summary="The scene's QR code as PNG",
    description="The QR code of the scene's page, to print.",
    responses={200: {"description": "PNG", "content": {"image/png": {}}}, **problem_responses(404, ok=None)},
)
def scene_qr_png(scene_id: SceneId):  # type: ignore[no-untyped-def]
    # No return annotation: Powertools would validate the PNG bytes as a JSON body.
    png = services.scene_artwork().qr_png(scene_id, router.base_url())
    return Response(200, "image/png", png, headers={"Cache-Control": RENDERED})


@router.get(
    "/v1/scenes/<scene_id>/qr.svg",
    tags=["organize"],
    summary="The scene's QR code as SVG",
    description="The QR code of the scene's page, as a vector image for print.",
    responses={
        200: {"description": "SVG", "content": {"image/svg+xml": {}}},
        **problem_responses(404, ok=None),
    },
)
def scene_qr_svg(scene_id: SceneId) -> Response[str]:
    svg = services.scene_artwork().qr_svg(scene_id, router.base_url())
    return Response(200, "image/svg+xml", svg, headers={"Cache-Control": RENDERED})


@router.get(
    "/v1/scenes/<scene_id>/poster",
    tags=["organize"],
    summary="The scene's A4 poster",
    description="A print page with the scene's name and its QR code.",
    responses={
        200: {"description": "A4 print page", "content": {"text/html": {}}},
        **problem_responses(404, ok=None),
    },
)
def scene_poster(scene_id: SceneId) -> Response[str]:
    page = services.scene_artwork().poster(scene_id, router.base_url())
    return Response(
        200, "text/html; charset=utf-8", page, headers={**SECURITY_HEADERS, "Cache-Control": RENDERED}
    )


@router.get(
    "/v1/scenes/<scene_id>/report",
    tags=["organize"],
    summary="The scene's report",
    description="Footprints calculated, kg neutralized by participants and by the organizer, the rating and "
    f"the top contributors; CSV with `Accept: text/csv`. {AUTH}",
    responses={
        200: {"description": "JSON, or CSV with Accept: text/csv", "content": {"text/csv": {}}},
        **problem_responses(401, 403, 404),
    },
)
def scene_report(scene_id: SceneId) -> Response[Any]:
    report = SceneReportOut.of(services.organizer_service().report(scene_id, _organizer()))
    if "text/csv" in (router.current_event.headers.get("accept") or ""):
        attachment = f'attachment; filename="{scene_id}-report.csv"'
        headers = {"Content-Disposition": attachment, "Cache-Control": "no-store"}
        return Response(
            200, "text/csv; charset=utf-8", report.csv(language_of(router.current_event)), headers=headers
        )
    return Response(200, "application/json", report, headers={"Cache-Control": "no-store"})


@router.get(
    "/v1/scenes/<scene_id>/held",
    tags=["organize"],
    summary="Footprints awaiting the organizer",
    description="Paid footprint claims far above what the scene's kind makes plausible (more than ten times "
    f"the per-participant estimate): they count towards the rating only once the organizer accepts them. {AUTH}",
    responses=problem_responses(401, 403, 404),
)
def held_claims(scene_id: SceneId) -> Response[HeldClaimsOut]:
    claims = services.organizer_service().held(scene_id, _organizer())
    body = HeldClaimsOut(items=[HeldClaimOut(**c) for c in claims])
    return Response(200, "application/json", body, headers={"Cache-Control": "no-store"})


@router.post(
    "/v1/scenes/<scene_id>/held/<order_id>/accept",
    tags=["organize"],
    summary="Accept a held footprint",
    description="The organizer vouches for a held footprint: it counts towards the participants' part of the "
    f"rating from now on. {AUTH}",
    responses=problem_responses(401, 403, 404, 409),
)
def accept_held_claim(
    scene_id: SceneId,
    order_id: Annotated[str, Path(pattern=ORDER_ID_PATTERN, description="The held order's id")],
) -> Response[HeldClaimsOut]:
    service, organizer = services.organizer_service(), _organizer()
    service.accept_held(scene_id, order_id, organizer)
    logger.info("held claim accepted", extra={"scene_id": scene_id, "order_id": order_id})
    body = HeldClaimsOut(items=[HeldClaimOut(**c) for c in service.held(scene_id, organizer)])
    return Response(200, "application/json", body, headers={"Cache-Control": "no-store"})


@router.post(
    "/v1/scenes/<scene_id>/certificate",
    tags=["organize"],
    summary="Apply for the scene's event certificate",
    description="Once the scene reached a rating level, its organizer gets a signed event certificate "
    "stating the scene, level, period, calculated and neutralized kg and the organizer's own share, verifiable "
    "like a personal one. While the figures stay the same the current certificate is returned (200); once "
    f"they changed, a new one supersedes it (201); the old one is never edited. {AUTH}",
    responses={
        201: {"description": "A new certificate, superseding the scene's previous one if any"},
        200: {"description": "The scene's current certificate: its figures have not changed"},
        **problem_responses(401, 403, 404, 409, ok=None),
    },
)
def certify_scene(scene_id: SceneId) -> Response[SignedEventCertificate]:
    signed, created = services.organizer_service().certify(scene_id, _organizer(), router.base_url())
    if created:
        logger.info("event certificate issued", extra={"scene_id": scene_id, "level": signed["level"]})
    certificate_id = signed["certificate_id"]
    return Response(
        201 if created else 200,
        "application/json",
        SignedEventCertificate.model_validate(signed),
        headers={"Location": f"/v1/certificates/{certificate_id}", "Cache-Control": "no-store"},
    )
