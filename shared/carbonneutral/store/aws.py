"""AWS clients, created lazily and cached per process.

Endpoints come from the standard environment (``AWS_ENDPOINT_URL_DYNAMODB``,
``AWS_ENDPOINT_URL_S3``), so the same code talks to AWS, DynamoDB Local and a local S3.
"""

from __future__ import annotations

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


def _config() -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=2,
        read_timeout=5,
        tcp_keepalive=True,
    )


@cache
def dynamodb() -> Any:
    import boto3

    return boto3.session.Session().client("dynamodb", config=_config())


@cache
def s3() -> Any:
    import boto3

    return boto3.session.Session().client("s3", config=_config())


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
