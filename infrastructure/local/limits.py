"""Lambda's CPU and memory limits, held for each local execution environment by Linux control
groups (cgroup v1: a `cpu` and a `memory` group per environment).

What Lambda enforces (AWS Lambda Developer Guide, "Configuring Lambda function memory"): CPU in
proportion to the memory setting, 1,769 MB being one vCPU, so 512 MB is 0.29 of one and 1,024 MB
0.58; an on-demand environment's INIT phase runs on a full vCPU, and each invocation at the memory's
share; an environment that outgrows its memory is stopped (`Runtime.OutOfMemory`) and the next
invocation starts a new one. Here each environment's `cpu` group allows one vCPU (a full core of
this machine) while the handler is imported, then the memory's share of it per 100 ms period, and
its `memory` group stops the process past its memory setting (no swap).

Control groups need root and cgroup v1's `cpu` and `memory` controllers, as on the machines this
project is built and tested on. Where they cannot be made, the stack runs without these limits
and says so once; the tests that check the limits fail there.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CGROUPS = Path("/sys/fs/cgroup")
VCPU_MB = 1769  # the memory setting that buys one vCPU
PERIOD_US = 100_000  # the CFS period the shares are counted in
_PREFIX = "carbon-neutral-local-"


def cpu_share(memory_mb: int) -> float:
    """The part of one vCPU an invocation gets with this memory setting."""
    return memory_mb / VCPU_MB


def _own_group(controller: str) -> Path:
    """This process's group under `controller`: the stacks' groups go inside it."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return CGROUPS / controller / path.lstrip("/")
    raise OSError(f"no cgroup v1 {controller} controller")


def _remove(group: Path) -> None:
    """rmdir a group, waiting briefly for a killed process to leave it."""
    for _ in range(50):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


@dataclass
class Box:
    """The cpu and memory groups of one execution environment."""

    cpu: Path
    memory: Path
    memory_mb: int
    throttled_in_init: int = 0  # CFS periods the INIT phase was held back in (0: it had its vCPU)

    def hold(self, pid: int) -> None:
        """Puts the process in its groups: its memory limit, and a full vCPU for its INIT phase."""
        (self.memory / "memory.limit_in_bytes").write_text(str(self.memory_mb * 2**20))
        swap = self.memory / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(self.memory_mb * 2**20))
        (self.cpu / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.cpu / "cpu.cfs_quota_us").write_text(str(PERIOD_US))
        for group in (self.memory, self.cpu):
            (group / "cgroup.procs").write_text(str(pid))

    def invoking(self) -> None:
        """From now on the environment gets its memory's share of a vCPU."""
        self.throttled_in_init = self.throttled()
        quota = max(1000, round(PERIOD_US * cpu_share(self.memory_mb)))
        (self.cpu / "cpu.cfs_quota_us").write_text(str(quota))

    def throttled(self) -> int:
        """How many CFS periods the environment has been held back in so far."""
        for line in (self.cpu / "cpu.stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "nr_throttled":
                return int(value)
        return 0

    def out_of_memory(self) -> bool:
        """Whether the kernel stopped a process of this environment for its memory."""
        with contextlib.suppress(OSError):
            for line in (self.memory / "memory.oom_control").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "oom_kill" and int(value) > 0:
                    return True
        return False

    def remove(self) -> None:
        for group in (self.cpu, self.memory):
            _remove(group)


@dataclass
class Limits:
    """One stack's groups: a parent per controller, a Box per execution environment."""

    cpu: Path
    memory: Path

    @classmethod
    def start(cls) -> Limits | None:
        """The stack's groups, or None (said once on stderr) where they cannot be made."""
        try:
            name = f"{_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
            parents = [_own_group(controller) for controller in ("cpu", "memory")]
            for parent in parents:
                _sweep(parent)
            cpu, memory = _make_pair(*(parent / name for parent in parents))
        except OSError as exc:
            print(
                f"local stack: Lambda's CPU and memory limits are NOT held (no control groups: {exc})",
                file=sys.stderr,
            )
            return None
        return cls(cpu, memory)

    def box(self, label: str, memory_mb: int) -> Box:
        name = f"{label}-{secrets.token_hex(3)}"
        return Box(*_make_pair(self.cpu / name, self.memory / name), memory_mb)

    def stop(self) -> None:
        for parent in (self.cpu, self.memory):
            for group in [p for p in parent.iterdir() if p.is_dir()] if parent.exists() else []:
                _remove(group)
            _remove(parent)


def _make_pair(cpu: Path, memory: Path) -> tuple[Path, Path]:
    """Makes a cpu and a memory group, both or neither."""
    cpu.mkdir()
    try:
        memory.mkdir()
    except OSError:
        cpu.rmdir()
        raise
    return cpu, memory


def _sweep(parent: Path) -> None:
    """Removes the empty groups a stack whose process is gone left behind (a test run killed)."""
    for stale in parent.glob(f"{_PREFIX}*"):
        pid = stale.name.removeprefix(_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            for group in [p for p in stale.iterdir() if p.is_dir()]:
                with contextlib.suppress(OSError):
                    group.rmdir()
            with contextlib.suppress(OSError):
                stale.rmdir()
