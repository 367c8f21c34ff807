"""Retirements: a paid order's credits retired in one transaction with its payout, its registry record
and head, its certificate and its leaderboard entries, after one read of what those depend on."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from carbonneutral.domain.certificates import RegistryRef, new_certificate_id
from carbonneutral.domain.orders import Order, OrderStatus
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import Project
from carbonneutral.domain.ranking import RetirementHint
from carbonneutral.domain.registry import LANES, head_after, record_for
from carbonneutral.domain.settlement import (
    Retire,
)
from carbonneutral.errors import TransactionCancelled
from carbonneutral.store.items import n, s
from carbonneutral.store.ledger.issued import Issued
from carbonneutral.store.ledger.orders import Orders
from carbonneutral.store.ledger.payouts import Payouts
from carbonneutral.store.ledger.refunds import Refunds
from carbonneutral.store.ledger.registry import Lane, Registry
from carbonneutral.store.ledger.table import claim_key, iso, order_key
from carbonneutral.store.scenes import scene_from_item, scene_key


# Given the retired order and its project: (certificate id, signed certificate document).
class Certify(Protocol):
    """Signs what a retirement publishes: its certificate (with its registry record) and the
    project's registry head."""

    def __call__(
        self,
        order: Order,
        project: Project,
        *,
        certificate_id: str,
        registry: RegistryRef | None,
        scene: Any = ...,
    ) -> tuple[str, dict[str, Any]]: ...

    def sign(self, document: dict[str, Any]) -> dict[str, Any]: ...


