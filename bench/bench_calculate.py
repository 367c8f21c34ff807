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


def run(seconds: float = 3.0) -> dict[str, float]:
    factors = load_factor_set()
    now = datetime.now(UTC)
    FootprintRequest.model_validate(FIVE_ACTIVITIES)  # warm caches (airports, models)
    rates = {}
    for label, validate, calculate in (
        ("validate + calculate", True, True),
        ("calculate only", False, True),
        ("validate only: the ceiling with this request model", True, False),
    ):
        request = FootprintRequest.model_validate(FIVE_ACTIVITIES)
        samples = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start, n = time.perf_counter(), 0
            while n < 200:
                if validate:
                    request = FootprintRequest.model_validate(FIVE_ACTIVITIES)
                if calculate:
                    compute(request, factors, radiative_forcing=True, footprint_id="fp_bench", created_at=now)
                n += 1
            samples.append(n / (time.perf_counter() - start))
        rates[label] = statistics.median(samples)
    return rates


if __name__ == "__main__":
    for label, rate in run().items():
        print(f"footprints/s ({label}, 5 activities): {rate:,.0f}  ({1e6 / rate:,.0f} µs each)")
    print("goal (issue 17): 50,000 footprints/s per core, validation included")
