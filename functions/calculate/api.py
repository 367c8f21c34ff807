"""calculate's API: the scene catalogue, footprints, and the factor sets behind them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.data import openapi_document
from carbonneutral.domain.factors import FactorSet
from carbonneutral.domain.footprints import Footprint, FootprintRequest
from carbonneutral.domain.scenes import SceneKind
from carbonneutral.domain.types import FOOTPRINT_ID_PATTERN, SCENE_ID_PATTERN
from carbonneutral.observability import logger, metrics
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.models import SceneList, SceneOut
from carbonneutral.web.problems import problem_responses

from calculate.counted import counted_footprint

router = ApiRouter()


@router.get(
    "/v1/scenes",
    tags=["scenes"],
    summary="List and search scenes",
    description="Scenes by kind, or whose names or city contain `q` (Chinese or English), a page at a time. "
    "A page's `cursor` is opaque and good only for the same listing (the same `kind` and `q`); any other "
    "cursor is a 400 naming it.",
    responses=problem_responses(400),
)
def list_scenes(
    kind: Annotated[SceneKind | None, Query(description="Only scenes of this kind")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Text in a name or city")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many scenes")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="The previous page's cursor, for the same kind and q")
    ] = None,
) -> SceneList:
    scenes, next_cursor = services.scene_repository().list(kind=kind, query=q, limit=limit, cursor=cursor)
    base = router.base_url()
    return SceneList(items=[SceneOut.of(scene, base) for scene in scenes], cursor=next_cursor)


@router.get(
    "/v1/scenes/<scene_id>",
    tags=["scenes"],
    summary="Get a scene",
    description="The scene with its calculator's fields and their defaults, and the URL of its page.",
    responses=problem_responses(404),
)
def get_scene(
    scene_id: Annotated[str, Path(pattern=SCENE_ID_PATTERN, description="The scene's id")],
) -> SceneOut:
    return SceneOut.of(services.footprint_service().scene(scene_id), router.base_url())


@router.post(
    "/v1/footprints",
    tags=["footprints"],
    summary="Calculate a footprint",
    description="Activities at a scene (kind `scene`) or in everyday life (kind `life`, for a month or a "
    "year) in; the stored footprint out: its total, and each line with its factor, unit, source and the "
    "factor set's version.",
    responses={201: {"description": "The stored footprint"}, **problem_responses(415, ok=None)},
)
def create_footprint(request: Annotated[FootprintRequest, Body()]) -> Response[Footprint]:
    footprint = counted_footprint(request)
    metrics.add_metric(name="FootprintKg", unit=MetricUnit.Count, value=footprint.total_g / 1000)
    logger.info(
        "footprint calculated", extra={"kind": footprint.kind, "activities": len(footprint.breakdown)}
    )
    return Response(
        201, "application/json", footprint, headers={"Location": f"/v1/footprints/{footprint.footprint_id}"}
    )


@router.get(
    "/v1/footprints/<footprint_id>",
    tags=["footprints"],
    summary="Get a stored footprint",
    description="A footprint as it was calculated: a new factor set never changes a stored result.",
    responses=problem_responses(404),
)
def get_footprint(
    footprint_id: Annotated[str, Path(pattern=FOOTPRINT_ID_PATTERN, description="The footprint's id")],
) -> Footprint:
    return services.footprint_service().get(footprint_id)


@router.get(
    "/v1/factor-sets/<version>",
    tags=["footprints"],
    summary="Get a factor set",
    description="Every emission factor of a version (or `current`) with its value, unit, source and licence.",
    responses=problem_responses(404),
)
def get_factor_set(
    version: Annotated[str, Path(pattern=r"^(current|\d{4}\.\d+)$", description="current, or e.g. 2025.1")],
) -> FactorSet:
    return services.footprint_service().factor_set(None if version == "current" else version)


@router.get("/v1/openapi.json", tags=["meta"], include_in_schema=False)
def openapi() -> Response[str]:
    return Response(200, "application/json", openapi_document())
