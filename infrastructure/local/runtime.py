"""One Lambda execution environment: a process that imports a handler and serves invocations.

Started as `python -I -S runtime.py ...` (no site-packages, no PYTHON* variables, no working
folder on the path), so it sees what Lambda's python3.12 sees: the standard library, the function
code (/var/task) and the layer (/opt/python), nothing from the project's venv or source tree.
Run as root, it first drops the capabilities that let root write read-only files, so the staged
code stays read-only for it as Lambda's file system is.

It speaks to the local runtime over two pipes: length-prefixed JSON, one invocation at a time.
Its stdout and stderr are the function's log, as Lambda sends them to CloudWatch.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time
import traceback
import uuid
from decimal import Decimal
from typing import Any

# Linux capabilities that would let a root process write or read files regardless of their mode.
_PR_CAPBSET_DROP = 24
_FILE_CAPABILITIES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
DROPPED_FLAG = "--capabilities-dropped"


def drop_file_capabilities() -> None:
    """Takes the file capabilities out of the bounding set, then executes this program again:
    root keeps its uid but gets only what the bounding set allows, like any other user."""
    if os.geteuid() != 0 or DROPPED_FLAG in sys.argv:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _FILE_CAPABILITIES:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(
                ctypes.get_errno(), "could not drop file capabilities; run the tests as a normal user"
            )
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:], DROPPED_FLAG])  # noqa: S606 - the same program again


class Context:
    """The context object Lambda passes to handlers."""

    def __init__(self, deadline_ms: float, request_id: str) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self.aws_request_id = request_id
        self.identity = self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _read(stream: Any) -> Any:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return json.loads(stream.read(size))


def _write(stream: Any, message: Any) -> None:
    data = json.dumps(message, default=_lambda_json).encode()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _lambda_json(value: Any) -> Any:
    """What Lambda's runtime can serialize beyond plain JSON: Decimal, as numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def main(argv: list[str]) -> int:
    drop_file_capabilities()
    args = dict(zip(argv[0::2], argv[1::2], strict=False))
    task, layer, handler_name = args["--task"], args["--layer"], args["--handler"]
    requests, answers = os.fdopen(int(args["--in"]), "rb"), os.fdopen(int(args["--out"]), "wb")
    sys.path[:0] = [task, layer]  # Lambda's order: the function's code, then its layers
    os.chdir(task)
    started = time.perf_counter()
    try:
        module_name, attr = handler_name.rsplit(".", 1)
        module = __import__(module_name, fromlist=[attr])
        handler = getattr(module, attr)
    except Exception as exc:  # noqa: BLE001 - an init error is reported like Lambda's Runtime.ImportModuleError
        traceback.print_exc()
        _write(answers, {"init_error": _error(exc)})
        return 1
    _write(answers, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000})
    while True:
        request = _read(requests)
        if request is None:
            return 0
        context = Context(request["deadline_ms"], request.get("request_id") or str(uuid.uuid4()))
        started = time.perf_counter()
        try:
            result = handler(request["event"], context)
            answer = {"result": result}
            json.dumps(result, default=_lambda_json)  # an unserializable result is the function's error
        except Exception as exc:  # noqa: BLE001 - an unhandled error is the invocation's result, as on Lambda
            traceback.print_exc()
            answer = {"error": _error(exc)}
        answer["duration_ms"] = (time.perf_counter() - started) * 1000
        sys.stdout.flush()
        sys.stderr.flush()
        _write(answers, answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
