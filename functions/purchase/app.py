"""purchase: projects, orders, payment webhooks, and the neutralize and checkout pages."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.ids import is_footprint_id
from carbonneutral.domain.money import price_of
from carbonneutral.domain.orders import ORDER_ID_PATTERN, OrderRequest, is_order_id, kg_to_neutralize
from carbonneutral.domain.ranking import PARTICIPANT_ID_PATTERN
from carbonneutral.errors import DomainError
from carbonneutral.observability import logger, metrics, traced
from carbonneutral.settings import get_settings
from carbonneutral.web.api import create_app
from carbonneutral.web.models import OrderOut, ProjectList, ProjectOut, ProvidersOut, WebhookAnswer
from carbonneutral.web.pages import (
    cookies_of,
    csp,
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

app = create_app()


@app.get("/v1/projects", tags=["purchase"], responses=problem_responses())
def list_projects() -> ProjectList:
    return ProjectList(items=[ProjectOut.of(p, inv) for p, inv in services.ledger().projects()])


@app.get("/v1/payments/providers", tags=["purchase"], responses=problem_responses())
def payment_providers() -> ProvidersOut:
    """Which provider new orders are paid with, and whose webhook is live (no other webhook is)."""
    default = get_settings().payment_provider.value
    return ProvidersOut(default=default, providers=[default], test_payments_only=default == "sandbox")


@app.post(
    "/v1/orders",
    tags=["purchase"],
    responses={
        201: {"description": "The order, its credits reserved, with how to pay"},
        200: {"description": "The same order again: the Idempotency-Key was seen with this body before"},
        **problem_responses(409, 415, 429, ok=None),
    },
)
def create_order(
    request: Annotated[OrderRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response[OrderOut]:
    service = services.purchase_service()
    order, created = service.place(
        request, idempotency_key, app.current_event.request_context.http.source_ip, base_url=app.base_url()
    )
    if created:
        metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
        logger.info(
            "order placed", extra={"order_id": order.order_id, "kg": order.quantity_kg, "role": order.role}
        )
    return Response(
        status_code=201 if created else 200,
        content_type="application/json",
        body=OrderOut.of(order, service.token_for(order)),
        headers={"Location": f"/v1/orders/{order.order_id}"},
    )


@app.get("/v1/orders/<order_id>", tags=["purchase"], responses=problem_responses(401, 403, 404))
def get_order(
    order_id: Annotated[str, Path(pattern=ORDER_ID_PATTERN)],
    authorization: Annotated[str | None, Header(max_length=300)] = None,
    token: Annotated[str | None, Query(max_length=100)] = None,
) -> OrderOut:
    bearer = authorization.removeprefix("Bearer ").strip() if authorization else None
    return OrderOut.of(services.purchase_service().get(order_id, bearer or token))


@app.post("/v1/payments/<provider>/webhook", tags=["purchase"], responses=problem_responses(400, 404))
def payment_webhook(provider: Annotated[str, Path(pattern=r"^[a-z_]{2,20}$")]) -> WebhookAnswer:
    event = app.current_event
    applied = services.purchase_service().receive_webhook(
        provider, event.decoded_body or "", dict(event.headers), base_url=app.base_url()
    )
    if applied.outcome == "retired" and applied.order:
        metrics.add_metric(name="KgRetired", unit=MetricUnit.Count, value=applied.order.quantity_kg)
        metrics.add_metric(name="RevenueFen", unit=MetricUnit.Count, value=applied.order.amount.minor_units)
    elif applied.outcome == "refund_due":
        metrics.add_metric(name="RefundsDue", unit=MetricUnit.Count, value=1)
    logger.info("payment event applied", extra={"provider": provider, "outcome": applied.outcome})
    return WebhookAnswer(outcome=applied.outcome)


# ---- hosted pages: choose a project, then pay (the sandbox's test checkout locally) ----


def _neutralize_page(
    footprint_id: str, lang: str, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response[str]:
    footprint = services.footprint_repository().get(footprint_id) if is_footprint_id(footprint_id) else None
    if footprint is None:
        return not_found_page(lang)
    csrf, cookie = csrf_token(app.current_event)
    cookies = [c for c in (cookie, _participant_cookie()) if c]
    quantity_kg, projects = kg_to_neutralize(footprint.total_g), services.ledger().projects()
    prices = {p.project_id: price_of(quantity_kg, p.price_per_tonne, p.currency) for p, _ in projects}
    body = render(
        "neutralize.html",
        lang,
        footprint=footprint,
        quantity_kg=quantity_kg,
        projects=projects,
        prices=prices,
        values=values,
        errors=errors,
        csrf=csrf,
        idempotency_key=values.get("idempotency_key") or secrets.token_urlsafe(18),
    )
    # The form's answer redirects to the provider's checkout: the CSP must let the form go there.
    return html(
        body,
        status=status,
        lang=lang,
        cookies=cookies,
        headers={"Content-Security-Policy": csp(services.checkout_origins())},
    )


def _participant_cookie() -> str | None:
    """A random participant id kept by the browser: one person's repeat purchases add up on boards."""
    if re.fullmatch(PARTICIPANT_ID_PATTERN, cookies_of(app.current_event).get("pid", "")):
        return None
    return f"pid={secrets.token_urlsafe(24)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000"


