"""Footprint calculations per second, in process, for a five-activity footprint."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintRequest, compute

FIVE_ACTIVITIES = {
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


MODES = (
    ("validate + calculate", True, True),
    ("calculate only", False, True),
    ("validate only: the ceiling with this request model", True, False),
)


def run(seconds: float = 9.0) -> dict[str, float]:
    """The modes take turns in slices of 200 footprints, so that a VM's drifting speed weighs on
    each of them alike; each mode's figure is the median of its slices."""
    factors = load_factor_set()
    now = datetime.now(UTC)
    FootprintRequest.model_validate(FIVE_ACTIVITIES)  # warm caches (airports, models)
    samples: dict[str, list[float]] = {label: [] for label, _, _ in MODES}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for label, validate, calculate in MODES:
            request = FootprintRequest.model_validate(FIVE_ACTIVITIES)
            start, n = time.perf_counter(), 0
            while n < 200:
                if validate:
                    request = FootprintRequest.model_validate(FIVE_ACTIVITIES)
                if calculate:
                    compute(request, factors, radiative_forcing=True, footprint_id="fp_bench", created_at=now)
                n += 1
            samples[label].append(n / (time.perf_counter() - start))
    return {label: statistics.median(rates) for label, rates in samples.items()}


if __name__ == "__main__":
    for label, rate in run().items():
        print(f"footprints/s ({label}, 5 activities): {rate:,.0f}  ({1e6 / rate:,.0f} µs each)")
    print("goal (issue 17): 50,000 footprints/s per core, validation included")
