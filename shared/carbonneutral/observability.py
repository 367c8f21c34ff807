"""One logger and one metrics instance per process, shared by every module.

Namespace and service are constants, not environment reads: Powertools resolves them when
these objects are built, at import time.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = "carbon-neutral"
METRICS_NAMESPACE = "CarbonNeutral"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)

# Read-only routes publish no business metric; that is expected, not worth a warning per request.
warnings.filterwarnings("ignore", message="No application metrics to publish")


Handler = Callable[[dict[str, Any], Any], Any]


@cache
def _tracer() -> Any:
    from aws_lambda_powertools import Tracer  # imports the X-Ray SDK and patches boto3

    return Tracer(service=SERVICE)


def traced(handler: Handler) -> Handler:
    """X-Ray tracing when the stack turns it on (TRACING=Active); otherwise the SDK is never imported."""

    @wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        if os.environ.get("TRACING") != "Active":
            return handler(event, context)
        return _tracer().capture_lambda_handler(handler)(event, context)

    return wrapper
