"""purchase's pages: choose a project and the name for the certificate, then pay (the sandbox's test
checkout, or the provider's page) and see the retired serial numbers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie
from carbonneutral import services
from carbonneutral.domain.orders import Order, OrderStatus, is_order_id
from carbonneutral.domain.projects import Project
from carbonneutral.domain.scenes import is_scene_id
from carbonneutral.errors import DomainError, FootprintClaimed, ProviderUnavailable
from carbonneutral.observability import logger
from carbonneutral.web import texts
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.auth import organizer_from_session
from carbonneutral.web.html import (
    cookies_of,
    csp,
    csrf_ok,
    csrf_token,
    html,
    language_of,
    not_found_page,
    page_cookie,
    participant_cookie,
    participant_of,
    read_form,
    redirect,
    render,
)

router = ApiRouter()


@router.get("/neutralize/<footprint_id>", include_in_schema=False)
def neutralize_page(footprint_id: str) -> Response[str]:
    lang = language_of(router.current_event)
    claimed = _claimed(footprint_id, lang)
    return claimed or _neutralize_page(footprint_id, lang, {}, {})


def _claimed(footprint_id: str, lang: str) -> Response[str] | None:
    """Where a footprint that already has an order leads instead of a new order: its certificate
    once retired; the buyer's own checkout while it is pending; otherwise a page saying so."""
    service = services.purchase_service()
    claim = service.claim(footprint_id)
    if claim is None:
        return None
    order_id, status, certificate_id = claim
    if certificate_id:
        return redirect(f"/c/{certificate_id}?lang={lang}")
    order = service.order(order_id)
    mine = (
        order is not None
        and order.participant_id
        and order.participant_id == participant_of(router.current_event)
    )
    if mine and order is not None and status is OrderStatus.pending_payment:
        return _to_checkout(order, lang)
    body = render(
        "claimed.html", lang, footprint_id=footprint_id, pending=status is OrderStatus.pending_payment
    )
    return html(body, status=409, lang=lang)


@router.post("/neutralize/<footprint_id>", include_in_schema=False)
def neutralize_submit(footprint_id: str) -> Response[str]:
    from carbonneutral.web import forms

    event = router.current_event
    lang, form = language_of(event), read_form(event)
    if not csrf_ok(event, form):
        return _neutralize_page(footprint_id, lang, form, {"form": texts.FORM_EXPIRED}, 403)
    request, errors = forms.order_request_from_form(form, footprint_id, participant_of(event))
    if request is not None:
        service = services.purchase_service()
        try:
            order, _ = service.place(
                request,
                form.get("idempotency_key"),
                router.client_ip(),
                base_url=router.base_url(),
                lang=lang,
            )
        except FootprintClaimed:  # a double tap replays its order above; this is someone else's
            return _claimed(footprint_id, lang) or _neutralize_page(footprint_id, lang, form, {}, 409)
        except DomainError as exc:
            if exc.status >= 500:
                raise  # not the buyer's mistake: answered as a problem, not as a form error
            errors = {exc.field or "form": exc.detail}
        else:
            return _to_checkout(order, lang)
    return _neutralize_page(footprint_id, lang, form, errors, 422)


@router.get("/checkout/<order_id>", include_in_schema=False)
def checkout_page(order_id: str) -> Response[str]:
    event = router.current_event
    lang = language_of(event)
    query = event.query_string_parameters or {}
    query_token = query.get("token")
    token = query_token or cookies_of(event).get(ORDER_TOKEN_COOKIE)
    service = services.purchase_service()
    unconfirmed = False
    try:
        if not is_order_id(order_id):
            return not_found_page(lang)
        order, project = service.checkout(order_id, token)
        if query.get("check") and order.status is OrderStatus.pending_payment:
            # back from WeChat Pay or Alipay: ask how the payment stands, in case its notice is late
            try:
                order = service.check_payment(order_id, token, base_url=router.base_url())
            except ProviderUnavailable as exc:  # the order as it is, still pending
                logger.warning(
                    "payment not checked: the provider is unreachable",
                    extra={"order_id": order_id, "error": exc.detail},
                )
                unconfirmed = True
    except DomainError as exc:
        if exc.status >= 500:
            raise
        return not_found_page(lang)
    cookies = [_token_cookie(order_id, query_token)] if query_token else []
    return _checkout(
        order,
        project,
        token,
        lang,
        cookies,
        method=query.get("method"),
        unconfirmed=unconfirmed,
        away=query.get("away") == "1",  # a form's call to the provider just found it out of reach
    )


