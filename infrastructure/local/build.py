"""Builds what Lambda loads, with the recipes `sam build` uses, and stages it read-only.

- The layer: shared/Makefile's targets, for this machine's architecture (an x86_64 build of the
  same pinned layer runs here; `make build` makes the arm64 one that deploys). Its dependencies
  are cached under .local/build by the pins and recipe they come from.
- The functions: functions/Makefile's target.

Both are staged together, as /var/task and /opt/python are on Lambda, with every file and folder
read-only, so a function that writes beside its code, a module missing from the layer, or a
version the venv has and the layer has not, fails here as it would on AWS.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from infrastructure.template import ROOT

BUILD = ROOT / ".local" / "build"
LAMBDA_PYTHON_VERSION = (3, 12)


@dataclass(frozen=True)
class Artifacts:
    root: Path
    task: Path  # what Lambda unpacks at /var/task
    layer: Path  # what Lambda unpacks at /opt/python

    def remove(self) -> None:
        make_writable(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


def lambda_python() -> str:
    """An interpreter of Lambda's Python version (bytecode is only valid for its own version)."""
    if sys.version_info[:2] == LAMBDA_PYTHON_VERSION:
        return sys.executable
    name = "python{}.{}".format(*LAMBDA_PYTHON_VERSION)
    found = shutil.which(name) or next(
        iter(sorted(Path.home().glob(f".pyenv/versions/3.12*/bin/{name}"))), None
    )
    if not found:
        raise FileNotFoundError(f"the local rehearsal needs {name}, the version Lambda runs")
    return str(found)


def platforms() -> str:
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    return f"--platform manylinux_2_28_{arch} --platform manylinux2014_{arch}"


def _make(directory: Path, target: str, artifacts: Path, python: str, **variables: str) -> None:
    args = [f"{k}={v}" for k, v in {"ARTIFACTS_DIR": str(artifacts), "PYTHON": python, **variables}.items()]
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(directory), target, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"make {target} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


def dependencies(python: str) -> Path:
    """The layer's pinned dependencies for this machine, built once per set of pins."""
    recipe = [(ROOT / "shared" / f).read_bytes() for f in ("requirements.txt", "Makefile")]
    key = hashlib.sha256(b"\0".join([*recipe, platforms().encode(), python.encode()])).hexdigest()[:16]
    target = BUILD / "dependencies" / key
    if (target / "python").is_dir():
        return target / "python"
    scratch = Path(tempfile.mkdtemp(prefix="deps-", dir=_mkdir(BUILD / "dependencies")))
    _make(ROOT / "shared", "layer-dependencies", scratch, python, PLATFORMS=platforms())
    scratch.rename(target)
    return target / "python"


def stage() -> Artifacts:
    """A fresh, read-only copy of the function code and the layer, as Lambda would unpack them."""
    python = lambda_python()
    deps = dependencies(python)
    root = Path(tempfile.mkdtemp(prefix="lambda-", dir=_mkdir(BUILD / "staged")))
    root.chmod(0o755)
    layer_root = root / "opt"
    _link_tree(deps, layer_root / "python")
    _make(ROOT / "shared", "layer-package", layer_root, python)
    _make(ROOT / "functions", "build-CalculateFunction", root / "task", python)
    artifacts = Artifacts(root, root / "task", layer_root / "python")
    make_read_only(root)
    return artifacts


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _link_tree(source: Path, target: Path) -> None:
    """A copy that shares the files' contents (hard links) where the file system allows it."""
    try:
        shutil.copytree(source, target, copy_function=os.link)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def make_read_only(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222 | 0o444)
        Path(folder).chmod(0o555)


def make_writable(root: Path) -> None:
    for folder, _dirs, _files in os.walk(root):
        Path(folder).chmod(0o755)
