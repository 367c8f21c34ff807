"""Probe functions: a handler a test writes, staged as the real functions are (read-only code in a
task folder of its own, beside the stack's built layer), so it sees and is held to what they are."""

from __future__ import annotations

import textwrap
from pathlib import Path

from infrastructure.local import build


def staged_probe(root: Path, source: str, layer: Path) -> build.Artifacts:
    """Stages `source` as `probe.app` under `root`; `build.make_writable(root)` undoes it."""
    (root / "task" / "probe").mkdir(parents=True)
    (root / "task" / "probe" / "__init__.py").write_text("")
    (root / "task" / "probe" / "app.py").write_text(textwrap.dedent(source))
    root.chmod(0o755)
    build.make_read_only(root / "task")
    return build.Artifacts(root, root / "task", layer)
