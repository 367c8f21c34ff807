"""organize's pages: organizers sign in with their API key, create a scene, see its QR code and figures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.cookies import Cookie
from carbonneutral import services
from carbonneutral.domain.organizers import SceneReport
from carbonneutral.domain.places import cities
from carbonneutral.domain.scenes import is_scene_id
from carbonneutral.errors import DomainError
from carbonneutral.observability import metrics
from carbonneutral.web import texts
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.artwork import SceneArtwork
from carbonneutral.web.auth import (
    organizer_from_session,
    session_cookies,
    sign_in,
    sign_out,
    signed_out_cookies,
)
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

router = ApiRouter()


@router.get("/organizer", include_in_schema=False)
def organizer_login_page() -> Response[str]:
    return _form_page("organizer_login.html", language_of(router.current_event), error=None)


@router.post("/organizer", include_in_schema=False)
def organizer_login() -> Response[str]:
    event = router.current_event
    lang, form = language_of(event), read_form(event)
    store = services.organizer_store()
    session_id = sign_in(form.get("key", "").strip(), store) if csrf_ok(event, form) else None
    if session_id is None:
        csrf, cookie = csrf_token(event)
        return _page(
            "organizer_login.html", lang, 401, [cookie] if cookie else None, csrf=csrf, error=texts.BAD_KEY
        )
    sign_out(event, store)  # a session this browser had before ends: one browser, one session
    return redirect(f"/organizer/scenes?lang={lang}", cookies=session_cookies(session_id))


@router.get("/organizer/scenes", include_in_schema=False)
def my_scenes_page() -> Response[str]:
    """The organizer's scenes, newest first, each with its page, QR code, poster and figures."""
    lang, organizer = language_of(router.current_event), _signed_in()
    if organizer is None:
        return redirect(f"/organizer?lang={lang}")
    scenes = services.organizer_service().scenes_of(organizer)
    return _form_page("organizer_scenes.html", lang, scenes=scenes, kinds=texts.KIND_NAMES)


@router.post("/organizer/sign-out", include_in_schema=False)
def organizer_sign_out() -> Response[str]:
    event = router.current_event
    lang, form = language_of(event), read_form(event)
    if not csrf_ok(event, form):  # another site cannot sign an organizer out either
        return redirect(f"/organizer/scenes/new?lang={lang}")
    sign_out(event, services.organizer_store())
    return redirect(f"/organizer?lang={lang}", cookies=signed_out_cookies())


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
    lang, organizer, report = _own_report(scene_id)
    if not isinstance(report, SceneReport):
        return report
    assert organizer is not None
    page_url = SceneArtwork.page_url(report.scene, router.base_url())
    held = services.organizer_service().held(scene_id, organizer)
    context: dict[str, Any] = {
        "scene": report.scene,
        "rating": report.rating,
        "held": held,
        "totals": report.totals,
        "charts": _charts(report.totals, lang),
    }
    return _form_page(
        "organizer_scene.html",
        lang,
        page_url=page_url,
        kinds=texts.KIND_NAMES,
        levels=texts.RATING_LEVELS,
        **context,
    )


@router.post("/organizer/scenes/<scene_id>/held/<order_id>/accept", include_in_schema=False)
def accept_held_submit(scene_id: str, order_id: str) -> Response[str]:
    event = router.current_event
    lang, organizer, form = language_of(event), _signed_in(), read_form(event)
    if organizer is None or not csrf_ok(event, form):
        return redirect(f"/organizer?lang={lang}")
    try:
        services.organizer_service().accept_held(scene_id, order_id, organizer)
    except DomainError:
        return not_found_page(lang)
    return redirect(f"/organizer/scenes/{scene_id}?lang={lang}")


