"""Settling an order: what a verified payment event, or the end of a reservation, does to it.

Pure decisions, no I/O. The store turns each one into a single conditional transaction, and
applies it again from a fresh read when the order changed meanwhile.

- a payment that covers a pending order retires its credits in the beneficiary's name, unless it
  was found only after its notice's grace ran out (`unnotified`): then the credits go back and the
  money is owed back, in the same transaction;
- any other payment is owed back, never kept: the reservation had expired, the buyer had cancelled,
  the order was already settled, the amount or the provider is not the order's; an order that still
  held credits fails and they go back;
- a provider's "expired" for a pending order, or its buyer's cancellation, releases its credits;
- a refund reaching the buyer settles the refund due for that payment (or records one made at the
  provider); a failed or cancelled order whose money is back is refunded. Retirement is final:
  a retired order stays retired, whatever is refunded or disputed;
- a dispute is recorded on the order;
- everything else is only recorded, so each provider event is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Dispute, Order, OrderStatus, Refund, Retirement
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import Project, serial_label
from carbonneutral.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Retire:
    """The payment covers the order: its reserved credits are retired."""

    order: Order  # as retired, with its retirement
    outcome: Literal["retired"] = "retired"


@dataclass(frozen=True)
class RefundDue:
    """The payment cannot buy this order's credits: the money is due back to the buyer."""

    order: Order  # after the payment: failed, or with the refund noted when it was settled already
    refund: Refund
    releases_credits: bool  # the order still held credits, which go back to the project
    outcome: Literal["refund_due"] = "refund_due"


@dataclass(frozen=True)
class RefundSettled:
    """Money went back to the buyer: a refund due is paid, or one made at the provider is recorded."""

    order: Order  # refunded when its own refund is back; otherwise as it was, the refund noted
    refund: Refund  # status refunded
    was_due: bool  # False: a refund nobody here asked for (the provider's dashboard)
    outcome: Literal["refunded"] = "refunded"


@dataclass(frozen=True)
class Disputed:
    """The buyer's bank disputes the payment, or the dispute closed."""

    order: Order
    outcome: Literal["disputed"] = "disputed"


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


Settlement = Retire | RefundDue | Release | RefundSettled | Disputed | RecordOnly


def settle(
    order: Order | None,
    project: Project | None,
    event: PaymentEvent,
    now: datetime,
    refunds: list[Refund] | None = None,
    *,
    unnotified: bool = False,
    owed_only: bool = False,
) -> Settlement:
    """What a verified payment event does to the order it names (and the order's project).

    `refunds` are the order's refunds so far, which a "refunded" event is matched against.
    `unnotified`: the sweeper found this payment at the provider after the reservation's end and
    the notice's grace (no notification came): it can no longer buy the order's credits.
    `owed_only`: one of several payments of the order found at the provider, applied before the one
    that settles the order: owed back, and the order left as it is.
    """
    if order is None:
        return RecordOnly("unknown_order", None)
    if event.outcome == "succeeded":
        if event.amount is None:  # never taken as payment in full
            raise InvalidInput("a payment event must state its amount and currency", field="amount")
        if owed_only:
            why = "the order was paid more than once: this payment is owed back"
            return RefundDue(order, _refund_of(event, event.amount, why), releases_credits=False)
        if (
            order.status is OrderStatus.pending_payment
            and not unnotified
            and not event.returned
            and event.amount == order.amount
            and event.provider == order.provider
        ):
            if project is None:  # never recorded as done: the provider retries while it is mended
                raise LookupError(f"order {order.order_id} names the unknown project {order.project_id}")
            return Retire(_retired(order, project, event, now))
        return _refund(order, event, event.amount, unnotified=unnotified)
    if event.outcome == "expired" and order.status is OrderStatus.pending_payment:
        if event.provider != order.provider:
            return RecordOnly("ignored", order)
        return Release(order.model_copy(update={"status": OrderStatus.expired}))
    if event.outcome == "refunded":
        return _refunded(order, event, now, refunds or [])
    if event.outcome in ("disputed", "dispute_won", "dispute_lost"):
        status = {"disputed": "open", "dispute_won": "won", "dispute_lost": "lost"}[event.outcome]
        dispute = Dispute(status=status, event_id=event.event_id, amount=event.amount)
        return Disputed(order.model_copy(update={"dispute": dispute}))
    return RecordOnly("ignored", order)


