"""organize's pages: organizers sign in with their API key, create a scene, see its QR code and figures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from carbonneutral import services
from carbonneutral.domain.scenes import is_scene_id
from carbonneutral.errors import DomainError
from carbonneutral.observability import metrics
from carbonneutral.web import texts
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.artwork import SceneArtwork
from carbonneutral.web.auth import ORGANIZER_COOKIE, organizer_for_token, organizer_from_cookie
from carbonneutral.web.html import (
    csrf_ok,
    csrf_token,
    html,
    language_of,
    not_found_page,
    page_cookie,
    read_form,
    redirect,
    render,
)

router = ApiRouter()


@router.get("/organizer", include_in_schema=False)
def organizer_login_page() -> Response[str]:
    lang = language_of(router.current_event)
    csrf, cookie = csrf_token(router.current_event)
    return _page("organizer_login.html", lang, cookies=[cookie] if cookie else None, csrf=csrf, error=None)


@router.post("/organizer", include_in_schema=False)
def organizer_login() -> Response[str]:
    event = router.current_event
    lang, form = language_of(event), read_form(event)
    token = form.get("key", "").strip()
    if not csrf_ok(event, form) or organizer_for_token(token, services.organizer_store()) is None:
        csrf, cookie = csrf_token(event)
        return _page(
            "organizer_login.html", lang, 401, [cookie] if cookie else None, csrf=csrf, error=texts.BAD_KEY
        )
    session = page_cookie(
        ORGANIZER_COOKIE, token, path="/organizer", same_site=SameSite.STRICT_MODE, max_age=28800
    )
    return redirect(f"/organizer/scenes/new?lang={lang}", cookies=[session])


@router.get("/organizer/scenes/new", include_in_schema=False)
def new_scene_page() -> Response[str]:
    lang = language_of(router.current_event)
    if _signed_in() is None:
        return redirect(f"/organizer?lang={lang}")
    csrf, cookie = csrf_token(router.current_event)
    return _new_scene_form(lang, 200, [cookie] if cookie else None, csrf, {}, {})


@router.post("/organizer/scenes/new", include_in_schema=False)
def new_scene_submit() -> Response[str]:
    from carbonneutral.web import forms

    event = router.current_event
    lang, organizer, form = language_of(event), _signed_in(), read_form(event)
    if organizer is None or not csrf_ok(event, form):
        return redirect(f"/organizer?lang={lang}")
    request, errors = forms.scene_request_from_form(form)
    if request is not None:
        try:
            scene = services.organizer_service().create_scene(request, organizer)
        except DomainError as exc:
            errors = {exc.field or "form": exc.detail}
        else:
            metrics.add_metric(name="ScenesCreated", unit=MetricUnit.Count, value=1)
            return redirect(f"/organizer/scenes/{scene.scene_id}?lang={lang}")
    csrf, _ = csrf_token(event)
    return _new_scene_form(lang, 422, None, csrf, form, errors)


@router.get("/organizer/scenes/<scene_id>", include_in_schema=False)
def organizer_scene_page(scene_id: str) -> Response[str]:
    lang, organizer = language_of(router.current_event), _signed_in()
    if organizer is None:
        return redirect(f"/organizer?lang={lang}")
    try:
        if not is_scene_id(scene_id):
            return not_found_page(lang)
        report = services.organizer_service().report(scene_id, organizer)
    except DomainError:
        return not_found_page(lang)
    page_url = SceneArtwork.page_url(report.scene, router.base_url())
    context: dict[str, Any] = {"scene": report.scene, "totals": report.totals, "rating": report.rating}
    return _page(
        "organizer_scene.html",
        lang,
        page_url=page_url,
        kinds=texts.KIND_NAMES,
        levels=texts.RATING_LEVELS,
        **context,
    )


def _signed_in() -> str | None:
    return organizer_from_cookie(router.current_event, services.organizer_store())


def _new_scene_form(
    lang: str,
    status: int,
    cookies: list[Cookie] | None,
    csrf: str,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response[str]:
    from carbonneutral.web import forms

    return _page(
        "organizer_new.html",
        lang,
        status,
        cookies,
        csrf=csrf,
        values=values,
        errors=errors,
        kinds=texts.KIND_NAMES,
        fields=forms.SCENE_FORM_FIELDS,
    )


def _page(
    name: str, lang: str, status: int = 200, cookies: list[Cookie] | None = None, **context: Any
) -> Response[str]:
    return html(render(name, lang, **context), status=status, lang=lang, cookies=cookies)
