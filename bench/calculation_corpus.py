"""Footprints of 4,000 seeded random requests, one JSON line each, to compare two revisions.

Every activity type, flag and factor-set grid is drawn, with some requests the calculator must
refuse (unknown grids and countries), whose error is written instead. A change meant to be only
faster must leave the file byte-identical:

    PYTHONPATH=shared:functions:. python bench/calculation_corpus.py /tmp/before.txt   # on main
    PYTHONPATH=shared:functions:. python bench/calculation_corpus.py /tmp/after.txt    # on the change
    cmp /tmp/before.txt /tmp/after.txt
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from datetime import UTC, datetime
from typing import Any

from carbonneutral.domain import footprints, places
from carbonneutral.domain.factors import load_factor_set
from carbonneutral.errors import InvalidInput
from pydantic import ValidationError

AIRPORTS = "PEK PVG CTU CAN SZX KMG XIY LHR MAN EDI JFK CDG HKG NRT SYD LXA URC HRB SHA TFU GLA BHD DXB SIN"
COUNTRIES = ["CN", "GB", "US", "FR", "DE", "JP", "ZZ", "IN", "BR"]
DIETS = ["meat_heavy", "meat", "low_meat", "pescatarian", "vegetarian", "vegan"]


def _trip(rng: random.Random, cities: list[str], low: float, high: float, digits: int) -> dict[str, Any]:
    if rng.random() < 0.3:
        return {"from": rng.choice(cities), "to": rng.choice(cities)}
    return {"km": round(rng.uniform(low, high), digits)}


def activity(rng: random.Random, grids: list[str], cities: list[str]) -> dict[str, Any]:
    kind = rng.choice(
        "flight rail car bus taxi metro motorcycle hotel meal electricity gas diet shopping".split()
    )
    travellers = rng.choice([1, 1, 1, 2, 5])
    grid = {"grid": rng.choice(grids)} if rng.random() < 0.3 else {}
    if kind == "flight":
        origin, destination = rng.sample(AIRPORTS.split(), 2)
        cabin = rng.choice(["economy", "premium_economy", "business", "first"])
        return {"type": kind, "from": origin, "to": destination, "cabin": cabin,
                "round_trip": rng.random() < 0.5, "travellers": travellers}  # fmt: skip
    if kind == "rail":
        service = rng.choice(["high_speed", "national", "international", "light_rail"])
        return {"type": kind, "service": service, "country": rng.choice(COUNTRIES), "travellers": travellers,
                "round_trip": rng.random() < 0.5, **_trip(rng, cities, 0.5, 3000, rng.choice([0, 1, 3])), **grid}  # fmt: skip
    if kind == "car":
        occupants = rng.randint(1, 5)
        fuel = rng.choice(["petrol", "diesel", "hybrid", "plug_in_hybrid", "electric", "unknown"])
        return {"type": kind, "fuel": fuel, "occupants": occupants, "travellers": rng.randint(1, occupants),
                "round_trip": rng.random() < 0.5, **_trip(rng, cities, 0.01, 900, rng.choice([0, 2, 4])), **grid}  # fmt: skip
    if kind == "bus":
        return {"type": kind, "service": rng.choice(["local", "coach"]), "travellers": travellers,
                **_trip(rng, cities, 0.01, 900, 2)}  # fmt: skip
    if kind in ("taxi", "motorcycle"):
        occupants = rng.randint(1, 2)
        return {"type": kind, "km": round(rng.uniform(0.001, 200), 3), "occupants": occupants,
                "travellers": rng.randint(1, occupants)}  # fmt: skip
    if kind == "metro":
        return {"type": kind, "km": round(rng.uniform(0.1, 60), 1), "travellers": travellers, **grid}
    if kind == "hotel":
        return {"type": kind, "nights": rng.randint(1, 20), "rooms": rng.randint(1, 3),
                "country": rng.choice(COUNTRIES)}  # fmt: skip
    if kind == "meal":
        return {"type": kind, "count": rng.randint(1, 30), "diet": rng.choice(DIETS)}
    if kind == "electricity":
        return {"type": kind, "kwh": round(rng.uniform(0.001, 5000), 3), "grid": rng.choice([*grids, "XX"])}
    if kind == "gas":
        fuel = rng.choice(["natural_gas", "lpg"])
        unit = rng.choice({"natural_gas": ["m3", "kwh"], "lpg": ["kg", "litre"]}[fuel])
        return {"type": kind, "fuel": fuel, "amount": round(rng.uniform(0.001, 500), 3), "unit": unit}
    if kind == "diet":
        days = {"days": rng.randint(1, 30)} if rng.random() < 0.5 else {}
        return {"type": kind, "diet": rng.choice(["meat", "vegan", "low_meat"]), **days}
    return {"type": kind, "spend_cny": str(round(rng.uniform(0.01, 20000), 2))}


def corpus(count: int = 4000, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    factors = load_factor_set()
    grids, cities = factors.grids(), [c.city_id for c in places.cities()][:60]
    created = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for _ in range(count):
        if rng.random() < 0.4:
            head: dict[str, Any] = {"kind": "life", "period": rng.choice(["month", "year"])}
        else:
            head = {"kind": "scene", "scene_id": "cdcnf-2021"}
        body = {**head, "activities": [activity(rng, grids, cities) for _ in range(rng.randint(1, 6))]}
        try:
            request = footprints.FootprintRequest.model_validate(body)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=False)
            out.append("refused by validation " + json.dumps(errors, default=str))
            continue
        try:
            footprint = footprints.compute(
                request,
                factors,
                radiative_forcing=rng.random() < 0.7,
                well_to_tank=rng.random() < 0.7,
                flight_method=rng.choice(["cn", "desnz"]),
                footprint_id="fp_corpus",
                created_at=created,
            )
        except InvalidInput as exc:
            out.append(f"refused by the calculator {exc.field} {exc.detail}")
            continue
        out.append(footprint.model_dump_json())
    return out


if __name__ == "__main__":
    lines = corpus()
    text = "\n".join(lines)
    with open(sys.argv[1], "w", encoding="utf-8") as file:
        file.write(text)
    refused = sum(line.startswith("refused") for line in lines)
    print(
        f"{len(lines)} requests, {refused} refused, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}"
    )
