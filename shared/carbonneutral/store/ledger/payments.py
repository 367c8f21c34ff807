"""Payments: each verified provider event applied exactly once, as the settlement decides
(domain/settlement.py), in one transaction with the order, the credits, the developer's payout,
the certificate and the leaderboards."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from carbonneutral.domain.certificates import RegistryRef, new_certificate_id
from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import Project
from carbonneutral.domain.registry import head_after, record_for
from carbonneutral.domain.settlement import (
    Disputed,
    RecordOnly,
    RefundDue,
    RefundSettled,
    Release,
    Retire,
    Settlement,
    cancellation,
    settle,
)
from carbonneutral.errors import Busy, NotFound, TransactionCancelled
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.issued import Issued
from carbonneutral.store.ledger.orders import Orders
from carbonneutral.store.ledger.payouts import Payouts
from carbonneutral.store.ledger.refunds import Refunds
from carbonneutral.store.ledger.registry import Registry
from carbonneutral.store.ledger.table import claim_key, iso


# Given the retired order and its project: (certificate id, signed certificate document).
class Certify(Protocol):
    """Signs what a retirement publishes: its certificate (with its registry record) and the
    project's registry head."""

    def __call__(
        self, order: Order, project: Project, *, certificate_id: str, registry: RegistryRef | None
    ) -> tuple[str, dict[str, Any]]: ...

    def sign(self, document: dict[str, Any]) -> dict[str, Any]: ...


Contribute = Callable[[Order], list[dict[str, Any]]]


@dataclass(frozen=True)
class Applied:
    """What applying a payment event did."""

    outcome: str  # retired, refund_due, released, refunded, disputed, duplicate, ignored, unknown_order
    order: Order | None = None


