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
    from aws_xray_sdk.core import xray_recorder

    from carbonneutral import threads

    threads.THREAD_CONTEXT.append(lambda: _enter_trace(xray_recorder, xray_recorder.get_trace_entity()))
    return Tracer(service=SERVICE)


def _enter_trace(recorder: Any, entity: Any) -> Callable[[], None]:
    """X-Ray keeps the current segment per thread: requests a handler sends at once from other threads
    (threads.at_once) go under the handler's own segment, not a segment of their own in each thread."""
    return lambda: recorder.set_trace_entity(entity) if entity is not None else None


def traced(handler: Handler) -> Handler:
    """X-Ray tracing when the stack turns it on (TRACING=Active); otherwise the SDK is never imported."""

    @wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        if os.environ.get("TRACING") != "Active":
            return handler(event, context)
        return _tracer().capture_lambda_handler(handler)(event, context)

    return wrapper
