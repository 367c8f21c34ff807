"""What every part of the ledger shares: the table, its keys, transactions and backoff."""

from __future__ import annotations

import hashlib
import random
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from carbonneutral.errors import Busy, TransactionCancelled
from carbonneutral.observability import logger
from carbonneutral.store import aws
from carbonneutral.store.items import s

RESERVATION_SHARDS = 8
# 2 items per block, in a transaction of at most 100 items that also holds the order, event,
# the payment's reference, counter, payout (2), certificate, registry record and head, the
# footprint's claim, the client's hold and up to 18 leaderboard and rating items: 70 + 29 = 99
# (100 on a registry lane's first record under its own key, which also marks where the lane lives).
MAX_BLOCKS_PER_ORDER = 35
# How many available blocks an order looks at when the lowest serials are too fragmented for it.
WIDER_BLOCKS = 1000
# A project's available credits are shared out at issuance over up to 8 pools, each a partition key
# of its own (pool 0 is the project's key), so that buyers of one busy project take from different
# keys; an issuance is shared out only as far as each pool gets at least 10 t.
AVAILABLE_POOLS = 8
POOL_MIN_KG = 10_000
IDEMPOTENCY_TTL = timedelta(hours=24)
_rng = random.Random()  # noqa: S311 - spreads load, not a secret


def project_key(project_id: str) -> dict[str, Any]:
    return {"PK": s(f"PROJECT#{project_id}"), "SK": s("PROJECT")}


def block_key(project_id: str, state: str, first: int) -> dict[str, Any]:
    return {"PK": s(f"PROJECT#{project_id}"), "SK": s(f"{state}#{first:012d}")}


def pool_pk(project_id: str, pool: int) -> str:
    """The partition key of a pool of the project's available credits: 0 is the project's own."""
    return f"PROJECT#{project_id}#A{pool:02d}" if pool else f"PROJECT#{project_id}"


def available_key(project_id: str, pool: int, first: int) -> dict[str, Any]:
    return {"PK": s(pool_pk(project_id, pool)), "SK": s(f"AVAILABLE#{first:012d}")}


def pool_start(order_id: str) -> int:
    """Where an order starts looking among its project's pools (spread by its id)."""
    return zlib.crc32(f"pool:{order_id}".encode())


def order_key(order_id: str) -> dict[str, Any]:
    return {"PK": s(f"ORDER#{order_id}"), "SK": s("ORDER")}


def claim_key(footprint_id: str) -> dict[str, Any]:
    return {"PK": s(f"FOOTPRINT#{footprint_id}"), "SK": s("CLAIM")}


def idempotency_key(key: str) -> dict[str, Any]:
    return {"PK": s(f"IDEMPOTENCY#{hashlib.sha256(key.encode()).hexdigest()}"), "SK": s("IDEMPOTENCY")}


def reservation_shard(order_id: str) -> str:
    return f"RESERVATIONS#{zlib.crc32(order_id.encode()) % RESERVATION_SHARDS}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class LedgerTable:
    """The ledger's table: reads, conditional transactions, and jittered retries."""

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

    def _batch_get(
        self, keys: list[dict[str, Any]], *, consistent: bool = True
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (PK, SK), strongly consistent unless asked, in one BatchGetItem (more only for
        unprocessed keys)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": consistent}}
        for attempt in range(self._max_attempts + 4):
            answer = aws.call("ledger", self.client.batch_get_item, RequestItems=request)
            for item in answer.get("Responses", {}).get(self._table, []):
                found[(item["PK"]["S"], item["SK"]["S"])] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return found
            self._backoff(attempt)
        raise Busy("the table is throttling reads; try again in a moment")

    def _transact(self, items: list[dict[str, Any]]) -> None:
        from botocore.exceptions import ClientError

        try:
            aws.call("ledger", self.client.transact_write_items, TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                if exc.response["Error"]["Code"] == "TransactionConflictException":
                    raise TransactionCancelled(["TransactionConflict"]) from exc
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code", "None") for r in reasons] or ["Unknown"]
            logger.debug("transaction cancelled", extra={"codes": codes})
            raise TransactionCancelled(codes) from exc

    def _backoff(self, attempt: int) -> None:
        # Full jitter: spreads retries of competing buyers apart.
        self._sleep(random.uniform(0, min(0.25, 0.01 * 2**attempt)))  # noqa: S311 - not for security
