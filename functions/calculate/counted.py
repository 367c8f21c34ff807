"""A footprint made for a request, counted in the metrics: the footprint, and its lines remembered
from an earlier footprint or worked out (their share is how often a scene's visitors enter the
same activities: what remembering lines is worth, docs/decisions.md)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from carbonneutral import services
from carbonneutral.domain.footprints import Footprint, FootprintRequest, lines_counted
from carbonneutral.observability import metrics


def counted_footprint(request: FootprintRequest) -> Footprint:
    before = lines_counted()
    footprint = services.footprint_service().create(request)
    remembered, worked_out = (now - then for now, then in zip(lines_counted(), before, strict=True))
    metrics.add_metric(name="FootprintsCalculated", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="FootprintLinesRemembered", unit=MetricUnit.Count, value=remembered)
    metrics.add_metric(name="FootprintLinesWorkedOut", unit=MetricUnit.Count, value=worked_out)
    return footprint
