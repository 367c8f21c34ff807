"""organize's API: organizers' scenes (create, change, close), their QR codes, posters and reports."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.organizers import SceneCreate, SceneUpdate
from carbonneutral.domain.types import SCENE_ID_PATTERN
from carbonneutral.observability import logger, metrics
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.auth import organizer_of
from carbonneutral.web.html import SECURITY_HEADERS
from carbonneutral.web.models import SceneCreated, SceneOut, SceneReportOut
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
    description=f"Only the fields given change; only the scene's own organizer may. {AUTH}",
    responses=problem_responses(401, 403, 404, 415),
)
def update_scene(scene_id: SceneId, changes: Annotated[SceneUpdate, Body()]) -> SceneOut:
    updated = services.organizer_service().update_scene(scene_id, changes, _organizer())
    return SceneOut.of(updated, router.base_url())


@router.post(
    "/v1/scenes/<scene_id>/close",
    tags=["organize"],
    summary="Close a scene",
    description=f"A closed scene takes no new footprints; its figures are final. {AUTH}",
    responses=problem_responses(401, 403, 404),
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
        return Response(200, "text/csv; charset=utf-8", report.csv(), headers=headers)
    return Response(200, "application/json", report, headers={"Cache-Control": "no-store"})
