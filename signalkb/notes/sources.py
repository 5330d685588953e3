"""Finding and reading input files: note files in the content folder, UTF-8 with BOM and CRLF handled."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from signalkb.core.diagnostics import Diagnostic, SourceLocation, error

NOTE_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
"""File endings read as notes."""

_TEMP_NAME = re.compile(r"(~|\.swp|\.swx|\.swo|\.tmp|\.bak|___jb_tmp___|___jb_old___)$|^\.#|^#.*#$|^4913$")


def is_temp_file(name: str) -> bool:
    """True for files editors and tools leave behind (`.#x`, `x~`, `x.swp`, `4913`, `x___jb_tmp___`) and dotfiles."""
    return name.startswith(".") or bool(_TEMP_NAME.search(name))


@dataclass(frozen=True)
class SourceFile:
    """One input file: where it is, how to name it in messages, its text and its content hash."""

    path: Path
    rel_path: str
    """Relative to the content folder, `/`-separated; the note's identity in the cache and in signals.json."""
    display_path: str
    """How messages name it (`content/x.md`)."""
    text: str
    digest: str
    stamp: tuple[int, int, int] = (0, 0, 0)
    """The file's modification time (ns), size and inode when it was read: the same stamp, the same bytes."""


def _stamp(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _walk(root: Path) -> Iterator[tuple[str, str]]:
    """(path, path relative to `root` with `/`) of every note file, sorted (plain strings: this runs on every build)."""
    top = os.fspath(root)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        prefix = os.path.relpath(dirpath, top).replace(os.sep, "/") + "/"
        prefix = "" if prefix == "./" else prefix
        for name in sorted(filenames):
            if (
                not is_temp_file(name)
                and not name.startswith("_")
                and os.path.splitext(name)[1].lower() in NOTE_SUFFIXES
            ):
                yield os.path.join(dirpath, name), prefix + name


def decode(data: bytes, display_path: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 text with BOM removed and line endings made `\\n`, or an error naming the file and line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, error(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); the note is skipped",
            SourceLocation(display_path, line),
            "save the file as UTF-8",
        )
    if "\x00" in text:
        return None, error(
            "binary file (contains NUL bytes); the note is skipped",
            SourceLocation(display_path, text[: text.index("\x00")].count("\n") + 1),
            "remove it from the content folder or save it as UTF-8 text",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def discover(
    content_dir: Path, display_root: str, known: Mapping[str, SourceFile] | None = None
) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every note file under `content_dir`, sorted by relative path; files that cannot be read give errors.

    A file of `known` (by relative path) whose stamp has not changed is taken as it is, without reading it.
    """
    sources: list[SourceFile] = []
    diagnostics: list[Diagnostic] = []
    for name, rel in _walk(content_dir):
        display = f"{display_root.rstrip('/')}/{rel}" if display_root else rel
        seen = known.get(rel) if known is not None else None
        try:
            if seen is not None and seen.display_path == display and seen.stamp == _stamp(os.stat(name)):
                sources.append(seen)
                continue
            with open(name, "rb") as handle:
                stamp = _stamp(os.fstat(handle.fileno()))
                data = handle.read()
        except OSError as exc:
            diagnostics.append(error(f"cannot read file: {exc.strerror}", SourceLocation(display)))
            continue
        text, problem = decode(data, display)
        if problem is not None:
            diagnostics.append(problem)
        if text is not None:
            digest = hashlib.blake2b(data, digest_size=16).hexdigest()
            sources.append(SourceFile(Path(name), rel, display, text, digest, stamp))
    return sources, diagnostics


def read_optional(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of an optional input file such as forces.yaml; None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        return None, [error(f"cannot read file: {exc.strerror}", SourceLocation(display))]
    text, problem = decode(data, display)
    return text, [problem] if problem else []