@app.get("/neutralize/<footprint_id>", include_in_schema=False)
def neutralize_page(footprint_id: str) -> Response[str]:
    return _neutralize_page(footprint_id, language_of(app.current_event), {}, {})


@app.post("/neutralize/<footprint_id>", include_in_schema=False)
def neutralize_submit(footprint_id: str) -> Response[str]:
    from carbonneutral.web import forms

    lang = language_of(app.current_event)
    form = read_form(app.current_event)
    if not csrf_ok(app.current_event, form):
        return _neutralize_page(footprint_id, lang, form, {"form": forms.FORM_EXPIRED}, 403)
    pid = cookies_of(app.current_event).get("pid")
    participant = pid if pid and re.fullmatch(PARTICIPANT_ID_PATTERN, pid) else None
    request, errors = forms.order_request_from_form(form, footprint_id, participant)
    if request is not None:
        try:
            order, _ = services.purchase_service().place(
                request,
                form.get("idempotency_key"),
                app.current_event.request_context.http.source_ip,
                base_url=app.base_url(),
                lang=lang,
            )
        except DomainError as exc:
            if exc.status >= 500:
                raise  # not the buyer's mistake: answered as a problem, not as a form error
            errors = {exc.field or "form": exc.detail}
        else:
            return redirect(order.checkout_url or f"/?lang={lang}")
    return _neutralize_page(footprint_id, lang, form, errors, 422)


@app.get("/checkout/<order_id>", include_in_schema=False)
def checkout_page(order_id: str) -> Response[str]:
    from carbonneutral.web import forms

    lang = language_of(app.current_event)
    token = (app.current_event.query_string_parameters or {}).get("token")
    try:
        order = services.purchase_service().get(order_id, token) if is_order_id(order_id) else None
    except DomainError as exc:
        if exc.status >= 500:
            raise
        order = None
    if order is None:
        return not_found_page(lang)
    found = services.ledger().project(order.project_id)
    csrf, cookie = csrf_token(app.current_event)
    body = render(
        "checkout.html",
        lang,
        order=order,
        project=found[0] if found else None,
        token=token,
        csrf=csrf,
        statuses=forms.ORDER_STATUSES,
    )
    return html(
        body, lang=lang, cookies=[cookie] if cookie else None, headers={"Referrer-Policy": "no-referrer"}
    )


@app.post("/checkout/<order_id>/pay", include_in_schema=False)
def checkout_pay(order_id: str) -> Response[str]:
    lang = language_of(app.current_event)
    form = read_form(app.current_event)
    if not is_order_id(order_id) or not csrf_ok(app.current_event, form):
        return not_found_page(lang)
    try:
        applied = services.purchase_service().pay_in_sandbox(
            order_id, form.get("token"), base_url=app.base_url()
        )
    except DomainError as exc:
        if exc.status >= 500:
            raise
        return not_found_page(lang)
    logger.info("sandbox payment", extra={"outcome": applied.outcome})
    return redirect(f"/checkout/{order_id}?token={form.get('token')}&lang={lang}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
