"""purchase's pages: choose a project and the name for the certificate, then pay (the sandbox's test
checkout, or the provider's page) and see the retired serial numbers."""

from __future__ import annotations

import secrets

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie
from carbonneutral import services
from carbonneutral.domain.orders import is_order_id
from carbonneutral.errors import DomainError
from carbonneutral.observability import logger
from carbonneutral.web import texts
from carbonneutral.web.api import ApiRouter
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
    return _neutralize_page(footprint_id, language_of(router.current_event), {}, {})


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
        except DomainError as exc:
            if exc.status >= 500:
                raise  # not the buyer's mistake: answered as a problem, not as a form error
            errors = {exc.field or "form": exc.detail}
        else:
            token = service.token_for(order)
            checkout = (
                service.checkout_url(order, token, router.base_url(), lang) or f"/checkout/{order.order_id}"
            )
            return redirect(checkout, cookies=[_token_cookie(order.order_id, token)])
    return _neutralize_page(footprint_id, lang, form, errors, 422)


@router.get("/checkout/<order_id>", include_in_schema=False)
def checkout_page(order_id: str) -> Response[str]:
    event = router.current_event
    lang = language_of(event)
    query_token = (event.query_string_parameters or {}).get("token")
    token = query_token or cookies_of(event).get(ORDER_TOKEN_COOKIE)
    try:
        if not is_order_id(order_id):
            return not_found_page(lang)
        order, project = services.purchase_service().checkout(order_id, token)
    except DomainError as exc:
        if exc.status >= 500:
            raise
        return not_found_page(lang)
    csrf, cookie = csrf_token(event)
    cookies = [c for c in (cookie,) if c]
    if query_token:  # kept for this page, so its links (the language, after paying) need no token
        cookies.append(_token_cookie(order_id, query_token))
    body = render(
        "checkout.html",
        lang,
        order=order,
        project=project,
        token=token,
        csrf=csrf,
        statuses=texts.ORDER_STATUSES,
    )
    return html(body, lang=lang, cookies=cookies, headers={"Referrer-Policy": "no-referrer"})


@router.post("/checkout/<order_id>/pay", include_in_schema=False)
def checkout_pay(order_id: str) -> Response[str]:
    event = router.current_event
    lang, form = language_of(event), read_form(event)
    if not is_order_id(order_id) or not csrf_ok(event, form):
        return not_found_page(lang)
    try:
        applied = services.purchase_service().pay_in_sandbox(
            order_id, form.get("token"), base_url=router.base_url()
        )
    except DomainError as exc:
        if exc.status >= 500:
            raise
        return not_found_page(lang)
    logger.info("sandbox payment", extra={"outcome": applied.outcome})
    return redirect(f"/checkout/{order_id}?lang={lang}")


ORDER_TOKEN_COOKIE = "order_token"  # noqa: S105 - the cookie's name, not a secret


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
