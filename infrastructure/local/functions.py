"""Lambda functions run locally as Lambda runs them: execution environments started on demand
(cold starts included), one invocation at a time each, the function's own environment and
credentials, its timeout, CPU share and memory enforced (limits.py), and a crashed, timed-out or
out-of-memory environment thrown away."""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infrastructure.local import runtime
from infrastructure.local.build import Artifacts, lambda_python
from infrastructure.local.limits import Box, Limits


class InvocationError(Exception):
    """The function failed (an unhandled error, a crash, a timeout): API Gateway answers 500."""

    def __init__(self, kind: str, detail: Any) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str  # physical name
    arn: str
    handler: str
    timeout_s: float
    memory_mb: int
    environment: dict[str, str]


@dataclass
class Instance:
    """One execution environment."""

    proc: subprocess.Popen[bytes]
    to_child: IO[bytes]
    from_child: int
    init_ms: float = 0.0
    invocations: int = 0
    box: Box | None = None  # its CPU and memory limits (None where control groups cannot be made)

    def send(self, message: bytes) -> None:
        self.to_child.write(struct.pack(">I", len(message)) + message)
        self.to_child.flush()

    def receive(self, deadline: float) -> Any:
        header = self._read_exactly(4, deadline)
        (size,) = struct.unpack(">I", header)
        import json

        return json.loads(self._read_exactly(size, deadline))

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        data = b""
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.from_child], [], [], remaining)[0]:
                raise InvocationError("Sandbox.Timedout", "the function ran out of time")
            chunk = os.read(self.from_child, size - len(data))
            if not chunk:
                raise InvocationError("Runtime.ExitError", f"the runtime exited with {self.proc.poll()}")
            data += chunk
        return data

    def failure(self, exc: InvocationError) -> InvocationError:
        """What Lambda reports: an environment the kernel stopped for its memory ran out of it."""
        if self.box is not None and self.box.out_of_memory():
            return InvocationError(
                "Runtime.OutOfMemory", f"the function used more than {self.box.memory_mb} MB"
            )
        return exc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)
        self.to_child.close()
        os.close(self.from_child)
        if self.box is not None:
            self.box.remove()


@dataclass
class LambdaFunction:
    spec: FunctionSpec
    artifacts: Artifacts
    base_environment: dict[str, str]  # credentials, endpoints, Lambda's own variables
    log: IO[bytes] | int = subprocess.DEVNULL
    max_instances: int = 4
    limits: Limits | None = None  # the stack's control groups: Lambda's CPU and memory per environment
    _idle: list[Instance] = field(default_factory=list)
    _count: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    cold_starts: list[float] = field(
        default_factory=list
    )  # ms from starting a process to its handler imported
    init_ms: list[float] = field(default_factory=list)  # of which importing the handler, measured inside
    last_duration_ms: float = 0.0  # the handler's own time in the latest invocation

    def environment(self) -> dict[str, str]:
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(self.artifacts.task),
            "LAMBDA_RUNTIME_DIR": str(Path(runtime.__file__).parent),
            "_HANDLER": self.spec.handler,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "LOCAL_FUNCTION_ARN": self.spec.arn,
            # No credentials or configuration from the machine's ~/.aws: only the role's.
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            **self.base_environment,
            **self.spec.environment,
        }

    def _start(self) -> Instance:
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        command = [
            lambda_python(),
            "-I",
            "-S",
            runtime.__file__,
            "--task",
            str(self.artifacts.task),
            "--layer",
            str(self.artifacts.layer),
            "--handler",
            self.spec.handler,
            "--in",
            str(requests_r),
            "--out",
            str(answers_w),
        ]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            env=self.environment(),
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            pass_fds=(requests_r, answers_w),
            start_new_session=True,
        )
        os.close(requests_r)
        os.close(answers_w)
        instance = Instance(proc, os.fdopen(requests_w, "wb"), answers_r)
        if self.limits is not None:
            try:
                instance.box = self.limits.box(self.spec.logical_id, self.spec.memory_mb)
                instance.box.hold(proc.pid)  # the interpreter is still starting: nothing imported yet
            except OSError:
                instance.kill()
                raise
        try:
            hello = instance.receive(time.monotonic() + 30)
        except InvocationError as exc:
            failure = instance.failure(exc)
            instance.kill()
            raise failure from exc
        if "init_error" in hello:
            instance.kill()
            raise InvocationError("Runtime.ImportModuleError", hello["init_error"]["errorMessage"])
        if instance.box is not None:
            instance.box.invoking()
        instance.init_ms = float(hello["init_ms"])
        self.init_ms.append(instance.init_ms)
        self.cold_starts.append((time.perf_counter() - started) * 1000)
        return instance

    def _acquire(self) -> Instance:
        with self._cond:
            while not self._idle and self._count >= self.max_instances:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return self._start()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _release(self, instance: Instance | None) -> None:
        with self._cond:
            if instance is None:
                self._count -= 1
            else:
                self._idle.append(instance)
            self._cond.notify()

    def invoke(self, event: dict[str, Any]) -> Any:
        import json

        instance = self._acquire()
        deadline = time.monotonic() + self.spec.timeout_s
        try:
            instance.send(
                json.dumps(
                    {
                        "event": event,
                        "request_id": str(uuid.uuid4()),
                        "deadline_ms": time.time() * 1000 + self.spec.timeout_s * 1000,
                    }
                ).encode()
            )
            answer = instance.receive(deadline)
        except (InvocationError, OSError) as exc:
            failure = instance.failure(
                exc if isinstance(exc, InvocationError) else InvocationError("Runtime.ExitError", exc)
            )
            instance.kill()  # Lambda throws away an environment that timed out or crashed
            self._release(None)
            raise failure from exc
        instance.invocations += 1
        self.last_duration_ms = float(answer.get("duration_ms", 0.0))
        self._release(instance)
        if "error" in answer:
            raise InvocationError(answer["error"]["errorType"], answer["error"]["errorMessage"])
        return answer["result"]

    def stop(self) -> None:
        with self._cond:
            instances, self._idle = self._idle, []
            self._count -= len(instances)
        for instance in instances:
            instance.kill()


def log_file(path: Path | None) -> IO[bytes] | int:
    if path is None:
        return subprocess.DEVNULL
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")


def console() -> IO[bytes] | int:
    return sys.stderr.fileno()
