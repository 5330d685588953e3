"""core/files.py: a file is replaced whole or not at all, and keeps the permissions it had."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from signalkb.core.files import write_atomic


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run with the process umask set to `mask`."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past `limit` bytes fail with "File too large", as on a full disk (works for root too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_the_mode_a_plain_open_gives(tmp_path: Path, mask: int) -> None:
    with umask(mask):
        write_atomic(tmp_path / "new.md", b"text")
        (tmp_path / "by-hand.md").write_bytes(b"text")
    assert mode(tmp_path / "new.md") == mode(tmp_path / "by-hand.md") == 0o666 & ~mask
    assert (tmp_path / "new.md").read_bytes() == b"text"


@pytest.mark.parametrize("kept", [0o600, 0o640, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, kept: int) -> None:
    path = tmp_path / "permalinks.yaml"
    path.write_bytes(b"old")
    path.chmod(kept)
    with umask(0o022):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert mode(path) == kept


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.pickle"
    path.write_bytes(b"the old cache")
    path.chmod(0o640)
    with file_size_limit(100_000), pytest.raises(OSError, match="too large"):
        write_atomic(path, b"x" * 1_000_000)
    assert path.read_bytes() == b"the old cache"
    assert mode(path) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.pickle"], "a temp file was left behind"


def test_a_failed_write_of_a_new_file_leaves_nothing(tmp_path: Path) -> None:
    with file_size_limit(100_000), pytest.raises(OSError):
        write_atomic(tmp_path / "new.md", b"x" * 1_000_000)
    assert list(tmp_path.iterdir()) == []


def test_a_long_name_still_gets_a_temp_file(tmp_path: Path) -> None:
    path = tmp_path / ("é" * 120 + ".md")  # 243 bytes: ".<name>.<random>.tmp" would pass the 255-byte limit
    write_atomic(path, b"text")
    write_atomic(path, b"again")
    assert path.read_bytes() == b"again"
    assert list(tmp_path.iterdir()) == [path]
