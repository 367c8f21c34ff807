"""The credit ledger in DynamoDB: every change of credits is one conditional transaction.

Items (single table):
  PROJECT#{id} / PROJECT                 metadata and counters issued/available/reserved/retired (kg)
  PROJECT#{id} / AVAILABLE#{first}       a block of serials free to reserve
  PROJECT#{id} / RESERVED#{first}        a block held for one order
  PROJECT#{id} / RETIRED#{first}         a block retired in a beneficiary's name (never changes again)
  ORDER#{id} / ORDER                     the order; GSI1 lists pending reservations by expiry (sharded)
  IDEMPOTENCY#{sha256(key)} / IDEMPOTENCY  written in the same transaction as the order it guards
  PAYMENT#{provider}#{event_id} / EVENT  a provider event, applied once
  DEVELOPER#{id} / PAYOUT, ENTRY#…       money owed to the company that cut the emissions
  ORDER#{id} / REFUND#{event}            a payment that could not buy credits, due back to the buyer

A block's state is part of its sort key, so finding available credits reads only available
blocks, and a state change is a Delete plus a Put that either both happen or neither.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Order, OrderStatus, Refund, Retirement
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import (
    Inventory,
    Project,
    SerialRange,
    overlapping,
    serial_label,
    take,
    take_spread,
)
from carbonneutral.errors import Conflict, DomainError, InvalidInput
from carbonneutral.observability import logger
from carbonneutral.store import aws
from carbonneutral.store.items import n, s

RESERVATION_SHARDS = 8
# 2 items per block, in a transaction of at most 100 items that also holds the order, event,
# counters, payout, certificate and up to 17 leaderboard and rating updates.
MAX_BLOCKS_PER_ORDER = 35
IDEMPOTENCY_TTL = timedelta(hours=24)
CLIENT_WINDOW_S = 30 * 60
_STATES = ("AVAILABLE", "RESERVED", "RETIRED")
# Given the retired order and its project: (certificate id, signed certificate document).
Certify = Callable[[Order, Project], tuple[str, dict[str, Any]]]
_rng = random.Random()  # noqa: S311 - spreads load, not a secret


class InsufficientCredits(Conflict):
    slug = "insufficient-credits"
    title = "Not enough credits available"


class Busy(Conflict):
    slug = "busy"
    title = "Too many concurrent changes; try again"


class TooManyReservations(DomainError):
    status = 429
    slug = "too-many-reservations"
    title = "Too many credits reserved by this client"


class IdempotencyKeyReused(InvalidInput):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request"


class _Cancelled(Exception):
    def __init__(self, codes: list[str]) -> None:
        super().__init__(codes)
        self.codes = codes


@dataclass(frozen=True)
class Breach:
    project_id: str
    problem: str


@dataclass(frozen=True)
class Applied:
    """What applying a payment event did."""

    outcome: str  # retired, refund_due, released, duplicate, ignored, unknown_order
    order: Order | None = None


def _project_key(project_id: str) -> dict[str, Any]:
    return {"PK": s(f"PROJECT#{project_id}"), "SK": s("PROJECT")}


def _block_key(project_id: str, state: str, first: int) -> dict[str, Any]:
    return {"PK": s(f"PROJECT#{project_id}"), "SK": s(f"{state}#{first:012d}")}


def _order_key(order_id: str) -> dict[str, Any]:
    return {"PK": s(f"ORDER#{order_id}"), "SK": s("ORDER")}


def _idempotency_key(key: str) -> dict[str, Any]:
    return {"PK": s(f"IDEMPOTENCY#{hashlib.sha256(key.encode()).hexdigest()}"), "SK": s("IDEMPOTENCY")}


def _shard(order_id: str) -> str:
    return f"RESERVATIONS#{zlib.crc32(order_id.encode()) % RESERVATION_SHARDS}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class CreditLedger:
    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        *,
        max_attempts: int = 12,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table, self._client = table_name, client
        self._max_attempts, self._sleep = max_attempts, sleep

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    # ---- reads ----

    def project(self, project_id: str) -> tuple[Project, Inventory] | None:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=_project_key(project_id),
            ConsistentRead=True,
        ).get("Item")
        return (Project.model_validate_json(item["body"]["S"]), _inventory(item)) if item else None

    def projects(self) -> list[tuple[Project, Inventory]]:
        found = []
        for item in self._query(
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": s("PROJECTS")},
        ):
            found.append((Project.model_validate_json(item["body"]["S"]), _inventory(item)))
        return found

    def order(self, order_id: str) -> Order | None:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=_order_key(order_id),
            ConsistentRead=True,
        ).get("Item")
        return Order.model_validate_json(item["body"]["S"]) if item else None

    def blocks(self, project_id: str, state: str, *, limit: int | None = None) -> list[SerialRange]:
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :state)",
            "ExpressionAttributeValues": {":pk": s(f"PROJECT#{project_id}"), ":state": s(f"{state}#")},
            "ConsistentRead": True,
        }
        blocks = []
        for item in self._query(**params, page_size=limit):
            blocks.append(SerialRange(first=int(item["first"]["N"]), last=int(item["last"]["N"])))
            if limit and len(blocks) >= limit:
                break
        return blocks

    def _query(self, *, page_size: int | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        start = None
        while True:
            page = {**params, "TableName": self._table}
            if page_size:
                page["Limit"] = page_size
            if start:
                page["ExclusiveStartKey"] = start
            answer = aws.call("ledger", self.client.query, **page)
            yield from answer.get("Items", [])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return

    # ---- issuance (admin) ----

    def put_project(self, project: Project) -> None:
        """Creates or updates a project's metadata; counters start at zero and are never overwritten."""
        aws.call(
            "ledger",
            self.client.update_item,
            TableName=self._table,
            Key=_project_key(project.project_id),
            UpdateExpression=(
                "SET #body = :body, #type = :type, GSI1PK = :g1, GSI1SK = :id, "
                "issued_kg = if_not_exists(issued_kg, :zero), available_kg = if_not_exists(available_kg, :zero), "
                "reserved_kg = if_not_exists(reserved_kg, :zero), retired_kg = if_not_exists(retired_kg, :zero), "
                "issuance_version = if_not_exists(issuance_version, :zero)"
            ),
            ExpressionAttributeNames={"#body": "body", "#type": "type"},
            ExpressionAttributeValues={
                ":body": s(project.model_dump_json()),
                ":type": s("project"),
                ":g1": s("PROJECTS"),
                ":id": s(project.project_id),
                ":zero": n(0),
            },
        )

    def issue(self, project_id: str, new_blocks: list[SerialRange]) -> int:
        """Adds issued blocks, refusing any serial that overlaps one already issued."""
        if not new_blocks:
            raise InvalidInput("no blocks to issue", field="blocks")
        if len(new_blocks) > 90:
            raise InvalidInput("issue at most 90 blocks at a time", field="blocks")
        found = self.project(project_id)
        if found is None:
            raise InvalidInput(f"no project {project_id!r}", field="project_id")
        existing = [b for state in _STATES for b in self.blocks(project_id, state)]
        clashes = overlapping(new_blocks, existing)
        if clashes:
            a, b = clashes[0]
            raise Conflict(
                f"serials {a.first}-{a.last} overlap issued serials {b.first}-{b.last}", field="blocks"
            )
        total = sum(b.size for b in new_blocks)
        version = self._issuance_version(project_id)
        items = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _project_key(project_id),
                    "UpdateExpression": "ADD issued_kg :q, available_kg :q, issuance_version :one",
                    "ConditionExpression": "issuance_version = :version",
                    "ExpressionAttributeValues": {":q": n(total), ":one": n(1), ":version": n(version)},
                }
            },
            *(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_block_key(project_id, "AVAILABLE", b.first),
                            "type": s("credit_block"),
                            "first": n(b.first),
                            "last": n(b.last),
                        },
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
                for b in new_blocks
            ),
        ]
        try:
            self._transact(items)
        except _Cancelled as exc:
            raise Conflict("another issuance changed the project meanwhile; run it again") from exc
        return total

    def _issuance_version(self, project_id: str) -> int:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=_project_key(project_id),
            ConsistentRead=True,
            ProjectionExpression="issuance_version",
        )["Item"]
        return int(item.get("issuance_version", {"N": "0"})["N"])

    # ---- reservation ----

    def find_idempotent(self, key: str) -> tuple[str, str] | None:
        """(fingerprint, order_id) of an earlier request with this key, if any."""
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key=_idempotency_key(key),
            ConsistentRead=True,
        ).get("Item")
        return (item["fingerprint"]["S"], item["order_id"]["S"]) if item else None

    def reserve(
        self,
        order: Order,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
        client: str | None = None,
        client_cap_kg: int = 0,
    ) -> Order:
        """Reserves the order's credits, lowest serials first, and records the order and its key.

        Raises InsufficientCredits, Busy after repeated conflicts, or IdempotencyRace when another
        request with the same key won.
        """
        for attempt in range(self._max_attempts):
            found = self.project(order.project_id)
            if found is None:
                raise InvalidInput(f"no project {order.project_id!r}", field="project_id")
            inventory = found[1]
            if inventory.available_kg < order.quantity_kg:
                raise InsufficientCredits(
                    f"{order.project_id} has {inventory.available_kg} kg available; the order needs {order.quantity_kg} kg"
                )
            available = self.blocks(order.project_id, "AVAILABLE", limit=MAX_BLOCKS_PER_ORDER)
            # Lowest serials first; once buyers collide, spread out over the available blocks.
            picked = (
                take(available, order.quantity_kg)
                if attempt == 0
                else take_spread(available, order.quantity_kg, _rng)
            )
            if not picked:
                if len(available) >= MAX_BLOCKS_PER_ORDER:
                    raise Conflict(
                        "the available credits are too fragmented for one order; order less",
                        field="quantity_kg",
                    )
                self._backoff(attempt)  # the counters were read mid-change: look again
                continue
            reserved = order.model_copy(update={"reserved": [part for _, part in picked]})
            try:
                items = self._reservation_items(reserved, picked, idempotency_key, fingerprint, now)
                capped = bool(client) and client_cap_kg > 0
                if capped:
                    items.append(self._client_window(str(client), order.quantity_kg, now, client_cap_kg))
                self._transact(items)
                return reserved
            except _Cancelled as exc:
                if exc.codes[0] == "ConditionalCheckFailed":
                    raise IdempotencyRace from exc
                if capped and exc.codes[-1] == "ConditionalCheckFailed":
                    raise TooManyReservations(
                        f"this client reserved {client_cap_kg} kg or more in the last half hour; "
                        "pay or let those orders expire first"
                    ) from exc
                self._backoff(attempt)
        raise Busy("the project's credits are in high demand; try again in a moment")

    def _reservation_items(
        self,
        order: Order,
        picked: list[tuple[SerialRange, SerialRange]],
        key: str,
        fingerprint: str,
        now: datetime,
    ) -> list[dict[str, Any]]:
        q = order.quantity_kg
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **_idempotency_key(key),
                        "type": s("idempotency"),
                        "fingerprint": s(fingerprint),
                        "order_id": s(order.order_id),
                        "expires_at": n(int((now + IDEMPOTENCY_TTL).timestamp())),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._order_item(order),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._move_counter(order.project_id, "available_kg", "reserved_kg", q),
        ]
        for block, part in picked:
            unchanged = {
                "ConditionExpression": "#last = :last",
                "ExpressionAttributeNames": {"#last": "last"},
            }
            block_key = _block_key(order.project_id, "AVAILABLE", block.first)
            if part.first == block.first:
                items.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": block_key,
                            **unchanged,
                            "ExpressionAttributeValues": {":last": n(block.last)},
                        }
                    }
                )
            else:  # the serials before the part stay available under the block's own key
                items.append(
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": block_key,
                            **unchanged,
                            "UpdateExpression": "SET #last = :left",
                            "ExpressionAttributeValues": {":last": n(block.last), ":left": n(part.first - 1)},
                        }
                    }
                )
            items.append(self._put_block(order.project_id, "RESERVED", part, order_id=order.order_id))
            if part.last < block.last:
                rest = SerialRange(first=part.last + 1, last=block.last)
                items.append(self._put_block(order.project_id, "AVAILABLE", rest))
        return items

    def _client_window(self, client: str, q: int, now: datetime, cap_kg: int) -> dict[str, Any]:
        """Counts what one client reserves per half hour, so a flood of unpaid orders cannot
        starve a project. The first order of a window may be any size (an organizer's event)."""
        window = int(now.timestamp()) // CLIENT_WINDOW_S
        digest = hashlib.sha256(client.encode()).hexdigest()[:32]
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"PK": s(f"CLIENT#{digest}#{window}"), "SK": s("RESERVATIONS")},
                "UpdateExpression": "ADD reserved_kg :q SET expires_at = :expires, #type = :type",
                "ConditionExpression": "attribute_not_exists(reserved_kg) OR reserved_kg <= :room",
                "ExpressionAttributeNames": {"#type": "type"},
                "ExpressionAttributeValues": {
                    ":q": n(q),
                    ":room": n(cap_kg - q),
                    ":expires": n((window + 2) * CLIENT_WINDOW_S),
                    ":type": s("client_window"),
                },
            }
        }

    def _move_counter(self, project_id: str, source: str, target: str, q: int) -> dict[str, Any]:
        """Moves q kg between two of a project's counters, never below zero."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": _project_key(project_id),
                "UpdateExpression": f"ADD {source} :minus, {target} :q",
                "ConditionExpression": f"{source} >= :q",
                "ExpressionAttributeValues": {":q": n(q), ":minus": n(-q)},
            }
        }

    def _move_reserved(self, order: Order, state: str, **attrs: str) -> list[dict[str, Any]]:
        """The order's reserved blocks become `state`, provided they are still held for this order."""
        items: list[dict[str, Any]] = []
        for serials in order.reserved:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _block_key(order.project_id, "RESERVED", serials.first),
                        "ConditionExpression": "order_id = :order",
                        "ExpressionAttributeValues": {":order": s(order.order_id)},
                    }
                }
            )
            items.append(self._put_block(order.project_id, state, serials, **attrs))
        return items

    def _put_block(self, project_id: str, state: str, serials: SerialRange, **attrs: str) -> dict[str, Any]:
        item = {
            **_block_key(project_id, state, serials.first),
            "type": s("credit_block"),
            "first": n(serials.first),
            "last": n(serials.last),
            **{k: s(v) for k, v in attrs.items()},
        }
        return {
            "Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        }

    def _order_item(self, order: Order) -> dict[str, Any]:
        item = {
            **_order_key(order.order_id),
            "type": s("order"),
            "v": n(1),
            "status": s(order.status.value),
            "project_id": s(order.project_id),
            "body": s(order.model_dump_json()),
        }
        if order.status is OrderStatus.pending_payment:
            item["GSI1PK"] = s(_shard(order.order_id))
            item["GSI1SK"] = s(f"{_iso(order.reserved_until)}#{order.order_id}")
        return item

    def _order_update(self, order: Order, expected: OrderStatus) -> dict[str, Any]:
        """Replaces the order, provided nobody changed its status meanwhile."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": self._order_item(order),
                "ConditionExpression": "#status = :expected",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":expected": s(expected.value)},
            }
        }

    def set_checkout_reference(self, order: Order) -> None:
        self._transact([self._order_update(order, OrderStatus.pending_payment)])

    # ---- payment, retirement, release ----

    def apply_payment(
        self,
        event: PaymentEvent,
        now: datetime,
        reason_for: Callable[[Order], str],
        certify: Certify | None = None,
        contribute: Callable[[Order], list[dict[str, Any]]] | None = None,
    ) -> Applied:
        """Applies a verified payment event exactly once, whatever order events arrive in."""
        for attempt in range(self._max_attempts):
            order = self.order(event.order_id) if event.order_id else None
            if order is None:
                return (
                    Applied("unknown_order") if self._record_event_only(event, now) else Applied("duplicate")
                )
            if event.outcome == "succeeded":
                paid = event.amount or order.amount
                if order.status is OrderStatus.pending_payment and paid == order.amount:
                    items, updated = self._retirement_items(
                        order, event, now, reason_for, certify, contribute
                    )
                    outcome = "retired"
                else:
                    why = (
                        "the reservation had expired before the payment arrived"
                        if order.status is OrderStatus.expired
                        else "the order was already settled"
                        if order.status is not OrderStatus.pending_payment
                        else f"paid {paid.amount} {paid.currency} but the order costs {order.amount.amount} {order.amount.currency}"
                    )
                    items, updated = self._refund_items(order, event, paid, why, now)
                    outcome = "refund_due"
            elif event.outcome == "expired" and order.status is OrderStatus.pending_payment:
                updated = order.model_copy(update={"status": OrderStatus.expired})
                items = [self._event_item(event, now, order.order_id), *self._release_items(order, updated)]
                outcome = "released"
            else:
                return (
                    Applied("ignored", order)
                    if self._record_event_only(event, now)
                    else Applied("duplicate", order)
                )
            try:
                self._transact(items)
                return Applied(outcome, updated)
            except _Cancelled as exc:
                if exc.codes[0] == "ConditionalCheckFailed":
                    return Applied("duplicate", self.order(order.order_id))
                self._backoff(attempt)  # the order changed meanwhile (e.g. it just expired): look again
        raise Busy("could not apply the payment event; the provider will retry")

    def _event_item(self, event: PaymentEvent, now: datetime, order_id: str | None) -> dict[str, Any]:
        item = {
            "PK": s(f"PAYMENT#{event.provider}#{event.event_id}"),
            "SK": s("EVENT"),
            "type": s("payment_event"),
            "outcome": s(event.outcome),
            "received_at": s(_iso(now)),
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
        except _Cancelled:
            return False

    def _retirement_items(
        self,
        order: Order,
        event: PaymentEvent,
        now: datetime,
        reason_for: Callable[[Order], str],
        certify: Certify | None,
        contribute: Callable[[Order], list[dict[str, Any]]] | None = None,
    ) -> tuple[list[dict[str, Any]], Order]:
        project, _ = self.project(order.project_id) or (None, None)
        assert project is not None
        labels = [
            serial_label(project.standard.value, project.project_id, project.vintage, r)
            for r in order.reserved
        ]
        retirement = Retirement(
            serials=order.reserved,
            labels=labels,
            beneficiary=order.beneficiary,
            reason=reason_for(order),
            retired_at=now,
            payment_event_id=event.event_id,
        )
        retired = order.model_copy(update={"status": OrderStatus.retired, "retirement": retirement})
        certificate_item = None
        if certify is not None:
            # The certificate is issued in the retirement's own transaction: both exist, or neither.
            certificate_id, signed = certify(retired, project)
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
        q, amount = order.quantity_kg, order.amount.amount
        items = [
            self._event_item(event, now, order.order_id),
            self._order_update(retired, OrderStatus.pending_payment),
            self._move_counter(order.project_id, "reserved_kg", "retired_kg", q),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"PK": s(f"DEVELOPER#{order.developer_id}"), "SK": s("PAYOUT")},
                    "UpdateExpression": "ADD owed :amount, retired_kg :q SET currency = :currency, #type = :type",
                    "ExpressionAttributeNames": {"#type": "type"},
                    "ExpressionAttributeValues": {
                        ":amount": n(str(amount)),
                        ":q": n(q),
                        ":currency": s(order.amount.currency),
                        ":type": s("payout"),
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "PK": s(f"DEVELOPER#{order.developer_id}"),
                        "SK": s(f"ENTRY#{_iso(now)}#{order.order_id}"),
                        "type": s("payout_entry"),
                        "order_id": s(order.order_id),
                        "amount": n(str(amount)),
                        "currency": s(order.amount.currency),
                        "kg": n(q),
                        "project_id": s(order.project_id),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
        items += self._move_reserved(
            order,
            "RETIRED",
            order_id=order.order_id,
            beneficiary=order.beneficiary.name,
            reason=retirement.reason,
            retired_at=_iso(now),
        )
        if certificate_item:
            items.append(certificate_item)
        if contribute is not None:  # leaderboards and the scene's rating move with the retirement
            items.extend(contribute(retired))
        return items, retired

    def _refund_items(
        self, order: Order, event: PaymentEvent, paid: Money, why: str, now: datetime
    ) -> tuple[list[dict[str, Any]], Order]:
        refund = Refund(amount=paid, reason=why, event_id=event.event_id)
        items = [
            self._event_item(event, now, order.order_id),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "PK": s(f"ORDER#{order.order_id}"),
                        "SK": s(f"REFUND#{event.provider}#{event.event_id}"),
                        "type": s("refund"),
                        "status": s("due"),
                        "amount": n(str(paid.amount)),
                        "currency": s(paid.currency),
                        "reason": s(why),
                        "GSI1PK": s("REFUNDS"),
                        "GSI1SK": s(f"{_iso(now)}#{order.order_id}"),
                    },
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
        updated = order
        if order.status in (OrderStatus.pending_payment, OrderStatus.expired):
            # A payment that cannot buy this order's credits fails the order, and the credits go back.
            updated = order.model_copy(update={"status": OrderStatus.failed, "refund": refund})
            if order.status is OrderStatus.pending_payment:
                items.extend(self._release_items(order, updated))
            else:
                items.append(self._order_update(updated, order.status))
        return items, updated

    def _release_items(self, order: Order, updated: Order) -> list[dict[str, Any]]:
        q = order.quantity_kg
        items = [
            self._order_update(updated, OrderStatus.pending_payment),
            self._move_counter(order.project_id, "reserved_kg", "available_kg", q),
        ]
        items += self._move_reserved(order, "AVAILABLE")
        return items

    def expire(self, order_id: str) -> bool:
        """Releases an unpaid order's credits; False when it was paid or released meanwhile."""
        order = self.order(order_id)
        if order is None or order.status is not OrderStatus.pending_payment:
            return False
        try:
            self._transact(
                self._release_items(order, order.model_copy(update={"status": OrderStatus.expired}))
            )
            return True
        except _Cancelled:
            return False

    def expired_reservations(self, now: datetime, limit: int = 100) -> list[str]:
        """Pending orders whose reservation ran out, oldest first, across every shard."""
        found: list[str] = []
        for shard in range(RESERVATION_SHARDS):
            for item in self._query(
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :pk AND GSI1SK < :now",
                ExpressionAttributeValues={":pk": s(f"RESERVATIONS#{shard}"), ":now": s(_iso(now))},
                page_size=limit,
            ):
                found.append(item["GSI1SK"]["S"].split("#", 1)[1])
                if len(found) >= limit:
                    return found
        return found

    def certificate(self, certificate_id: str) -> tuple[dict[str, Any], str, str] | None:
        """(signed document, order id, project id) of an issued certificate."""
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key={"PK": s(f"CERT#{certificate_id}"), "SK": s("CERT")},
        ).get("Item")
        if not item:
            return None
        return json.loads(item["body"]["S"]), item["order_id"]["S"], item["project_id"]["S"]

    def serials_retired_for(self, project_id: str, order_id: str, ranges: list[SerialRange]) -> bool:
        """Whether every range is a retired block of this order in the ledger."""
        if not ranges:
            return False
        keys = [_block_key(project_id, "RETIRED", r.first) for r in ranges]
        answer = aws.call(
            "ledger",
            self.client.batch_get_item,
            RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}},
        )
        found = {int(i["first"]["N"]): i for i in answer.get("Responses", {}).get(self._table, [])}
        return all(
            r.first in found
            and int(found[r.first]["last"]["N"]) == r.last
            and found[r.first]["order_id"]["S"] == order_id
            for r in ranges
        )

    def payout(self, developer_id: str) -> tuple[Decimal, int]:
        item = aws.call(
            "ledger",
            self.client.get_item,
            TableName=self._table,
            Key={"PK": s(f"DEVELOPER#{developer_id}"), "SK": s("PAYOUT")},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return Decimal(0), 0
        return Decimal(item["owed"]["N"]), int(item["retired_kg"]["N"])

    # ---- audit ----

    def audit(self) -> list[Breach]:
        """Checks every project: counters balance and match the blocks; no serial in two blocks."""
        breaches = []
        for project, inventory in self.projects():
            pid = project.project_id
            by_state = {state: self.blocks(pid, state) for state in _STATES}
            sums = {state: sum(b.size for b in blocks) for state, blocks in by_state.items()}
            if not inventory.balanced:
                breaches.append(
                    Breach(
                        pid,
                        f"issued {inventory.issued_kg} != available + reserved + retired "
                        f"({inventory.available_kg} + {inventory.reserved_kg} + {inventory.retired_kg})",
                    )
                )
            for state, counter in (
                ("AVAILABLE", inventory.available_kg),
                ("RESERVED", inventory.reserved_kg),
                ("RETIRED", inventory.retired_kg),
            ):
                if sums[state] != counter:
                    breaches.append(
                        Breach(pid, f"{state.lower()} blocks hold {sums[state]} kg, counter says {counter}")
                    )
            ordered = sorted((b for blocks in by_state.values() for b in blocks), key=lambda r: r.first)
            for a, b in itertools.pairwise(ordered):
                if a.overlaps(b):
                    breaches.append(Breach(pid, f"serials {a.first}-{a.last} and {b.first}-{b.last} overlap"))
        return breaches

    # ---- plumbing ----

    def _transact(self, items: list[dict[str, Any]]) -> None:
        from botocore.exceptions import ClientError

        try:
            aws.call("ledger", self.client.transact_write_items, TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                if exc.response["Error"]["Code"] == "TransactionConflictException":
                    raise _Cancelled(["TransactionConflict"]) from exc
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code", "None") for r in reasons] or ["Unknown"]
            logger.debug("transaction cancelled", extra={"codes": codes})
            raise _Cancelled(codes) from exc

    def _backoff(self, attempt: int) -> None:
        # Full jitter: spreads retries of competing buyers apart.
        self._sleep(random.uniform(0, min(0.25, 0.01 * 2**attempt)))  # noqa: S311 - not for security


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first."""


def _inventory(item: dict[str, Any]) -> Inventory:
    return Inventory(
        **{
            k: int(item.get(k, {"N": "0"})["N"])
            for k in ("issued_kg", "available_kg", "reserved_kg", "retired_kg")
        }
    )