class Payments(Orders, Payouts, Refunds, Registry, Issued):
    def apply_payment(
        self,
        event: PaymentEvent,
        now: datetime,
        certify: Certify | None = None,
        contribute: Contribute | None = None,
    ) -> Applied:
        """Applies a verified payment event exactly once, whatever order events arrive in."""
        order_id = event.order_id
        if order_id is None and event.payment_ref:  # a refund or a dispute names only the payment
            order_id = self.order_of_payment(event.provider, event.payment_ref)
        for attempt in range(self._max_attempts):
            order = self.order(order_id) if order_id else None
            found = self.project(order.project_id) if order else None
            refunds = self.refunds_of(order.order_id) if order and event.outcome == "refunded" else None
            settlement = settle(order, found[0] if found else None, event, now, refunds)
            if isinstance(settlement, RecordOnly):
                recorded = self._record_event_only(event, now)
                return Applied(settlement.outcome if recorded else "duplicate", settlement.order)
            assert order is not None and found is not None
            items, updated = self._settlement_items(
                settlement, order, found[0], event, now, certify, contribute
            )
            try:
                self._transact(items)
                return Applied(settlement.outcome, updated)
            except TransactionCancelled as exc:
                if exc.codes[0] == "ConditionalCheckFailed":
                    return Applied("duplicate", self.order(order.order_id))
                self._backoff(attempt)  # the order changed meanwhile (e.g. it just expired): look again
        raise Busy("could not apply the payment event; the provider will retry")

    def _settlement_items(
        self,
        settlement: Settlement,
        order: Order,
        project: Project,
        event: PaymentEvent,
        now: datetime,
        certify: Certify | None,
        contribute: Contribute | None,
    ) -> tuple[list[dict[str, Any]], Order]:
        """The one transaction that carries out a settlement, each item conditioned on what it changes."""
        recorded = self._event_item(event, now, order.order_id)
        if isinstance(settlement, Retire):
            items, retired = self._retirement_items(
                order, settlement.order, project, now, certify, contribute
            )
            return [recorded, *items], retired
        if isinstance(settlement, RefundDue):
            return [recorded, *self._refund_items(order, settlement, event, now)], settlement.order
        if isinstance(settlement, RefundSettled):
            paid = (self._refund_paid if settlement.was_due else self._refund_put)(
                order.order_id, settlement.refund, now
            )
            return [recorded, paid, self._order_update(settlement.order, order.status)], settlement.order
        if isinstance(settlement, Disputed):
            return [recorded, self._order_update(settlement.order, order.status)], settlement.order
        assert isinstance(settlement, Release)
        return [recorded, *self._release_items(order, settlement.order)], settlement.order

    def cancel(self, order: Order) -> Order:
        """The buyer cancels an unpaid order: its credits, claim and hold go back in one transaction.
        Cancelling again answers the cancelled order; a paid or expired one is a 409."""
        for attempt in range(self._max_attempts):
            release = cancellation(order)
            if release is None:
                return order
            try:
                self._transact(self._release_items(order, release.order))
                return release.order
            except TransactionCancelled:
                self._backoff(attempt)  # paid, expired or cancelled meanwhile: decide again
                current = self.order(order.order_id)
                if current is None:  # pragma: no cover - orders are never deleted
                    raise NotFound(f"no order {order.order_id!r}") from None
                order = current
        raise Busy("could not cancel the order; try again in a moment")

    def _event_item(self, event: PaymentEvent, now: datetime, order_id: str | None) -> dict[str, Any]:
        item = {
            "PK": s(f"PAYMENT#{event.provider}#{event.event_id}"),
            "SK": s("EVENT"),
            "type": s("payment_event"),
            "outcome": s(event.outcome),
            "received_at": s(iso(now)),
        }
        if order_id:
            item["order_id"] = s(order_id)
        return {
            "Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        }

    def _record_event_only(self, event: PaymentEvent, now: datetime) -> bool:
        try:
            self._transact([self._event_item(event, now, event.order_id)])
            return True
        except TransactionCancelled:
            return False

    def _retirement_items(
        self,
        order: Order,
        retired: Order,
        project: Project,
        now: datetime,
        certify: Certify | None,
        contribute: Contribute | None,
    ) -> tuple[list[dict[str, Any]], Order]:
        retirement = retired.retirement
        assert retirement is not None
        # The public registry's record, chained after the project's last one; the certificate
        # names it, and both are written in the retirement's own transaction, with the new head.
        count, previous = self.chain_position(project.project_id)
        certificate_id = new_certificate_id() if certify is not None else None
        record = record_for(
            retired, project, certificate_id=certificate_id, position=count + 1, previous=previous
        )
        head = head_after(record).document()
        registry_items = self._registry_items(record, certify.sign(head) if certify is not None else head)
        certificate_item = None
        if certify is not None and certificate_id is not None:
            # The certificate is issued in the retirement's own transaction: both exist, or neither.
            certificate_id, signed = certify(
                retired, project, certificate_id=certificate_id, registry=record.ref()
            )
            retired = retired.model_copy(update={"certificate_id": certificate_id})
            certificate_item = {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "PK": s(f"CERT#{certificate_id}"),
                        "SK": s("CERT"),
                        "type": s("certificate"),
                        "v": n(1),
                        "order_id": s(order.order_id),
                        "project_id": s(order.project_id),
                        "body": s(json.dumps(signed, ensure_ascii=False, separators=(",", ":"))),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        items = [
            self._order_update(retired, OrderStatus.pending_payment),
            *self._payment_ref_items(order.provider, order.order_id, retirement.payment_ref),
            self._move_counter(order.project_id, "reserved_kg", "retired_kg", order.quantity_kg),
            *self._payout_items(order, now),
            *self._move_reserved(
                order,
                "RETIRED",
                order_id=order.order_id,
                beneficiary=order.beneficiary.name,
                reason=retirement.reason,
                retired_at=iso(now),
            ),
        ]
        if certificate_item:
            items.append(certificate_item)
        items += registry_items
        items += self._hold_release(order)
        if order.footprint_id:  # the footprint's claim now points at what was retired for it
            claim: dict[str, Any] = {
                "Update": {
                    "TableName": self._table,
                    "Key": claim_key(order.footprint_id),
                    "UpdateExpression": "SET #status = :retired, order_id = :order, #type = :type"
                    + (", certificate_id = :cert" if retired.certificate_id else ""),
                    "ConditionExpression": "attribute_not_exists(PK) OR order_id = :order",
                    "ExpressionAttributeNames": {"#status": "status", "#type": "type"},
                    "ExpressionAttributeValues": {
                        ":retired": s(OrderStatus.retired.value),
                        ":order": s(order.order_id),
                        ":type": s("footprint_claim"),
                        **({":cert": s(retired.certificate_id)} if retired.certificate_id else {}),
                    },
                }
            }
            items.append(claim)
        if contribute is not None:  # leaderboards and the scene's rating move with the retirement
            items.extend(contribute(retired))
        return items, retired

    def _refund_items(
        self, order: Order, settlement: RefundDue, event: PaymentEvent, now: datetime
    ) -> list[dict[str, Any]]:
        items = [
            self._refund_put(order.order_id, settlement.refund, now),
            *self._payment_ref_items(event.provider, order.order_id, event.payment_ref),
        ]
        if settlement.releases_credits:
            items.extend(self._release_items(order, settlement.order))
        elif settlement.order != order:  # it fails (its credits went when it expired), or notes the refund
            items.append(self._order_update(settlement.order, order.status))
        return items

    def _payment_ref_items(
        self, provider: str, order_id: str, payment_ref: str | None
    ) -> list[dict[str, Any]]:
        """The way back from the provider's payment to the order, for its refund and dispute events."""
        return [self._payment_ref_put(provider, payment_ref, order_id)] if payment_ref else []
