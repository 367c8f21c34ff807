"""Lambda's CPU share and memory, held for each local execution environment as Lambda holds them
(infrastructure/local/limits.py): a full vCPU while the handler is imported, then the memory
setting's share of one (512 MB: 0.29), and an environment stopped when it outgrows its memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.local import build, functions
from infrastructure.local.limits import PERIOD_US, cpu_share
from tests.deploy.probes import staged_probe

pytestmark = pytest.mark.integration

PROBE = """
import os, time

def _spin(ms):
    start = time.process_time()
    while time.process_time() - start < ms / 1000:
        pass

_spin(300)  # an INIT phase heavy on CPU: it runs on a full vCPU
HELD = []

def lambda_handler(event, context):
    if event.get("allocate_mb"):
        HELD.append(b"x" * (event["allocate_mb"] * 2**20))  # written, so really taken
    cpu, wall = time.process_time(), time.perf_counter()
    _spin(event.get("spin_ms", 0))
    return {
        "pid": os.getpid(),
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "wall_ms": (time.perf_counter() - wall) * 1000,
    }
"""


@pytest.fixture
def probe(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[functions.LambdaFunction]:
    """A function staged like the real ones, 512 MB as they are, in the stack's control groups."""
    root = tmp_path_factory.mktemp("limits-probe")
    artifacts = staged_probe(root, PROBE, stack.artifacts.layer)
    spec = functions.FunctionSpec(
        "LimitsProbe",
        "limits-probe",
        "arn:aws:lambda:local:limits-probe",
        "probe.app.lambda_handler",
        30,
        512,
        {},
    )
    function = functions.LambdaFunction(spec, artifacts, {}, limits=stack.limits)
    try:
        yield function
    finally:
        function.stop()
        build.make_writable(root)


def test_the_local_stack_holds_lambdas_limits(stack) -> None:
    """Where control groups cannot be made the stack runs without Lambda's limits: not a rehearsal."""
    assert stack.limits is not None, (
        "no control groups: the local stack does not hold Lambda's CPU and memory"
    )


def test_init_runs_on_a_full_vcpu_and_invocations_on_the_memorys_share(probe) -> None:
    spun = probe.invoke({"spin_ms": 300})
    (instance,) = probe._idle
    assert instance.box is not None
    assert instance.box.throttled_in_init == 0  # 300 ms of CPU while importing, never held back
    quota = int((instance.box.cpu / "cpu.cfs_quota_us").read_text())
    assert quota == round(PERIOD_US * 512 / 1769) == round(PERIOD_US * cpu_share(512))
    assert instance.box.throttled() > 0  # 300 ms of CPU at 29 ms per 100 ms period
    # so the invocation took at least twice its CPU time (3.5 times at 0.29 of a vCPU)
    assert spun["wall_ms"] >= 2 * spun["cpu_ms"] >= 2 * 300
    assert str(spun["pid"]) in (instance.box.cpu / "cgroup.procs").read_text().split()
    assert str(spun["pid"]) in (instance.box.memory / "cgroup.procs").read_text().split()
    assert int((instance.box.memory / "memory.limit_in_bytes").read_text()) == 512 * 2**20


def test_an_environment_that_outgrows_its_memory_is_stopped_and_the_next_starts_afresh(probe) -> None:
    first = probe.invoke({})
    with pytest.raises(functions.InvocationError) as stopped:
        probe.invoke({"allocate_mb": 600})
    assert stopped.value.kind == "Runtime.OutOfMemory"
    assert probe._idle == [] and probe._count == 0  # thrown away, its groups removed
    again = probe.invoke({"allocate_mb": 100})  # a new environment, with its own 512 MB
    assert again["pid"] != first["pid"]


def test_the_real_functions_run_in_their_groups_and_leave_none_behind(stack, invoke) -> None:
    assert invoke("GET", "/v1/scenes/cdcnf-2021").status == 200
    function = stack.functions["CalculateFunction"]
    boxes = [instance.box for instance in function._idle]
    assert boxes and all(box is not None for box in boxes)
    for box in boxes:
        assert box is not None
        assert box.memory_mb == function.spec.memory_mb
        assert int((box.cpu / "cpu.cfs_quota_us").read_text()) == round(
            PERIOD_US * cpu_share(function.spec.memory_mb)
        )
    function.stop()  # its environments are thrown away, and their groups with them
    assert not any(box is not None and (box.cpu.exists() or box.memory.exists()) for box in boxes)