def _checkout(
    order: Order,
    project: Project | None,
    token: str | None,
    lang: str,
    cookies: list[Cookie],
    *,
    method: str | None = None,
    bridge: Mapping[str, str] | None = None,
    unconfirmed: bool = False,
    away: bool = False,
) -> Response[str]:
    """The checkout page; for WeChat Pay and Alipay with the method that fits the browser (or the
    one the buyer switched to), a QR code for WeChat Pay's Native payment on a desktop.

    A provider out of reach costs only the way to pay that needed it: the page says so, and keeps
    the other ways and the cancel form. `unconfirmed`: the provider was out of reach when this
    request asked it how the payment stands (a return from its page)."""
    event = router.current_event
    service = services.purchase_service()
    methods = service.methods(order, event.headers.get("user-agent") or "")
    if order.status is not OrderStatus.pending_payment:
        methods = ()
    chosen = method if method in methods else (methods[0] if methods else None)
    if bridge is not None:
        chosen = "jsapi"
    code = link = None
    # The QR code is the one made with a call to the provider: not made when this request has just
    # found the provider out of reach (two of its timeouts would overrun the function's time).
    away = away or (unconfirmed and chosen == "native")
    # Made with the page: the QR code (Native), and the links that need no call to the provider
    # first (WeChat's OpenID step, Alipay's cashier). A link, not a form: the provider's pages may
    # redirect on to hosts of their own, which a form's CSP (form-action) would stop. H5 is a form:
    # its cashier address comes from WeChat Pay when the buyer asks for it, and lives 5 minutes.
    if chosen in ("native", "jsapi", "wap", "page") and bridge is None and not away:
        from carbonneutral.qr import qr_svg

        try:
            step = service.start_payment(
                order.order_id,
                token,
                chosen,
                base_url=router.base_url(),
                lang=lang,
                client_ip=router.client_ip(),
            )
            code, link = (qr_svg(str(step.url)), None) if step.kind == "qr" else (None, step.url)
        except ProviderUnavailable as exc:  # the other ways stay on offer
            away = True
            logger.warning(
                "payment provider unreachable",
                extra={"order_id": order.order_id, "method": chosen, "error": exc.detail},
            )
        except DomainError as exc:  # the provider refused the order: the other ways stay on offer
            if exc.status >= 500:
                raise
            logger.warning("no way to pay made for the order", extra={"error": exc.detail})
    csrf, cookie = csrf_token(event)
    body = render(
        "checkout.html",
        lang,
        order=order,
        project=project,
        token=token,
        csrf=csrf,
        statuses=texts.ORDER_STATUSES,
        methods=methods,
        method=chosen,
        method_names=texts.PAYMENT_METHODS,
        code=code,
        link=link,
        bridge=bridge,
        provider_away=away,
        unconfirmed=unconfirmed,
    )
    # A payment form's answer redirects to the provider's page: the CSP must let the form go there.
    # The order token may be in this page's URL: no referrer, but WeChat Pay's H5 cashier checks the
    # merchant's domain in it, so its pages send their origin (never the path or the query).
    referrer = "strict-origin" if methods else "no-referrer"
    headers = {"Referrer-Policy": referrer, "Content-Security-Policy": csp(services.checkout_origins())}
    return html(body, lang=lang, cookies=[*cookies, *([cookie] if cookie else [])], headers=headers)


@router.get("/checkout/<order_id>/wechat", include_in_schema=False)
def checkout_wechat(order_id: str) -> Response[str]:
    """WeChat's OpenID step hands the visitor back here: the page then pays inside WeChat (JSAPI)."""
    event = router.current_event
    lang, query = language_of(event), event.query_string_parameters or {}
    token = cookies_of(event).get(ORDER_TOKEN_COOKIE)
    service = services.purchase_service()
    if not is_order_id(order_id):
        return not_found_page(lang)
    try:
        bridge = service.pay_as(
            order_id, token, query.get("code", ""), query.get("state", ""), base_url=router.base_url()
        ).params
        order, project = service.checkout(order_id, token)
    except ProviderUnavailable as exc:
        return _provider_away(order_id, lang, "jsapi", exc)
    except DomainError as exc:
        if exc.status >= 500:
            raise
        if exc.status in (401, 403, 404):
            return not_found_page(lang)
        return redirect(f"/checkout/{order_id}?lang={lang}")
    return _checkout(order, project, token, lang, [], bridge=bridge or {})


@router.post("/checkout/<order_id>/pay", include_in_schema=False)
def checkout_pay(order_id: str) -> Response[str]:
    def pay(token: str | None, form: Mapping[str, str]) -> str | None:
        service = services.purchase_service()
        if form.get("method"):  # WeChat Pay or Alipay: to the provider's page for that method
            step = service.start_payment(
                order_id,
                token,
                form["method"],
                base_url=router.base_url(),
                lang=language_of(router.current_event),
                client_ip=router.client_ip(),
            )
            return step.url if step.kind == "redirect" else None  # a QR code is shown on the page
        applied = service.pay_in_sandbox(order_id, token, base_url=router.base_url())
        logger.info("sandbox payment", extra={"outcome": applied.outcome})
        return None

    return _checkout_form(order_id, pay)


@router.post("/checkout/<order_id>/cancel", include_in_schema=False)
def checkout_cancel(order_id: str) -> Response[str]:
    def cancel(token: str | None, form: Mapping[str, str]) -> None:
        services.purchase_service().cancel(order_id, token)

    return _checkout_form(order_id, cancel)


