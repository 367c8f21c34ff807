"""`make bench`: every benchmark, printing figures (never pass/fail)."""

from __future__ import annotations

import runpy
from pathlib import Path

HERE = Path(__file__).parent

for name in (
    "bench_calculate",
    "bench_coldstart",
    "bench_certify",
    "bench_purchase",
    "bench_churn",
    "bench_rank",
):
    print(f"== {name}")
    runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
