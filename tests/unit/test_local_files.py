"""The files `make run` writes beside its data (stack.json, ssm.json): their owner's only, from the
moment they exist, in a folder only their owner can enter."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.local.run import write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: what a file is created with is then exactly what it gets."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_file_and_its_new_folder_are_the_owners_only(tmp_path: Path, open_umask: None) -> None:
    stack_file = tmp_path / "local" / "data" / "stack.json"
    write_private(stack_file, '{"TABLE_NAME": "t"}')
    assert mode(stack_file) == 0o600
    assert mode(stack_file.parent) == 0o700
    assert stack_file.read_text() == '{"TABLE_NAME": "t"}'


def test_an_open_folder_is_closed(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    write_private(data / "ssm.json", "[]")
    assert mode(data) == 0o700 and mode(data / "ssm.json") == 0o600


def test_a_file_others_could_read_is_replaced_never_written_in_place(
    tmp_path: Path, open_umask: None
) -> None:
    # Given a stack.json from an older run that anyone could read (and a second name for it)
    stack_file = tmp_path / "stack.json"
    stack_file.write_text("old")
    stack_file.chmod(0o644)
    old_inode = tmp_path / "old-inode"
    os.link(stack_file, old_inode)
    # When the run writes its new contents
    write_private(stack_file, "new secret-free contents")
    # Then they went into a new file made 0600, never into the readable one
    assert mode(stack_file) == 0o600 and stack_file.read_text() == "new secret-free contents"
    assert old_inode.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old-inode", "stack.json"]  # no scratch left
