"""Writing a file whole or not at all: a temp file beside it, then a rename over it."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

TEMP_SUFFIX = ".tmp"
"""Temp files are named `.<name>.<random>.tmp` beside the file they replace (what a killed write leaves)."""
_NAME_BYTES = 200
"""The most of the target's name kept in a temp file's name, so the temp name stays within the 255-byte limit."""
_ATTEMPTS = 100
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def is_temp(name: str) -> bool:
    """True for the name of a temp file that write_atomic makes (one left by a killed process can be deleted)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def _create_temp(path: Path) -> tuple[int, Path]:
    """Create a new, empty temp file beside `path`: 0o666 less the umask, as a plain open() would make it."""
    stem = os.fsdecode(os.fsencode(path.name)[:_NAME_BYTES])
    for _ in range(_ATTEMPTS):
        tmp = path.with_name(f".{stem}.{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name beside {path}")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace (or create) the file `path` with `data` atomically: readers see the old file or the new, never half.

    An existing file keeps its permissions; a new one gets those a plain open() would give it (0o666 less the
    umask). On failure the old file is left as it was, the temp file is removed, and the error is raised.
    """
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp = _create_temp(path)
    try:
        with open(fd, "wb") as out:
            if mode is not None:
                with contextlib.suppress(OSError):  # a file system without permissions (FAT): nothing to keep
                    os.fchmod(out.fileno(), mode)
            out.write(data)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
