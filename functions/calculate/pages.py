"""calculate's pages: home, a scene's QR landing page and calculator, the everyday calculator, a result.

Server-rendered and working without JavaScript; every form carries a CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from carbonneutral import services
from carbonneutral.domain.scenes import Scene, is_scene_id
from carbonneutral.domain.types import is_footprint_id
from carbonneutral.errors import InvalidInput, NotFound
from carbonneutral.web import forms, texts
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.html import (
    csrf_ok,
    csrf_token,
    html,
    language_of,
    not_found_page,
    read_form,
    redirect,
    render,
)
from carbonneutral.web.static import asset

from calculate.counted import counted_footprint

router = ApiRouter()


@router.get("/", include_in_schema=False)
def home_page() -> Response[str]:
    lang = language_of(router.current_event)
    scenes, _ = services.scene_repository().list(limit=50)
    return html(render("home.html", lang, scenes=scenes, kinds=texts.KIND_NAMES), lang=lang)


@router.get("/s/<scene_id>", include_in_schema=False)
def scene_page(scene_id: str) -> Response[str]:
    lang, scene = language_of(router.current_event), _scene(scene_id)
    if scene is None:
        return not_found_page(lang)
    csrf, cookie = csrf_token(router.current_event)
    context = _scene_context(scene)
    body = render(
        "scene.html", lang, values=forms.defaults_as_values(scene.calculator), errors={}, csrf=csrf, **context
    )
    return html(body, lang=lang, cookies=[cookie] if cookie else None)


@router.post("/s/<scene_id>", include_in_schema=False)
def scene_submit(scene_id: str) -> Response[str]:
    lang, scene = language_of(router.current_event), _scene(scene_id)
    if scene is None:
        return not_found_page(lang)
    types, fixed = [f.type for f in scene.calculator], {"kind": "scene", "scene_id": scene_id}
    return _calculate_from_form(lang, "scene.html", types, fixed, lambda: _scene_context(scene))


@router.get("/life", include_in_schema=False)
def life_page() -> Response[str]:
    lang = language_of(router.current_event)
    csrf, cookie = csrf_token(router.current_event)
    context = forms.page_context(list(forms.LIFE_TYPES))
    body = render("life.html", lang, values={"period": "month"}, errors={}, csrf=csrf, **context)
    return html(body, lang=lang, cookies=[cookie] if cookie else None)


@router.post("/life", include_in_schema=False)
def life_submit() -> Response[str]:
    period = "year" if read_form(router.current_event).get("period") == "year" else "month"
    types, fixed = list(forms.LIFE_TYPES), {"kind": "life", "period": period}
    return _calculate_from_form(language_of(router.current_event), "life.html", types, fixed, lambda: {})


@router.get("/f/<footprint_id>", include_in_schema=False)
def footprint_page(footprint_id: str) -> Response[str]:
    lang = language_of(router.current_event)
    try:
        if not is_footprint_id(footprint_id):
            raise NotFound("bad id")
        footprint = services.footprint_service().get(footprint_id)
    except NotFound:
        return not_found_page(lang)
    scene = _scene(footprint.scene_id) if footprint.scene_id else None
    page = render(
        "footprint.html",
        lang,
        footprint=footprint,
        scene=scene,
        titles=texts.TITLES,
        grid_names=texts.GRID_NAMES,
        boundary_names=texts.BOUNDARY_NAMES,
        note_texts=texts.NOTE_TEXTS,
        grid_year=_grid_year,
    )
    return html(page, lang=lang)


def _grid_year(item: Any) -> int | str:
    """The year of the grid factor a line used (each line names it)."""
    return next((s.factor.year for s in item.steps if s.factor.key.startswith("electricity.")), "")


@router.get("/methodology", include_in_schema=False)
def methodology_page() -> Response[str]:
    """How every line is calculated, with the current factor set's figures and sources."""
    from carbonneutral.web import methodology

    lang = language_of(router.current_event)
    factors = services.footprint_service().factor_set(None)
    return html(render("methodology.html", lang, factors=factors, m=methodology), lang=lang)


@router.get("/static/<name>", include_in_schema=False)
def static_asset(name: str) -> Response[str]:
    found = asset(name)
    if found is None:
        raise NotFound(f"no asset {name!r}")
    content, content_type = found
    return Response(200, content_type, content, headers={"Cache-Control": "public, max-age=3600"})


def _scene(scene_id: str) -> Scene | None:
    return services.scene_repository().get(scene_id) if is_scene_id(scene_id) else None


def _scene_context(scene: Scene) -> dict[str, Any]:
    """What a scene's page shows beside its calculator (its rating, read only when shown)."""
    from carbonneutral.domain.ranking import rating as rate

    rating = rate(scene, services.leaderboards().scene_totals(scene.scene_id))
    types = [f.type for f in scene.calculator]
    return {
        "scene": scene,
        "rating": rating,
        "levels": texts.RATING_LEVELS,
        **forms.page_context(types, short=True),
    }


def _calculate_from_form(
    lang: str, page: str, types: list[str], fixed: dict[str, str], context: Callable[[], dict[str, Any]]
) -> Response[str]:
    """Calculates and redirects to the result; only a form shown again needs the page's context."""
    event = router.current_event
    form = read_form(event)
    if not csrf_ok(event, form):
        request, errors = None, {"activities": texts.FORM_EXPIRED}
    else:
        request, errors = forms.request_from_form(form, types, **fixed)
    if request is not None:
        try:
            footprint = counted_footprint(request)
        except InvalidInput as exc:
            errors = forms.domain_error_to_form(exc.field, exc.detail, list(request.activities))
        else:
            return redirect(f"/f/{footprint.footprint_id}?lang={lang}")
    csrf, cookie = csrf_token(event)
    body = render(
        page, lang, values=form, errors=errors, csrf=csrf, **{**forms.page_context(types), **context()}
    )
    return html(body, status=422, lang=lang, cookies=[cookie] if cookie else None)
