"""The SSM parameters a function may read: SECRETS under SECRETS_PATH, nothing else.

All of them come in one GetParameters call on first use (not per secret, not at import: a burst
of cold starts stays under Parameter Store's request rate) and are kept for a TTL, so a rotated
secret reaches warm containers without a restart. A missing parameter is never cached: it answers
a 503 naming the parameter, logged once per container, until someone creates it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from carbonneutral.errors import NotConfigured
from carbonneutral.observability import logger
from carbonneutral.store import aws

_BATCH = 10  # GetParameters takes at most ten names
# An unknown key id may mean the keys were just rotated: look again, but not more often than this.
REFRESH_AFTER_S = 30.0


class SecretStore:
    def __init__(
        self,
        path: str | None,
        names: tuple[str, ...],
        *,
        ttl_s: float = 300,
        client: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path, self._names, self._ttl, self._client, self._clock = path, names, ttl_s, client, clock
        self._values: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._reported: set[str] = set()

    @property
    def client(self) -> Any:
        return self._client or aws.ssm()

    def get(self, name: str, *, fresh: bool = False) -> str:
        """The parameter's value; `fresh` reads it again if the copy is older than REFRESH_AFTER_S."""
        if name not in self._names or not self._path:
            raise NotConfigured(f"{name} is not among this function's SECRETS (under SECRETS_PATH)")
        now = self._clock()
        age = None if self._fetched_at is None else now - self._fetched_at
        stale = age is None or age > self._ttl or (fresh and age > REFRESH_AFTER_S)
        if stale or name not in self._values:
            self._fetch(now)
        if name not in self._values:
            missing = [f"{self._path}/{n}" for n in self._names if n not in self._values]
            for parameter in missing:
                if parameter not in self._reported:
                    self._reported.add(parameter)
                    logger.error("secret not configured", extra={"parameter": parameter})
            raise NotConfigured(
                f"these SSM parameters do not exist yet: {', '.join(missing)} (create them with init-secrets)"
            )
        return self._values[name]

    def _fetch(self, now: float) -> None:
        from botocore.exceptions import ClientError

        found: dict[str, str] = {}
        wanted = [f"{self._path}/{name}" for name in self._names]
        for start in range(0, len(wanted), _BATCH):
            try:
                answer = aws.call(
                    "secrets",
                    self.client.get_parameters,
                    Names=wanted[start : start + _BATCH],
                    WithDecryption=True,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "AccessDeniedException":
                    raise
                logger.error("secrets not readable", extra={"parameters": wanted})
                raise NotConfigured("this function's role may not read its SSM parameters") from exc
            for parameter in answer.get("Parameters", []):
                found[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Value"]
        self._values, self._fetched_at = found, now
