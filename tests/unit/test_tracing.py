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


# A handler that sends requests at once (as a leaderboard's read does), in a process set up as a Lambda
# instance with an active trace: which X-Ray entity each of the threads running them sees.
AT_ONCE_PROBE = """
import json
from carbonneutral.observability import traced
from carbonneutral import threads

def handler(event, context):
    from aws_xray_sdk.core import xray_recorder
    mine = xray_recorder.get_trace_entity()
    seen = threads.at_once(lambda _: xray_recorder.get_trace_entity(), range(8))
    return {"mine": mine.name, "threads": sorted({e.name for e in seen}), "same": all(e is mine for e in seen)}

print(json.dumps(traced(handler)({}, None)))
"""


def run(tracing: str, probe: str = PROBE, **env_extra: str) -> str:
    env = {**os.environ, "PYTHONPATH": "shared", "TRACING": tracing, **env_extra}
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_xray_sdk_is_not_imported_when_tracing_is_off() -> None:
    assert run("PassThrough").strip() == '{"answer": "ok", "xray": false}'


def test_tracing_wraps_the_handler_when_on() -> None:
    assert run("Active").strip() == '{"answer": "ok", "xray": true}'


def test_requests_sent_at_once_are_traced_under_the_handler(tmp_path) -> None:
    """X-Ray keeps its current segment per thread; without the handler's segment handed over, each
    thread's requests would land under a facade segment of its own."""
    answer = run(
        "Active",
        AT_ONCE_PROBE,
        LAMBDA_TASK_ROOT=str(tmp_path),
        AWS_LAMBDA_FUNCTION_NAME="probe",
        AWS_REGION="us-east-1",
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert answer.strip() == '{"mine": "## handler", "threads": ["## handler"], "same": true}'
