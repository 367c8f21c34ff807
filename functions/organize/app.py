"""organize: organizers' scenes (create, change, close), QR codes, posters and scene reports."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.organizers import SceneCreate, SceneUpdate, apply_update, new_scene_id
from carbonneutral.domain.scenes import SCENE_ID_PATTERN, Scene, default_calculator
from carbonneutral.errors import NotFound
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.store.organizers import owned_scene
from carbonneutral.store.renders import render_key
from carbonneutral.web.api import create_app
from carbonneutral.web.auth import organizer_of
from carbonneutral.web.models import EntryOut, SceneCreated, SceneOut, SceneReport
from carbonneutral.web.problems import problem_responses

app = create_app()
SceneId = Annotated[str, Path(pattern=SCENE_ID_PATTERN)]
_RENDERED = "public, max-age=3600"


def _organizer() -> str:
    return organizer_of(app.current_event, services.organizer_store())


@app.post(
    "/v1/scenes",
    tags=["organize"],
    responses={
        201: {"description": "The scene, with its page and QR URLs"},
        **problem_responses(401, 409, 415, ok=None),
    },
)
def create_scene(request: Annotated[SceneCreate, Body()]) -> Response[SceneCreated]:
    scene = _new_scene(request, _organizer())
    logger.info("scene created", extra={"scene_id": scene.scene_id, "kind": scene.kind.value})
    return Response(
        status_code=201,
        content_type="application/json",
        body=SceneCreated.of_created(scene, app.base_url()),
        headers={"Location": f"/v1/scenes/{scene.scene_id}"},
    )


@app.patch("/v1/scenes/<scene_id>", tags=["organize"], responses=problem_responses(401, 403, 404, 415))
def update_scene(scene_id: SceneId, changes: Annotated[SceneUpdate, Body()]) -> SceneOut:
    organizer = _organizer()
    scene = owned_scene(services.scene_repository(), scene_id, organizer)
    updated = apply_update(scene, changes)
    services.organizer_store().replace_scene(updated, organizer)
    return SceneOut.of(updated, app.base_url())


@app.post("/v1/scenes/<scene_id>/close", tags=["organize"], responses=problem_responses(401, 403, 404))
def close_scene(scene_id: SceneId) -> SceneOut:
    organizer = _organizer()
    scene = owned_scene(services.scene_repository(), scene_id, organizer)
    closed = scene.model_copy(update={"status": "closed"})
    services.organizer_store().replace_scene(closed, organizer)
    return SceneOut.of(closed, app.base_url())


def _scene(scene_id: str) -> Scene:
    scene = services.scene_repository().get(scene_id)
    if scene is None:
        raise NotFound(f"no scene {scene_id!r}")
    return scene


def _page_url(scene: Scene) -> str:
    return f"{app.base_url()}/s/{scene.scene_id}"


@app.get(
    "/v1/scenes/<scene_id>/qr.png",
    tags=["organize"],
    responses={200: {"description": "PNG", "content": {"image/png": {}}}, **problem_responses(404, ok=None)},
)
def scene_qr_png(scene_id: SceneId):  # type: ignore[no-untyped-def]
    from carbonneutral.web.qr import qr_png

    url = _page_url(_scene(scene_id))
    png = services.render_store().get_or_render(
        render_key(f"scenes/{scene_id}", "qr.png", url), "image/png", lambda: qr_png(url)
    )
    return Response(status_code=200, content_type="image/png", body=png, headers={"Cache-Control": _RENDERED})


@app.get(
    "/v1/scenes/<scene_id>/qr.svg",
    tags=["organize"],
    responses={
        200: {"description": "SVG", "content": {"image/svg+xml": {}}},
        **problem_responses(404, ok=None),
    },
)
def scene_qr_svg(scene_id: SceneId) -> Response[str]:
    from carbonneutral.web.qr import qr_svg

    url = _page_url(_scene(scene_id))
    svg = services.render_store().get_or_render(
        render_key(f"scenes/{scene_id}", "qr.svg", url), "image/svg+xml", lambda: qr_svg(url).encode()
    )
    return Response(
        status_code=200, content_type="image/svg+xml", body=svg.decode(), headers={"Cache-Control": _RENDERED}
    )


@app.get(
    "/v1/scenes/<scene_id>/poster",
    tags=["organize"],
    responses={
        200: {"description": "A4 print page", "content": {"text/html": {}}},
        **problem_responses(404, ok=None),
    },
)
def scene_poster(scene_id: SceneId) -> Response[str]:
    from carbonneutral.web.pages import SECURITY_HEADERS, render
    from carbonneutral.web.qr import qr_svg

    scene = _scene(scene_id)
    url = _page_url(scene)

    def make() -> bytes:
        qr = base64.b64encode(qr_svg(url).encode()).decode()
        return render("poster.html", "zh-CN", scene=scene, qr_svg_b64=qr, page_url=url).encode()

    key = render_key(f"scenes/{scene_id}", "poster.html", url, scene.model_dump_json())
    page = services.render_store().get_or_render(key, "text/html", make)
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=page.decode(),
        headers={**SECURITY_HEADERS, "Cache-Control": _RENDERED},
    )


@app.get(
    "/v1/scenes/<scene_id>/report",
    tags=["organize"],
    responses={
        200: {"description": "JSON, or CSV with Accept: text/csv", "content": {"text/csv": {}}},
        **problem_responses(401, 403, 404),
    },
)
def scene_report(scene_id: SceneId) -> Response[Any]:
    organizer = _organizer()
    scene = owned_scene(services.scene_repository(), scene_id, organizer)
    boards = services.leaderboards()
    totals = boards.scene_totals(scene_id)
    report = SceneReport(
        scene_id=scene_id,
        name=scene.name,
        status=scene.status,
        footprints=totals["footprints"],
        footprint_kg=totals["footprint_g"] / 1000,
        participant_orders=totals["participants_orders"],
        participants_kg=totals["participants_kg"],
        organizer_orders=totals["organizer_orders"],
        organizer_kg=totals["organizer_kg"],
        rating=boards.rating(scene_id),
        top_individuals=[EntryOut.of(e) for e in boards.top(f"scene:{scene_id}", "individual", "all", 10)],
        top_organizations=[
            EntryOut.of(e) for e in boards.top(f"scene:{scene_id}", "organization", "all", 10)
        ],
    )
    if "text/csv" in (app.current_event.headers.get("accept") or ""):
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=report.csv(),
            headers={
                "Content-Disposition": f'attachment; filename="{scene_id}-report.csv"',
                "Cache-Control": "no-store",
            },
        )
    return Response(
        status_code=200, content_type="application/json", body=report, headers={"Cache-Control": "no-store"}
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


# ---- the organizer's pages: sign in with the API key, create a scene, see its QR and figures ----


def _page(
    name: str, lang: str, status: int = 200, cookies: list[str] | None = None, **context: Any
) -> Response[str]:
    from carbonneutral.web.pages import html, render

    return html(render(name, lang, **context), status=status, lang=lang, cookies=cookies)


def _signed_in() -> str | None:
    from carbonneutral.web.auth import organizer_from_cookie

    return organizer_from_cookie(app.current_event, services.organizer_store())


@app.get("/organizer", include_in_schema=False)
def organizer_login_page() -> Response[str]:
    from carbonneutral.web.pages import csrf_token, language_of

    lang = language_of(app.current_event)
    csrf, cookie = csrf_token(app.current_event)
    return _page("organizer_login.html", lang, cookies=[cookie] if cookie else None, csrf=csrf, error=None)


@app.post("/organizer", include_in_schema=False)
def organizer_login() -> Response[str]:
    from carbonneutral.web import forms
    from carbonneutral.web.auth import ORGANIZER_COOKIE, organizer_for_token
    from carbonneutral.web.pages import csrf_ok, csrf_token, language_of, read_form, redirect

    lang = language_of(app.current_event)
    form = read_form(app.current_event)
    token = form.get("key", "").strip()
    if not csrf_ok(app.current_event, form) or organizer_for_token(token, services.organizer_store()) is None:
        csrf, cookie = csrf_token(app.current_event)
        return _page(
            "organizer_login.html", lang, 401, [cookie] if cookie else None, csrf=csrf, error=forms.BAD_KEY
        )
    response = redirect(f"/organizer/scenes/new?lang={lang}")
    response.cookies = [
        f"{ORGANIZER_COOKIE}={token}; Path=/organizer; HttpOnly; SameSite=Strict; Max-Age=28800"
    ]
    return response  # type: ignore[no-any-return]


@app.get("/organizer/scenes/new", include_in_schema=False)
def new_scene_page() -> Response[str]:
    from carbonneutral.web import forms
    from carbonneutral.web.pages import csrf_token, language_of, redirect

    lang = language_of(app.current_event)
    if _signed_in() is None:
        return redirect(f"/organizer?lang={lang}")  # type: ignore[no-any-return]
    csrf, cookie = csrf_token(app.current_event)
    return _page(
        "organizer_new.html",
        lang,
        cookies=[cookie] if cookie else None,
        csrf=csrf,
        values={},
        errors={},
        kinds=forms.KIND_NAMES,
        fields=forms.SCENE_FORM_FIELDS,
    )


@app.post("/organizer/scenes/new", include_in_schema=False)
def new_scene_submit() -> Response[str]:
    from carbonneutral.errors import DomainError
    from carbonneutral.web import forms
    from carbonneutral.web.pages import csrf_ok, csrf_token, language_of, read_form, redirect

    lang = language_of(app.current_event)
    organizer = _signed_in()
    form = read_form(app.current_event)
    if organizer is None or not csrf_ok(app.current_event, form):
        return redirect(f"/organizer?lang={lang}")  # type: ignore[no-any-return]
    request, errors = forms.scene_request_from_form(form)
    if request is not None:
        try:
            scene = _new_scene(request, organizer)
        except DomainError as exc:
            errors = {exc.field or "form": exc.detail}
        else:
            return redirect(f"/organizer/scenes/{scene.scene_id}?lang={lang}")  # type: ignore[no-any-return]
    csrf, _ = csrf_token(app.current_event)
    return _page(
        "organizer_new.html",
        lang,
        422,
        csrf=csrf,
        values=form,
        errors=errors,
        kinds=forms.KIND_NAMES,
        fields=forms.SCENE_FORM_FIELDS,
    )


def _new_scene(request: SceneCreate, organizer: str) -> Scene:
    fields = request.model_dump(exclude={"calculator", "scene_id"})
    calculator = request.calculator or default_calculator(
        request.kind,
        airport=request.airport,
        country=request.country,
        starts_on=request.starts_on,
        ends_on=request.ends_on,
    )
    scene = Scene(
        scene_id=request.scene_id or new_scene_id(request.kind),
        organizer_id=organizer,
        calculator=calculator,
        **fields,
    )
    services.organizer_store().create_scene(scene)
    metrics.add_metric(name="ScenesCreated", unit=MetricUnit.Count, value=1)
    return scene


@app.get("/organizer/scenes/<scene_id>", include_in_schema=False)
def organizer_scene_page(scene_id: str) -> Response[str]:
    from carbonneutral.domain.scenes import is_scene_id
    from carbonneutral.errors import DomainError
    from carbonneutral.web import forms
    from carbonneutral.web.pages import language_of, not_found_page, redirect

    lang = language_of(app.current_event)
    organizer = _signed_in()
    if organizer is None:
        return redirect(f"/organizer?lang={lang}")  # type: ignore[no-any-return]
    try:
        if not is_scene_id(scene_id):
            raise NotFound("bad id")
        scene = owned_scene(services.scene_repository(), scene_id, organizer)
    except DomainError:
        return not_found_page(lang)  # type: ignore[no-any-return]
    boards = services.leaderboards()
    return _page(
        "organizer_scene.html",
        lang,
        scene=scene,
        page_url=_page_url(scene),
        kinds=forms.KIND_NAMES,
        totals=boards.scene_totals(scene_id),
        rating=boards.rating(scene_id),
        levels=forms.RATING_LEVELS,
    )