@router.post("/organizer/scenes/<scene_id>/certificate", include_in_schema=False)
def certificate_submit(scene_id: str) -> Response[str]:
    """The organizer applies for the scene's event certificate, and sees it."""
    event = router.current_event
    lang, organizer, form = language_of(event), _signed_in(), read_form(event)
    if organizer is None or not csrf_ok(event, form):
        return redirect(f"/organizer?lang={lang}")
    try:
        signed, _ = services.organizer_service().certify(scene_id, organizer, router.base_url())
    except DomainError:
        return not_found_page(lang)
    return redirect(f"/c/{signed['certificate_id']}?lang={lang}")


@router.get("/organizer/scenes/<scene_id>/report.csv", include_in_schema=False)
def report_csv(scene_id: str) -> Response[str]:
    """The scene's report as a spreadsheet, for the signed-in organizer (headers in the page's language)."""
    from carbonneutral.web.models import SceneReportOut

    lang, _organizer, own = _own_report(scene_id)
    if not isinstance(own, SceneReport):
        return own
    report = SceneReportOut.of(own)
    headers = {
        "Content-Disposition": f'attachment; filename="{scene_id}-report.csv"',
        "Cache-Control": "no-store",
    }
    return Response(200, "text/csv; charset=utf-8", report.csv(lang), headers=headers)


def _charts(totals: dict[str, int], lang: str) -> dict[str, str]:
    """The scene's figures drawn as SVG: by activity, calculated against neutralized, and by day."""
    from datetime import UTC, date, datetime

    from carbonneutral.domain.ranking import ACTIVITY_PREFIX, DAY_FOOTPRINTS, DAY_NEUTRALIZED_KG, beijing_day
    from carbonneutral.web import charts
    from carbonneutral.web.i18n import translations

    t = translations(lang).gettext
    titles = texts.CHART_TITLES
    by_activity = [
        (t(texts.TITLES[kind]), g / 1000)
        for kind, g in charts.series(totals, ACTIVITY_PREFIX).items()
        if kind in texts.TITLES
    ]
    today = date.fromisoformat(beijing_day(datetime.now(UTC)))
    compared = [
        (t(titles["calculated"]), totals.get("footprint_g", 0) / 1000),
        (t(titles["by_participants"]), totals.get("participants_g", 0) / 1000),
        (t(titles["by_organizer"]), float(totals.get("organizer_kg", 0))),
    ]
    drawn = {
        "compared": charts.bars(t(titles["compared"]), compared, "kg"),
        "footprints_daily": charts.daily(
            t(titles["footprints_daily"]), charts.series(totals, DAY_FOOTPRINTS), today
        ),
        "neutralized_daily": charts.daily(
            t(titles["neutralized_daily"]), charts.series(totals, DAY_NEUTRALIZED_KG), today
        ),
    }
    if by_activity:
        drawn["by_activity"] = charts.bars(t(titles["by_activity"]), by_activity, "kg")
    return drawn


def _own_report(scene_id: str) -> tuple[str, str | None, SceneReport | Response[str]]:
    """(language, organizer, the scene's report) for its signed-in organizer; in place of the report,
    the page to answer: sign in, or not found (another organizer's scene is not found either)."""
    lang, organizer = language_of(router.current_event), _signed_in()
    if organizer is None:
        return lang, None, redirect(f"/organizer?lang={lang}")
    if not is_scene_id(scene_id):
        return lang, organizer, not_found_page(lang)
    try:
        return lang, organizer, services.organizer_service().report(scene_id, organizer)
    except DomainError:
        return lang, organizer, not_found_page(lang)


def _signed_in() -> str | None:
    return organizer_from_session(router.current_event, services.organizer_store())


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
        places=cities(),
    )


def _form_page(name: str, lang: str, **context: Any) -> Response[str]:
    """A page with forms: it carries this browser's CSRF token, set as a cookie if it is new."""
    csrf, cookie = csrf_token(router.current_event)
    return _page(name, lang, 200, [cookie] if cookie else None, csrf=csrf, **context)


def _page(
    name: str, lang: str, status: int = 200, cookies: list[Cookie] | None = None, **context: Any
) -> Response[str]:
    return html(render(name, lang, **context), status=status, lang=lang, cookies=cookies)
