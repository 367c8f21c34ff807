"""calculate: the scene catalogue, footprints, the factor sets behind them, and the calculator pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.data import openapi_document
from carbonneutral.domain.factors import FactorSet, load_factor_set
from carbonneutral.domain.footprints import Footprint, FootprintRequest
from carbonneutral.domain.ids import FOOTPRINT_ID_PATTERN, is_footprint_id
from carbonneutral.domain.scenes import SCENE_ID_PATTERN, SceneKind, is_scene_id
from carbonneutral.errors import InvalidInput, NotFound
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.web import forms
from carbonneutral.web.api import create_app
from carbonneutral.web.models import SceneList, SceneOut
from carbonneutral.web.pages import (
    csrf_ok,
    csrf_token,
    html,
    language_of,
    not_found_page,
    read_form,
    redirect,
    render,
)
from carbonneutral.web.problems import problem_responses
from carbonneutral.web.static import asset

app = create_app()


@app.get("/v1/scenes", tags=["scenes"], responses=problem_responses())
def list_scenes(
    kind: Annotated[SceneKind | None, Query()] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> SceneList:
    scenes, next_cursor = services.scene_repository().list(kind=kind, query=q, limit=limit, cursor=cursor)
    base = app.base_url()
    return SceneList(items=[SceneOut.of(scene, base) for scene in scenes], cursor=next_cursor)


@app.get("/v1/scenes/<scene_id>", tags=["scenes"], responses=problem_responses(404))
def get_scene(scene_id: Annotated[str, Path(pattern=SCENE_ID_PATTERN)]) -> SceneOut:
    scene = services.scene_repository().get(scene_id)
    if scene is None:
        raise NotFound(f"no scene {scene_id!r}")
    return SceneOut.of(scene, app.base_url())


@app.post(
    "/v1/footprints",
    tags=["footprints"],
    responses={201: {"description": "The stored footprint"}, **problem_responses(415, ok=None)},
)
def create_footprint(request: Annotated[FootprintRequest, Body()]) -> Response[Footprint]:
    footprint = services.footprint_service().create(request)
    metrics.add_metric(name="FootprintsCalculated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="FootprintKg", unit=MetricUnit.Count, value=footprint.total_g / 1000)
    logger.info(
        "footprint calculated", extra={"kind": footprint.kind, "activities": len(footprint.breakdown)}
    )
    return Response(
        status_code=201,
        content_type="application/json",
        body=footprint,
        headers={"Location": f"/v1/footprints/{footprint.footprint_id}"},
    )


@app.get("/v1/footprints/<footprint_id>", tags=["footprints"], responses=problem_responses(404))
def get_footprint(footprint_id: Annotated[str, Path(pattern=FOOTPRINT_ID_PATTERN)]) -> Footprint:
    return services.footprint_service().get(footprint_id)


@app.get("/v1/factor-sets/<version>", tags=["footprints"], responses=problem_responses(404))
def get_factor_set(version: Annotated[str, Path(pattern=r"^(current|\d{4}\.\d+)$")]) -> FactorSet:
    try:
        return load_factor_set(None if version == "current" else version)
    except KeyError as exc:
        raise NotFound(f"no factor set {version!r}") from exc


@app.get("/v1/openapi.json", tags=["meta"], include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_document())


# ---- hosted pages: server-rendered, working without JavaScript ----


@app.get("/", include_in_schema=False)
def home_page() -> Response[str]:
    lang = language_of(app.current_event)
    scenes, _ = services.scene_repository().list(limit=50)
    return html(render("home.html", lang, scenes=scenes, kinds=forms.KIND_NAMES), lang=lang)


@app.get("/s/<scene_id>", include_in_schema=False)
def scene_page(scene_id: str) -> Response[str]:
    lang = language_of(app.current_event)
    scene = services.scene_repository().get(scene_id) if is_scene_id(scene_id) else None
    if scene is None:
        return not_found_page(lang)
    types = [f.type for f in scene.calculator]
    csrf, cookie = csrf_token(app.current_event)
    body = render(
        "scene.html",
        lang,
        scene=scene,
        values=forms.defaults_as_values(scene.calculator),
        errors={},
        rating=services.leaderboards().rating(scene_id),
        levels=forms.RATING_LEVELS,
        csrf=csrf,
        **forms.page_context(types),
    )
    return html(body, lang=lang, cookies=[cookie] if cookie else None)


@app.post("/s/<scene_id>", include_in_schema=False)
def scene_submit(scene_id: str) -> Response[str]:
    lang = language_of(app.current_event)
    scene = services.scene_repository().get(scene_id) if is_scene_id(scene_id) else None
    if scene is None:
        return not_found_page(lang)
    types = [f.type for f in scene.calculator]
    form = read_form(app.current_event)
    return _calculate_from_form(
        form,
        types,
        lang,
        "scene.html",
        {"kind": "scene", "scene_id": scene_id},
        lambda: {
            "scene": scene,
            "rating": services.leaderboards().rating(scene_id),
            "levels": forms.RATING_LEVELS,
        },
    )


@app.get("/life", include_in_schema=False)
def life_page() -> Response[str]:
    lang = language_of(app.current_event)
    csrf, cookie = csrf_token(app.current_event)
    body = render(
        "life.html",
        lang,
        values={"period": "month"},
        errors={},
        csrf=csrf,
        **forms.page_context(list(forms.LIFE_TYPES)),
    )
    return html(body, lang=lang, cookies=[cookie] if cookie else None)


@app.post("/life", include_in_schema=False)
def life_submit() -> Response[str]:
    lang = language_of(app.current_event)
    form = read_form(app.current_event)
    period = "year" if form.get("period") == "year" else "month"
    return _calculate_from_form(
        form, list(forms.LIFE_TYPES), lang, "life.html", {"kind": "life", "period": period}
    )


def _calculate_from_form(
    form: dict[str, str],
    types: list[str],
    lang: str,
    page: str,
    fixed: dict[str, str],
    context: Callable[[], dict[str, Any]] = dict,
) -> Response[str]:
    """Calculates and redirects to the result; only a form shown again needs the page's context."""
    if not csrf_ok(app.current_event, form):
        request, errors = None, {"activities": forms.FORM_EXPIRED}
    else:
        request, errors = forms.request_from_form(form, types, **fixed)
    if request is not None:
        try:
            footprint = services.footprint_service().create(request)
        except InvalidInput as exc:
            errors = forms.domain_error_to_form(exc.field, exc.detail, list(request.activities))
        else:
            metrics.add_metric(name="FootprintsCalculated", unit=MetricUnit.Count, value=1)
            return redirect(f"/f/{footprint.footprint_id}?lang={lang}")
    csrf, cookie = csrf_token(app.current_event)
    body = render(page, lang, values=form, errors=errors, csrf=csrf, **forms.page_context(types), **context())
    return html(body, status=422, lang=lang, cookies=[cookie] if cookie else None)


@app.get("/f/<footprint_id>", include_in_schema=False)
def footprint_page(footprint_id: str) -> Response[str]:
    lang = language_of(app.current_event)
    if not is_footprint_id(footprint_id):
        return not_found_page(lang)
    try:
        footprint = services.footprint_service().get(footprint_id)
    except NotFound:
        return not_found_page(lang)
    scene = services.scene_repository().get(footprint.scene_id) if footprint.scene_id else None
    body = render("footprint.html", lang, footprint=footprint, scene=scene, titles=forms.TITLES)
    return html(body, lang=lang)


@app.get("/static/<name>", include_in_schema=False)
def static_asset(name: str) -> Response[str]:
    found = asset(name)
    if found is None:
        raise NotFound(f"no asset {name!r}")
    content, content_type = found
    return Response(
        status_code=200,
        content_type=content_type,
        body=content,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
