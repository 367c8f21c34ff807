"""Settling an order: what a verified payment event, or the end of a reservation, does to it.

Pure decisions, no I/O. The store turns each one into a single conditional transaction, and
applies it again from a fresh read when the order changed meanwhile.

- a payment that covers a pending order retires its credits in the beneficiary's name;
- any other payment is owed back, never kept: the reservation had expired, the order was already
  settled, or the amount is not the order's; an order that still held credits fails and they go back;
- a provider's "expired" for a pending order releases its credits;
- everything else is only recorded, so each provider event is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, OrderStatus, Refund, Retirement
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import Project, serial_label


@dataclass(frozen=True)
class Retire:
    """The payment covers the order: its reserved credits are retired."""

    order: Order  # as retired, with its retirement
    outcome: Literal["retired"] = "retired"


@dataclass(frozen=True)
class RefundDue:
    """The payment cannot buy this order's credits: the money is due back to the buyer."""

    order: Order  # after the payment: failed, or as it was when it had been settled already
    refund: Refund
    releases_credits: bool  # the order still held credits, which go back to the project
    outcome: Literal["refund_due"] = "refund_due"


@dataclass(frozen=True)
class Release:
    """The reservation ended unpaid; its credits go back to the project."""

    order: Order  # expired
    outcome: Literal["released"] = "released"


@dataclass(frozen=True)
class RecordOnly:
    """Nothing changes; the event is recorded so that it is applied once."""

    outcome: Literal["ignored", "unknown_order"]
    order: Order | None


Settlement = Retire | RefundDue | Release | RecordOnly


def settle(order: Order | None, project: Project | None, event: PaymentEvent, now: datetime) -> Settlement:
    """What a verified payment event does to the order it names (and the order's project)."""
    if order is None:
        return RecordOnly("unknown_order", None)
    if event.outcome == "succeeded":
        paid = event.amount or order.amount
        if order.status is OrderStatus.pending_payment and paid == order.amount:
            if project is None:  # never recorded as done: the provider retries while it is mended
                raise LookupError(f"order {order.order_id} names the unknown project {order.project_id}")
            return Retire(_retired(order, project, event, now))
        return _refund(order, event, paid)
    if event.outcome == "expired" and order.status is OrderStatus.pending_payment:
        return Release(order.model_copy(update={"status": OrderStatus.expired}))
    return RecordOnly("ignored", order)


def expiry(order: Order | None) -> Release | None:
    """An unpaid order whose reservation ran out is released; any other order stays as it is."""
    if order is None or order.status is not OrderStatus.pending_payment:
        return None
    return Release(order.model_copy(update={"status": OrderStatus.expired}))


def _retired(order: Order, project: Project, event: PaymentEvent, now: datetime) -> Order:
    labels = [
        serial_label(project.standard.value, project.project_id, project.vintage, r) for r in order.reserved
    ]
    retirement = Retirement(
        serials=order.reserved,
        labels=labels,
        beneficiary=order.beneficiary,
        reason=order.reason,
        retired_at=now,
        payment_event_id=event.event_id,
    )
    return order.model_copy(update={"status": OrderStatus.retired, "retirement": retirement})


def _refund(order: Order, event: PaymentEvent, paid: Money) -> RefundDue:
    if order.status is OrderStatus.expired:
        why = "the reservation had expired before the payment arrived"
    elif order.status is not OrderStatus.pending_payment:
        why = "the order was already settled"
    else:
        why = f"paid {paid.amount} {paid.currency} but the order costs {order.amount.amount} {order.amount.currency}"
    refund = Refund(amount=paid, reason=why, event_id=event.event_id)
    if order.status in (OrderStatus.pending_payment, OrderStatus.expired):
        failed = order.model_copy(update={"status": OrderStatus.failed, "refund": refund})
        return RefundDue(failed, refund, releases_credits=order.status is OrderStatus.pending_payment)
    return RefundDue(order, refund, releases_credits=False)
