"""Cold import time of each handler module in a fresh interpreter, and what it pulls in.

Run `python -X importtime -c "import calculate.app"` to see where the time goes.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from infrastructure.template import ROOT, routes

HEAVY = [
    "boto3",
    "botocore.client",
    "PIL",
    "cryptography",
    "stripe",
    "qrcode",
    "aws_xray_sdk",
    "jinja2",
    "pydantic",
    "airportsdata",
]
PROBE = """
import json, sys, time
t = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t
print(json.dumps({{"ms": elapsed * 1000, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def measure(module: str, runs: int = 7) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONPATH": "shared:functions:.", "PYTHONDONTWRITEBYTECODE": "0"}
    samples, loaded = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE.format(module=module, heavy=HEAVY)],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=True)  # fmt: skip
        result = json.loads(out.stdout)
        samples.append(result["ms"])
        loaded = result["loaded"]
    return statistics.median(samples), loaded


def run() -> dict[str, tuple[float, list[str]]]:
    modules = sorted({r.handler.rsplit(".", 1)[0] for r in routes()})
    return {module: measure(module) for module in modules}


if __name__ == "__main__":
    print(f"python {sys.version.split()[0]}; median of 7 cold imports")
    for module, (ms, loaded) in run().items():
        print(f"import {module}: {ms:,.0f} ms; loads {', '.join(loaded) or 'nothing heavy'}")
