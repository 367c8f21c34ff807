"""Nonces of signed notifications, each accepted once: a replay inside the signature's time window is
refused. Kept a little longer than that window, then DynamoDB's TTL removes them."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from carbonneutral.store import aws
from carbonneutral.store.items import n, s

KEEP_S = 900  # three times the five-minute window a signature is accepted in


class Nonces:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self._table, self._client = table, client

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def claim(self, scope: str, nonce: str) -> bool:
        """True the first time `nonce` is claimed in `scope`, False ever after (until it expires)."""
        digest = hashlib.sha256(nonce.encode()).hexdigest()[:40]
        try:
            aws.call(
                "nonces",
                self.client.put_item,
                TableName=self._table,
                Item={
                    "PK": s(f"NONCE#{scope}#{digest}"),
                    "SK": s("NONCE"),
                    "expires_at": n(int(time.time()) + KEEP_S),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True
