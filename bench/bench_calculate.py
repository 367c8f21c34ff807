"""Footprint calculations per second, in process, for a five-activity footprint."""

from __future__ import annotations

import random
import statistics
import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from carbonneutral.domain import footprints, places
from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintRequest, compute, forget_lines
from carbonneutral.errors import InvalidInput
from pydantic import ValidationError

from bench.calculation_corpus import activity

FIVE_ACTIVITIES: dict[str, Any] = {
    "kind": "scene",
    "scene_id": "cdcnf-2021",
    "activities": [
        {"type": "flight", "from": "PEK", "to": "CTU", "cabin": "economy", "round_trip": True},
        {"type": "rail", "km": 120, "service": "high_speed"},
        {"type": "car", "km": 30, "fuel": "petrol"},
        {"type": "hotel", "nights": 2, "country": "CN"},
        {"type": "meal", "count": 3, "diet": "meat"},
    ],
}


# (label, validate, calculate, new lines): a footprint's lines are remembered for the next footprint
# with the same activity in the same context (a scene's visitors entering the same flight, hotel,
# meals). "one" gives every footprint a car trip of its own length, so 4 of its 5 lines are
# remembered; "all" forgets every line before each footprint, so each one is worked out.
MODES = (
    ("validate + calculate, lines remembered", True, True, "none"),
    ("calculate only, lines remembered", False, True, "none"),
    ("validate + calculate, one line of five new", True, True, "one"),
    ("validate + calculate, every line worked out afresh", True, True, "all"),
    ("validate only: the ceiling with this request model", True, False, "none"),
)


def _with_car_km(km: float) -> dict[str, Any]:
    activities: list[dict[str, Any]] = [dict(activity) for activity in FIVE_ACTIVITIES["activities"]]
    activities[2]["km"] = km
    return {**FIVE_ACTIVITIES, "activities": activities}


def run(seconds: float = 9.0) -> dict[str, float]:
    """The modes take turns in slices of 200 footprints, so that a VM's drifting speed weighs on
    each of them alike; each mode's figure is the median of its slices."""
    factors = load_factor_set()
    now = datetime.now(UTC)
    FootprintRequest.model_validate(FIVE_ACTIVITIES)  # warm caches (airports, models)
    samples: dict[str, list[float]] = {label: [] for label, *_ in MODES}
    serial = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for label, validate, calculate, new in MODES:
            # a car trip of a length no footprint had before, made before the clock starts
            bodies = [_with_car_km(30 + (serial + n) / 1000) for n in range(200)] if new == "one" else None
            serial += 200
            request = FootprintRequest.model_validate(FIVE_ACTIVITIES)
            start, n = time.perf_counter(), 0
            while n < 200:
                if validate:
                    request = FootprintRequest.model_validate(bodies[n] if bodies else FIVE_ACTIVITIES)
                if new == "all":
                    forget_lines()
                if calculate:
                    compute(request, factors, radiative_forcing=True, footprint_id="fp_bench", created_at=now)
                n += 1
            samples[label].append(n / (time.perf_counter() - start))
    return {label: statistics.median(rates) for label, rates in samples.items()}


def remembered_bytes() -> tuple[int, int]:
    """(lines held, bytes they take) once as many random one-line footprints, of every activity type,
    as the bound holds were computed: the memory a busy Lambda instance keeps for remembered lines."""
    factors, rng, now = load_factor_set(), random.Random(17), datetime.now(UTC)
    grids, cities = factors.grids(), [c.city_id for c in places.cities()][:60]
    requests: list[FootprintRequest] = []
    while len(requests) < 2 * footprints.REMEMBERED_LINES:
        try:
            body = {"kind": "life", "period": "year", "activities": [activity(rng, grids, cities)]}
            requests.append(FootprintRequest.model_validate(body))
        except ValidationError:
            continue
    forget_lines()
    tracemalloc.start()
    for request in requests:
        try:
            compute(request, factors, radiative_forcing=True, footprint_id="fp_bench", created_at=now)
        except InvalidInput:
            continue
    held, (size, _) = len(footprints._LINES), tracemalloc.get_traced_memory()
    tracemalloc.stop()
    forget_lines()
    return held, size


if __name__ == "__main__":
    for label, rate in run().items():
        print(f"footprints/s ({label}, 5 activities): {rate:,.0f}  ({1e6 / rate:,.0f} µs each)")
    print(
        "goal (issue 17): 50,000 footprints/s per core, validation included; "
        "baseline before lines were remembered (cd21f98..61bc7c6): the 'worked out afresh' mode"
    )
    held, size = remembered_bytes()
    print(
        f"remembered lines: {held:,} held (the bound) take {size / 2**20:.1f} MiB, {size / held / 1024:.1f} KiB each "
        "(tracemalloc, random lines of every activity type); every function has at least 512 MB (template.yaml)"
    )
