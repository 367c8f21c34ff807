"""`make run`'s entry point as a user runs it: starts, serves, keeps data, stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infrastructure.local.services import free_port
from infrastructure.template import ROOT
from tests.factories import DEMO_FOOTPRINT
from tests.support import Http

pytestmark = pytest.mark.e2e


def start(port: int, data_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    env = {
        **os.environ,
        "PORT": str(port),
        "LOCAL_DATA_DIR": str(data_dir),
        "PYTHONPATH": "shared:functions:.",
    }
    for key in (
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SSM",
        "TABLE_NAME",
        "BUCKET_NAME",
        "SECRETS_PATH",
        "SECRETS",
    ):
        env.pop(key, None)  # the run must set up its own, not borrow the test session's
    proc = subprocess.Popen(
        [sys.executable, "-m", "infrastructure.local.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert proc.stdout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise AssertionError("make run exited early:\n" + "".join(lines))
        lines.append(line)
        if "Local S3" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("make run did not come up:\n" + "".join(lines))


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=30)


def port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_make_run_serves_keeps_data_and_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    proc, lines = start(port, tmp_path)
    try:
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output
        ddb_port = int(output.split("DynamoDB Local")[1].split("127.0.0.1:")[1].split()[0])
        http = Http(f"http://127.0.0.1:{port}")
        assert http.get("/v1/scenes/cdcnf-2021").status == 200
        footprint_id = http.post("/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]
        keys = http.get("/.well-known/certificate-keys.json").json()
        # what admin --local reads: names and endpoints, no secret, and only for its owner
        stack_file = tmp_path / "stack.json"
        assert stack_file.stat().st_mode & 0o077 == 0
        admin_environment = stack_file.read_text()
    finally:
        code = stop(proc)
    assert code == 0
    assert port_is_closed(port) and port_is_closed(ddb_port)
    assert (tmp_path / "dynamodb").is_dir()

    saved = tmp_path / "ssm.json"  # the local SSM's parameters, kept for the next run
    assert saved.stat().st_mode & 0o077 == 0
    secrets = [p["Value"] for p in json.loads(saved.read_text()) if p["Type"] == "SecureString"]
    assert len(secrets) == 4 and not any(value in admin_environment for value in secrets)
    proc, _ = start(port, tmp_path)  # same data folder: the footprint and the keys survived the restart
    try:
        http = Http(f"http://127.0.0.1:{port}")
        assert http.get(f"/v1/footprints/{footprint_id}").status == 200
        assert http.get("/.well-known/certificate-keys.json").json() == keys
    finally:
        assert stop(proc) == 0
