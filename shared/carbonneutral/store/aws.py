"""AWS clients, created lazily and cached per process.

Endpoints come from the standard environment (``AWS_ENDPOINT_URL_DYNAMODB``,
``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL_SSM``), so the same code talks to AWS and to the
local rehearsal of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from carbonneutral.errors import ServiceUnavailable

T = TypeVar("T")

_THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalError",
        "RequestTimeout",
    }
)


# A call that keeps failing must end in a clean 503 before the function's own timeout (15 s in
# template.yaml) ends it in a 500: three attempts of at most 1 s to connect and 2 s to read, with
# at most 1 + 2 s of backoff between them, take at most 12 s. The local rehearsal enforces the
# timeout, so a budget that does not fit fails its tests.
MAX_ATTEMPTS, CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 3, 1, 2


def _config() -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        tcp_keepalive=True,
        # The services check every request themselves (DynamoDB Local too, so the tests see a
        # malformed one); botocore's own pass over the parameters was 6-7 % of a purchase's CPU
        # in the handlers (bench_purchase.py).
        parameter_validation=False,
    )


_creating = threading.Lock()


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


def _client(service: str) -> Any:
    # One session for all of a process's clients: its loaders and endpoint data are read once.
    # Creating clients from one session is not thread-safe, and tests share a process's clients
    # between threads.
    with _creating:
        return _session().client(service, config=_config())


@cache
def dynamodb() -> Any:
    return _client("dynamodb")


@cache
def s3() -> Any:
    return _client("s3")


@cache
def ssm() -> Any:
    return _client("ssm")


def reset() -> None:
    """Forget the process's clients (a local stack started with new endpoints calls this)."""
    for cached in (_session, dynamodb, s3, ssm):
        cached.cache_clear()


@contextmanager
def unavailable_on_throttling(what: str) -> Iterator[None]:
    """Throttling that outlasts botocore's retries becomes a clean 503, never a 500."""
    from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _THROTTLING:
            raise ServiceUnavailable(f"{what} is busy; try again shortly") from exc
        raise
    except (ConnectionError, ReadTimeoutError) as exc:
        raise ServiceUnavailable(f"{what} is unreachable; try again shortly") from exc


def call(what: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
    with unavailable_on_throttling(what):
        return fn(**kwargs)
