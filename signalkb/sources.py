"""Finding and reading input files: note files in the content folder, UTF-8 with BOM and CRLF handled."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, SourceLocation, error

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


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if not is_temp_file(name) and not name.startswith("_") and Path(name).suffix.lower() in NOTE_SUFFIXES:
                yield Path(dirpath) / name


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


def discover(content_dir: Path, display_root: str) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every note file under `content_dir`, sorted by relative path; files that cannot be read give errors."""
    sources: list[SourceFile] = []
    diagnostics: list[Diagnostic] = []
    for path in _walk(content_dir):
        rel = path.relative_to(content_dir).as_posix()
        display = f"{display_root.rstrip('/')}/{rel}" if display_root else rel
        try:
            data = path.read_bytes()
        except OSError as exc:
            diagnostics.append(error(f"cannot read file: {exc.strerror}", SourceLocation(display)))
            continue
        text, problem = decode(data, display)
        if problem is not None:
            diagnostics.append(problem)
        if text is not None:
            sources.append(SourceFile(path, rel, display, text, hashlib.blake2b(data, digest_size=16).hexdigest()))
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
