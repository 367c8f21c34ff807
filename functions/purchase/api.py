"""purchase's API: offset projects, orders and their credit reservations, payment webhooks."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.orders import OrderRequest
from carbonneutral.domain.payments import WebhookReply, is_direct
from carbonneutral.domain.types import ORDER_ID_PATTERN
from carbonneutral.errors import DomainError
from carbonneutral.observability import logger, metrics
from carbonneutral.settings import get_settings
from carbonneutral.web.api import ApiRouter
from carbonneutral.web.auth import organizer_of
from carbonneutral.web.models import OrderOut, ProjectList, ProjectOut, ProvidersOut, WebhookAnswer
from carbonneutral.web.problems import problem_responses

router = ApiRouter()
NO_STORE = {"Cache-Control": "no-store"}  # an order's answer carries its token or its buyer's details


@router.get(
    "/v1/projects",
    tags=["purchase"],
    summary="List the offset projects",
    description="Each project's developer, kind, standard, vintage, price per tonne and credits available.",
    responses=problem_responses(),
)
def list_projects() -> ProjectList:
    return ProjectList(items=[ProjectOut.of(p, inv) for p, inv in services.purchase_service().projects()])


@router.get(
    "/v1/payments/providers",
    tags=["purchase"],
    summary="How orders are paid",
    description="The provider new orders are paid with; its webhook is the only one live.",
    responses=problem_responses(),
)
def payment_providers() -> ProvidersOut:
    return ProvidersOut.of(get_settings().payment_provider.value)


@router.post(
    "/v1/orders",
    tags=["purchase"],
    summary="Place an order",
    description="Reserves the credits for a footprint (or an explicit quantity) in a project, for the "
    "beneficiary named on the certificate. Send an `Idempotency-Key`: the same key and body give the same "
    "order to the same requester. A footprint has one order at a time: another one is a 409 while it is "
    "pending or retired. `role: organizer` needs the scene owner's organizer key "
    "(`Authorization: Bearer cnk_…`). The answer carries the amount, the order token and where to pay.",
    responses={
        201: {"description": "The order, its credits reserved, with how to pay"},
        200: {"description": "The same order again: the Idempotency-Key was seen with this body before"},
        **problem_responses(401, 403, 409, 415, 429, ok=None),
    },
)
def create_order(
    request: Annotated[OrderRequest, Body()],
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=128, description="8 to 128 of A-Z a-z 0-9 _ . : -"),
    ] = None,
) -> Response[OrderOut]:
    service = services.purchase_service()
    event = router.current_event
    # An organizer proves who they are with their key; a bad key is a 401, none is a participant.
    organizer = (
        organizer_of(event, services.organizer_store()) if event.headers.get("authorization") else None
    )
    order, created = service.place(
        request, idempotency_key, router.client_ip(), base_url=router.base_url(), organizer_id=organizer
    )
    if created:
        metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
        logger.info(
            "order placed", extra={"order_id": order.order_id, "kg": order.quantity_kg, "role": order.role}
        )
    token = service.token_for(order)
    body = OrderOut.of(order, token, service.checkout_url(order, token, router.base_url()))
    headers = {"Location": f"/v1/orders/{order.order_id}", **NO_STORE}
    return Response(201 if created else 200, "application/json", body, headers=headers)


@router.get(
    "/v1/orders/<order_id>",
    tags=["purchase"],
    summary="Get an order",
    description="The order's status and, once retired, its serial ranges and certificate. Needs the order "
    "token, as `Authorization: Bearer <token>` or `?token=`.",
    responses=problem_responses(401, 403, 404),
)
def get_order(
    order_id: Annotated[str, Path(pattern=ORDER_ID_PATTERN, description="The order's id")],
    authorization: Annotated[str | None, Header(max_length=300, description="Bearer <order token>")] = None,
    token: Annotated[str | None, Query(max_length=100, description="The order token")] = None,
) -> Response[OrderOut]:
    bearer = authorization.removeprefix("Bearer ").strip() if authorization else None
    service, presented = services.purchase_service(), bearer or token
    order = service.get(order_id, presented)
    body = OrderOut.of(order, checkout_url=service.checkout_url(order, str(presented), router.base_url()))
    return Response(200, "application/json", body, headers=NO_STORE)


@router.post(
    "/v1/orders/<order_id>/cancel",
    tags=["purchase"],
    summary="Cancel an unpaid order",
    description="The buyer cancels an order awaiting payment: its credits, and its footprint, are released "
    "at once, and the provider's checkout is closed. A payment that still arrives is refunded, never kept. "
    "Cancelling again answers the cancelled order; a paid order cannot be cancelled (its credits are "
    "retired, which is final): 409. Needs the order token, as `Authorization: Bearer <token>` or `?token=`.",
    responses=problem_responses(401, 403, 404, 409),
)
def cancel_order(
    order_id: Annotated[str, Path(pattern=ORDER_ID_PATTERN, description="The order's id")],
    authorization: Annotated[str | None, Header(max_length=300, description="Bearer <order token>")] = None,
    token: Annotated[str | None, Query(max_length=100, description="The order token")] = None,
) -> Response[OrderOut]:
    bearer = authorization.removeprefix("Bearer ").strip() if authorization else None
    order = services.purchase_service().cancel(order_id, bearer or token)
    logger.info("order cancelled", extra={"order_id": order.order_id, "status": order.status.value})
    return Response(200, "application/json", OrderOut.of(order), headers=NO_STORE)


@router.post(
    "/v1/payments/<provider>/webhook",
    tags=["purchase"],
    summary="Receive a payment provider's event",
    description="A signed event from the stack's payment provider: verified, de-duplicated by its id, and "
    "applied once (credits retired and a certificate issued, or the money recorded as due back). WeChat Pay "
    "and Alipay get the answers they read: 204, or 4xx/5xx with code FAIL (WeChat Pay); the text "
    "`success` or `fail` (Alipay).",
    responses={
        200: {
            "description": "The event was applied (or seen before)",
            "content": {"application/json": {"model": WebhookAnswer}},
        },
        **problem_responses(400, 404, ok=None),
    },
)
def payment_webhook(
    provider: Annotated[
        str, Path(pattern=r"^[a-z_]{2,20}$", description="sandbox, stripe, wechatpay or alipay")
    ],
) -> Response[str]:  # the provider's own form, or a WebhookAnswer (documented above)
    event = router.current_event
    service = services.purchase_service()
    live = service.live_provider(provider)
    try:
        applied = service.receive_webhook(
            provider, event.decoded_body or "", dict(event.headers), base_url=router.base_url()
        )
    except DomainError as exc:
        if not is_direct(live):
            raise
        # WeChat Pay and Alipay read their own answer forms: anything but success means "send again"
        logger.warning("payment notification refused", extra={"provider": provider, "error": exc.detail})
        return _reply(live.reply(exc))
    if applied.outcome == "retired" and applied.order:
        metrics.add_metric(name="KgRetired", unit=MetricUnit.Count, value=applied.order.quantity_kg)
        metrics.add_metric(name="RevenueFen", unit=MetricUnit.Count, value=applied.order.amount.minor_units)
    elif applied.outcome == "refund_due":
        metrics.add_metric(name="RefundsDue", unit=MetricUnit.Count, value=1)
    elif applied.outcome in ("refunded", "disputed"):
        metrics.add_metric(name=applied.outcome.title(), unit=MetricUnit.Count, value=1)
    logger.info("payment event applied", extra={"provider": provider, "outcome": applied.outcome})
    if is_direct(live):
        return _reply(live.reply(None))
    return Response(200, "application/json", WebhookAnswer(outcome=applied.outcome).model_dump_json())


def _reply(reply: WebhookReply) -> Response[str]:
    """A notification's answer in its provider's own form (WeChat Pay: JSON; Alipay: plain text)."""
    return Response(reply.status, reply.content_type, reply.body)