class Contribute(Protocol):
    """What a retirement adds to the leaderboards and its scene's figures (store.leaderboards)."""

    def contribution_keys(self, order: Order) -> list[dict[str, Any]]: ...

    def hinted_keys(self, hint: RetirementHint, retired_at: datetime) -> list[dict[str, Any]]: ...

    def contributions(
        self, order: Order, found: Mapping[tuple[str, str], dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]: ...


# Retirements of one lane queue for its next position: tries, each on another lane (with the
# ledger's jittered backoff from the third on) before the payment is decided again from fresh reads.
CHAIN_ATTEMPTS = 24
# The lane of the registry each project's retirements take in this process: 0 until one is lost to
# another retirement, then another at random, kept while it wins. A quiet project keeps one chain;
# a busy one spreads over several lanes, each process mostly on a lane of its own.
_LANE_TAKEN: dict[tuple[str, str], int] = {}


@dataclass(frozen=True)
class Prefetched:
    """What was read with the order on its retirement's hint: the keys asked for, the items found."""

    asked: frozenset[tuple[str, str]]
    found: Mapping[tuple[str, str], dict[str, Any]]

    def covers(self, keys: list[dict[str, Any]]) -> bool:
        return all((k["PK"]["S"], k["SK"]["S"]) in self.asked for k in keys)


@dataclass(frozen=True)
class Applied:
    """What applying a payment event did."""

    outcome: str  # retired, refund_due, released, refunded, disputed, duplicate, ignored, unknown_order
    order: Order | None = None


class Retirements(Orders, Payouts, Refunds, Registry, Issued):
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

    def _lane(self, project_id: str) -> int:
        return _LANE_TAKEN.get((self._table, project_id), 0)

    def _read_hinted(
        self,
        order_id: str,
        hint: RetirementHint,
        now: datetime,
        certify: Certify | None,
        contribute: Contribute | None,
    ) -> tuple[Order | None, Prefetched]:
        """The order, with what its retirement would read as the payment's hint names it, in one
        request (a paid order is most often retired next)."""
        keys = [order_key(order_id), *self.head_keys(hint.project_id, self._lane(hint.project_id))]
        if hint.scene_id and certify is not None:
            keys.append(scene_key(hint.scene_id))
        if contribute is not None:
            keys += contribute.hinted_keys(hint, now)
        found = self._batch_get(keys)
        item = found.get((keys[0]["PK"]["S"], keys[0]["SK"]["S"]))
        asked = frozenset((k["PK"]["S"], k["SK"]["S"]) for k in keys)
        return (self.order_of_item(item) if item else None), Prefetched(asked, found)

    def _retire(
        self,
        settlement: Retire,
        order: Order,
        project: Project,
        event: PaymentEvent,
        now: datetime,
        certify: Certify | None,
        contribute: Contribute | None,
        prefetched: Prefetched | None = None,
    ) -> Applied | None:
        """The retirement's transaction. Retirements of one lane of the project's registry take its
        positions one at a time: when only the lane moved meanwhile, the retirement takes another
        lane, reads just its head and makes the record, head and certificate anew (a short loop);
        anything else (None) is decided again from a fresh read of the order."""
        # One read for all the retirement depends on (or none, when it came with the order): the head
        # of the lane it tries first, the order's scene (its certificate names it) and the order's
        # leaderboard entries.
        lane = self._lane(project.project_id)
        keys = {"scene": scene_key(order.scene_id)} if order.scene_id and certify is not None else {}
        boards = contribute.contribution_keys(settlement.order) if contribute is not None else []
        wanted = [*self.head_keys(project.project_id, lane), *keys.values(), *boards]
        # read with the order when the payment's hint named all of it (else the hint was stale or wrong)
        found = prefetched.found if prefetched and prefetched.covers(wanted) else self._batch_get(wanted)
        item = {name: found[pk] for name, k in keys.items() if (pk := (k["PK"]["S"], k["SK"]["S"])) in found}
        scene = scene_from_item(item["scene"]) if "scene" in item else None
        base, retired, seal = self._retirement_items(
            order, settlement.order, project, now, certify, contribute, found, scene
        )
        recorded = self._event_item(event, now, order.order_id)
        position = self.lane_of(project.project_id, lane, found)
        for attempt in range(CHAIN_ATTEMPTS):
            if attempt:  # the lane moved on: another one (any but this), read afresh, kept from now on
                self.forget_lane(project.project_id, lane)
                lane = (lane + 1 + secrets.randbelow(LANES - 1)) % LANES
                _LANE_TAKEN[(self._table, project.project_id)] = lane
                position = self.chain_position(project.project_id, lane)
            try:
                self._transact([recorded, *base, *seal(lane, position)])
                return Applied(settlement.outcome, retired)
            except TransactionCancelled as exc:
                if exc.codes[0] == "ConditionalCheckFailed":
                    return Applied("duplicate", self.order(order.order_id))
                failed = {i for i, code in enumerate(exc.codes) if code not in ("None", "")}
                if not failed or min(failed) < 1 + len(base):  # the order, credits or boards changed
                    return None
                if attempt:  # lost on two lanes or more: the project is busy, wait a little
                    self._backoff(attempt - 1)
        return None

    def _retirement_items(
        self,
        order: Order,
        retired: Order,
        project: Project,
        now: datetime,
        certify: Certify | None,
        contribute: Contribute | None,
        found: Mapping[tuple[str, str], dict[str, Any]] | None = None,
        scene: Any = None,
    ) -> tuple[list[dict[str, Any]], Order, Callable[[int, Lane], list[dict[str, Any]]]]:
        """(the retirement's items, the retired order, `seal`): `seal(lane, Lane)` gives the items
        that depend on where that lane of the project's registry stands: the record chained after the
        lane's last, the lane's new head, and the certificate that names the record. Both exist with
        the retired credits, or neither."""
        retirement = retired.retirement
        assert retirement is not None
        certificate_id = new_certificate_id() if certify is not None else None
        retired = retired.model_copy(update={"certificate_id": certificate_id})
        sealed = retired

        def seal(lane: int, place: Lane) -> list[dict[str, Any]]:
            record = record_for(
                sealed,
                project,
                certificate_id=certificate_id,
                lane=lane,
                position=place.size + 1,
                previous=place.previous,
            )
            head = head_after(record).document()
            signed_head = certify.sign(head) if certify is not None else head
            chain = self._registry_items(record, signed_head, place.at_project)
            if certify is None or certificate_id is None:
                return chain
            _, signed = certify(
                sealed, project, certificate_id=certificate_id, registry=record.ref(), scene=scene
            )
            certificate = {
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
            return [*chain, certificate]

        items = [
            self._order_update(retired, OrderStatus.pending_payment),
            *self._payment_ref_items(order.provider, order.order_id, retirement.payment_ref),
            self._move_counter(order, "reserved_kg", "retired_kg"),
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
            items.extend(contribute.contributions(retired, found))
        return items, retired, seal

    def _payment_ref_items(
        self, provider: str, order_id: str, payment_ref: str | None
    ) -> list[dict[str, Any]]:
        """The way back from the provider's payment to the order, for its refund and dispute events."""
        return [self._payment_ref_put(provider, payment_ref, order_id)] if payment_ref else []
