"""Tracing costs nothing unless it is turned on."""

from __future__ import annotations

import os
import subprocess
import sys

from infrastructure.template import ROOT

PROBE = """
import json, sys
from carbonneutral.observability import traced
handler = traced(lambda event, context: "ok")
print(json.dumps({"answer": handler({}, None), "xray": "aws_xray_sdk" in sys.modules}))
"""


def run(tracing: str) -> str:
    env = {**os.environ, "PYTHONPATH": "shared", "TRACING": tracing}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_xray_sdk_is_not_imported_when_tracing_is_off() -> None:
    assert run("PassThrough").strip() == '{"answer": "ok", "xray": false}'


def test_tracing_wraps_the_handler_when_on() -> None:
    assert run("Active").strip() == '{"answer": "ok", "xray": true}'
