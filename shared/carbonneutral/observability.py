"""One logger and one metrics instance per process, shared by every module.

Namespace and service are constants, not environment reads: Powertools resolves them when
these objects are built, at import time.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

SERVICE = "carbon-neutral"
METRICS_NAMESPACE = "CarbonNeutral"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)

# Read-only routes publish no business metric; that is expected, not worth a warning per request.
warnings.filterwarnings("ignore", message="No application metrics to publish")
