"""Payments: each verified provider event applied exactly once, as the settlement decides
(domain/settlement.py), in one transaction with the order, the credits, the developer's payout,
the certificate and the leaderboards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carbonneutral.domain.orders import Order
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import Project
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.domain.settlement import (
    Disputed,
    RecordOnly,
    RefundDue,
    RefundSettled,
    Release,
    Retire,
    Settlement,
    settle,
)
from carbonneutral.errors import Busy, TransactionCancelled
from carbonneutral.store.ledger.retirements import Applied, Certify, Contribute, Retirements


class Payments(Retirements):
    def apply_payment(
        self,
        event: PaymentEvent,
        now: datetime,
        certify: Certify | None = None,
        contribute: Contribute | None = None,
        *,
        unnotified: bool = False,
        owed_only: bool = False,
    ) -> Applied:
        """Applies a verified payment event exactly once, whatever order events arrive in.
        `unnotified`, `owed_only`: how a payment found at the provider is settled (domain/settlement.py)."""
        order_id = event.order_id
        if order_id is None and event.payment_ref:  # a refund or a dispute names only the payment
            order_id = self.order_of_payment(event.provider, event.payment_ref)
        # a payment notified in time is most often retired: the hint lets it read all that in one request
        retiring = event.outcome == "succeeded" and order_id and not (unnotified or owed_only)
        hint = RetirementHint.decode(event.hint) if retiring else None
        for attempt in range(self._max_attempts):
            prefetched = None
            if hint and attempt == 0:  # the order with what retiring it reads, in one request
                assert order_id is not None
                order, prefetched = self._read_hinted(order_id, hint, now, certify, contribute)
            else:
                order = self.order(order_id) if order_id else None
            # Settling needs the project's description, not its counters (the transaction's conditions
            # guard those): kept a minute, so a retirement does not read it every time.
            found = self._project_seen(order.project_id, fresh=attempt > 0) if order else None
            refunds = self.refunds_of(order.order_id) if order and event.outcome == "refunded" else None
            settlement = settle(
                order,
                found[0] if found else None,
                event,
                now,
                refunds,
                unnotified=unnotified,
                owed_only=owed_only,
            )
            if isinstance(settlement, RecordOnly):
                recorded = self._record_event_only(event, now)
                return Applied(settlement.outcome if recorded else "duplicate", settlement.order)
            assert order is not None and found is not None
            if isinstance(settlement, Retire):
                applied = self._retire(
                    settlement, order, found[0], event, now, certify, contribute, prefetched
                )
                if applied is not None:
                    return applied
                self._backoff(attempt)  # the order changed meanwhile (e.g. it just expired): look again
                continue
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
