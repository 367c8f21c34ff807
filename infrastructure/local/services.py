"""Local stand-ins for AWS: DynamoDB Local (Amazon's jar) and moto's server (S3 and SSM).

Each runs on a port of the caller's choosing (tests pass free ports) and stops cleanly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from infrastructure.template import ROOT

DDB_HOME = ROOT / ".local" / "dynamodb-local"
LOCAL_REGION = "us-east-1"
# The stack's own set-up, the tests and the admin commands: not held to any function's role.
ADMIN_KEY = "LOCALADMIN"  # DynamoDB Local takes only letters and digits
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": ADMIN_KEY, "AWS_SECRET_ACCESS_KEY": "local"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def find_dynamodb_jar(home: Path = DDB_HOME) -> Path:
    jars = sorted(home.glob("package/lib/*/DynamoDBLocal.jar"))
    if not jars:
        raise FileNotFoundError(f"DynamoDB Local is not installed under {home}: run `make setup`")
    return jars[-1]


class DynamoDBLocal:
    """Amazon's DynamoDB Local on 127.0.0.1; on disk when given a folder, else in memory."""

    def __init__(self, port: int, data_dir: Path | None = None, log_path: Path | None = None) -> None:
        self.port, self.data_dir, self.log_path = port, data_dir, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> DynamoDBLocal:
        java = shutil.which("java")
        if not java:
            raise FileNotFoundError("DynamoDB Local needs Java 17 or newer on PATH")
        jar = find_dynamodb_jar()
        storage = ["-dbPath", str(self.data_dir)] if self.data_dir else ["-inMemory"]
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [
                java,
                "-Xmx512m",
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-sharedDb",
                *storage,
                "-port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=jar.parent,
            start_new_session=True,
        )
        wait_for_port(self.port, timeout, self.proc)
        return self

    def stop(self) -> None:
        _stop_group(self.proc)
        self.proc = None


class MotoServer:
    """moto's server, a process of its own (its state is per process, so two stacks never share
    one): S3 and SSM (SecureString parameters) on one port."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port, self.log_path = port, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> MotoServer:
        import sys

        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
        )
        wait_for_port(self.port, timeout, self.proc)
        return self

    def stop(self) -> None:
        _stop_group(self.proc)
        self.proc = None


def _stop_group(proc: subprocess.Popen[bytes] | None) -> None:
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def aws_environment(
    dynamodb: str, s3: str, ssm: str, credentials: dict[str, str] = LOCAL_CREDENTIALS
) -> dict[str, str]:
    """What a process needs to talk to the local services: only endpoints, region and credentials."""
    return {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,
        "AWS_ENDPOINT_URL_S3": s3,
        "AWS_ENDPOINT_URL_SSM": ssm,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        **credentials,
    }