def _checkout_form(
    order_id: str, act: Callable[[str | None, Mapping[str, str]], str | None]
) -> Response[str]:
    """A form of the checkout page (its CSRF token checked) doing `act` with the order token, then
    to where `act` says (a provider's page) or back to the page; a conflict (paid or expired
    meanwhile) shows the order as it is now."""
    event = router.current_event
    lang, form = language_of(event), read_form(event)
    if not is_order_id(order_id) or not csrf_ok(event, form):
        return not_found_page(lang)
    try:
        target = act(form.get("token"), form)
    except ProviderUnavailable as exc:
        return _provider_away(order_id, lang, form.get("method"), exc)
    except DomainError as exc:
        if exc.status >= 500:
            raise
        if exc.status not in (409, 422):
            return not_found_page(lang)
        target = None
    return redirect(target or f"/checkout/{order_id}?lang={lang}")


def _provider_away(order_id: str, lang: str, method: str | None, exc: ProviderUnavailable) -> Response[str]:
    """The provider was out of reach when a form (H5) or WeChat's return (JSAPI) called it: back to
    the checkout page, which says so and keeps the other ways to pay and the cancel form."""
    logger.warning(
        "payment provider unreachable", extra={"order_id": order_id, "method": method, "error": exc.detail}
    )
    query = urlencode({"lang": lang, **({"method": method} if method else {}), "away": "1"})
    return redirect(f"/checkout/{order_id}?{query}")


ORDER_TOKEN_COOKIE = "order_token"  # noqa: S105 - the cookie's name, not a secret


def _to_checkout(order: Order, lang: str) -> Response[str]:
    """To where the buyer pays the order, its token kept in the order's own cookie."""
    service = services.purchase_service()
    token = service.token_for(order)
    checkout = service.checkout_url(order, token, router.base_url(), lang) or f"/checkout/{order.order_id}"
    return redirect(checkout, cookies=[_token_cookie(order.order_id, token)])


def _token_cookie(order_id: str, token: str) -> Cookie:
    """The order token for its own checkout page only (a return from the provider carries none)."""
    return page_cookie(ORDER_TOKEN_COOKIE, token, path=f"/checkout/{order_id}", max_age=86400)


def _neutralize_page(
    footprint_id: str, lang: str, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response[str]:
    quote = services.purchase_service().quote(footprint_id)
    if quote is None:
        return not_found_page(lang)
    event = router.current_event
    csrf, cookie = csrf_token(event)
    body = render(
        "neutralize.html",
        lang,
        quote=quote,
        footprint=quote.footprint,
        quantity_kg=quote.quantity_kg,
        values=values,
        errors=errors,
        csrf=csrf,
        idempotency_key=values.get("idempotency_key") or secrets.token_urlsafe(18),
    )
    cookies = [c for c in (cookie, participant_cookie(event)) if c]
    # The form's answer redirects to the provider's checkout: the CSP must let the form go there.
    headers = {"Content-Security-Policy": csp(services.checkout_origins())}
    return html(body, status=status, lang=lang, cookies=cookies, headers=headers)


@router.get("/organizer/scenes/<scene_id>/neutralize", include_in_schema=False)
def neutralize_event_page(scene_id: str) -> Response[str]:
    lang = language_of(router.current_event)
    return _event_page(scene_id, lang, {}, {})


@router.post("/organizer/scenes/<scene_id>/neutralize", include_in_schema=False)
def neutralize_event_submit(scene_id: str) -> Response[str]:
    """The organizer's order for the event's own footprint: only the scene's signed-in organizer."""
    from carbonneutral.web import forms

    event = router.current_event
    lang, form = language_of(event), read_form(event)
    organizer = organizer_from_session(event, services.organizer_store())
    if organizer is None:
        return redirect(f"/organizer?lang={lang}")
    if not csrf_ok(event, form):
        return _event_page(scene_id, lang, form, {"form": texts.FORM_EXPIRED}, 403)
    request, errors = forms.event_order_from_form(form, scene_id)
    if request is not None:
        service = services.purchase_service()
        try:
            order, _ = service.place(
                request,
                form.get("idempotency_key"),
                router.client_ip(),
                base_url=router.base_url(),
                lang=lang,
                organizer_id=organizer,
            )
        except DomainError as exc:
            if exc.status >= 500:
                raise
            errors = {exc.field or "form": exc.detail}
        else:
            return _to_checkout(order, lang)
    return _event_page(scene_id, lang, form, errors, 422)


def _event_page(
    scene_id: str, lang: str, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response[str]:
    event = router.current_event
    organizer = organizer_from_session(event, services.organizer_store())
    if organizer is None:
        return redirect(f"/organizer?lang={lang}")
    scene = services.scene_repository().get(scene_id) if is_scene_id(scene_id) else None
    if scene is None or scene.organizer_id != organizer:
        return not_found_page(lang)
    csrf, cookie = csrf_token(event)
    body = render(
        "neutralize_event.html",
        lang,
        scene=scene,
        projects=services.purchase_service().projects(),
        values=values,
        errors=errors,
        csrf=csrf,
        idempotency_key=values.get("idempotency_key") or secrets.token_urlsafe(18),
    )
    headers = {"Content-Security-Policy": csp(services.checkout_origins())}
    return html(body, status=status, lang=lang, cookies=[cookie] if cookie else None, headers=headers)