def expiry(order: Order | None) -> Release | None:
    """An unpaid order whose reservation ran out is released; any other order stays as it is."""
    if order is None or order.status is not OrderStatus.pending_payment:
        return None
    return Release(order.model_copy(update={"status": OrderStatus.expired}))


def cancellation(order: Order) -> Release | None:
    """The buyer cancels an unpaid order: its credits go back at once. None: cancelled already.
    Any other order cannot be cancelled: a paid order's credits are retired, and that is final."""
    if order.status is OrderStatus.cancelled:
        return None
    if order.status is not OrderStatus.pending_payment:
        final = " (retirement is final)" if order.status is OrderStatus.retired else ""
        raise Conflict(f"order {order.order_id} is {order.status.value}, not awaiting payment{final}")
    return Release(order.model_copy(update={"status": OrderStatus.cancelled}))


def _refunded(order: Order, event: PaymentEvent, now: datetime, refunds: list[Refund]) -> Settlement:
    """`event.amount` is what the provider has refunded of that payment in all (Stripe's
    `amount_refunded`, Alipay's `refund_fee`), or this one refund alone when `event.refund_total`
    is False (WeChat Pay's `amount.refund`): the part not yet recorded here settles the refund due
    of that amount, or is a refund made at the provider."""
    if event.amount is None:
        raise InvalidInput("a refund event must state its amount and currency", field="amount")
    same = [r for r in refunds if r.provider == event.provider and r.payment_ref == event.payment_ref]
    if event.refund_ref and any(r.refund_ref == event.refund_ref for r in same):
        return RecordOnly("ignored", order)
    known = (
        sum((r.amount.amount for r in same if r.status == "refunded"), start=0) if event.refund_total else 0
    )
    new = Money(amount=event.amount.amount - known, currency=event.amount.currency)
    if new.amount <= 0:
        return RecordOnly("ignored", order)  # told again of a refund recorded already
    update = {"status": "refunded", "refund_ref": event.refund_ref or event.event_id, "refunded_at": now}
    due = next((r for r in same if r.status == "due" and r.amount == new), None)
    if due is not None:
        paid = due.model_copy(update=update)
    else:
        paid = Refund(
            amount=new,
            reason="refunded at the payment provider",
            event_id=event.event_id,
            provider=event.provider,
            payment_ref=event.payment_ref,
            **update,
        )
    changes: dict[str, object] = {}
    if order.refund is not None and order.refund.event_id == paid.event_id:
        changes["refund"] = paid
        if order.status in (OrderStatus.failed, OrderStatus.cancelled):
            changes["status"] = OrderStatus.refunded
    return RefundSettled(order.model_copy(update=changes), paid, was_due=due is not None)


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
        payment_ref=event.payment_ref,
    )
    return order.model_copy(update={"status": OrderStatus.retired, "retirement": retirement})


def _refund_of(event: PaymentEvent, paid: Money, why: str) -> Refund:
    return Refund(
        amount=paid,
        reason=why,
        event_id=event.event_id,
        provider=event.provider,
        payment_ref=event.payment_ref,
    )


def _refund(order: Order, event: PaymentEvent, paid: Money, *, unnotified: bool) -> RefundDue:
    if event.provider != order.provider:
        why = f"paid through {event.provider}, but the order is paid through {order.provider}"
    elif order.status is OrderStatus.expired:
        why = "the reservation had expired before the payment arrived"
    elif order.status is OrderStatus.cancelled:
        why = "the order had been cancelled before the payment arrived"
    elif order.status is not OrderStatus.pending_payment:
        why = "the order was already settled"
    elif event.returned:
        why = "the provider had refunded the payment before it was applied here"
    elif unnotified:
        why = "the provider never notified the payment; it was found after the reservation had ended"
    else:
        why = f"paid {paid.amount} {paid.currency} but the order costs {order.amount.amount} {order.amount.currency}"
    refund = _refund_of(event, paid, why)
    if event.provider != order.provider:  # the order itself may still be paid as it should be
        return RefundDue(order, refund, releases_credits=False)
    if order.status in (OrderStatus.pending_payment, OrderStatus.expired):
        failed = order.model_copy(update={"status": OrderStatus.failed, "refund": refund})
        return RefundDue(failed, refund, releases_credits=order.status is OrderStatus.pending_payment)
    # cancelled, failed, retired or refunded: the order stays as it is and notes the latest refund
    return RefundDue(order.model_copy(update={"refund": refund}), refund, releases_credits=False)
