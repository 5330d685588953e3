#!/usr/bin/env python3
"""Share of real table rows recovered exactly from plain-text exports.

The real notes in ../shared/examples/real-notes are the Markdown originals of exports like the seed. Each is
flattened the way the export tool does (FORMAT.md §3) and read back by the plain-text reader, alone (the
export only) and in a knowledge base (`readers.finish` with the other real notes as Markdown, leave one out).
Usage: `python bench/plaintext_accuracy.py [NOTES_DIR]`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signalkb.core.diagnostics import Diagnostic  # noqa: E402
from signalkb.core.model import COLUMNS, ParsedNote  # noqa: E402
from signalkb.notes import readers  # noqa: E402
from signalkb.notes.importer import export_plaintext  # noqa: E402
from signalkb.notes.readers.markdown import read_markdown  # noqa: E402
from signalkb.notes.readers.plaintext import read_plaintext  # noqa: E402
from signalkb.notes.sources import SourceFile  # noqa: E402

DEFAULT_NOTES = ROOT / ".." / "shared" / "examples" / "real-notes"


def load_notes(folder: Path) -> list[ParsedNote]:
    """The Markdown notes of a folder, read by the Markdown reader (their rows are the known cells)."""
    if not folder.is_dir():
        raise SystemExit(f"real notes not found at {folder}")
    notes = []
    for path in sorted(folder.glob("*.md")):
        note, _ = read_markdown(SourceFile(path, path.name, str(path), path.read_text(encoding="utf-8"), ""))
        assert note is not None, path
        notes.append(note)
    return notes


def cells(note: ParsedNote) -> list[tuple[str, ...]]:
    """Each row's four cells as text."""
    return [tuple(row.cells[c].text for c in COLUMNS) for row in note.rows]


def flattened(note: ParsedNote) -> tuple[ParsedNote, list[Diagnostic]]:
    """The note as its export reads back, with the reader's diagnostics."""
    name = Path(note.path).stem + ".txt"
    parsed, diagnostics = read_plaintext(SourceFile(Path(name), name, name, export_plaintext(note), ""))
    assert parsed is not None
    return parsed, diagnostics


@dataclass
class Result:
    """Rows exact, rows in all, rows warned about, and the inexact rows as (note, expected, got, warned)."""

    exact: int = 0
    total: int = 0
    warned: int = 0
    misses: list[tuple[str, tuple[str, ...], tuple[str, ...], bool]] = field(default_factory=list)


def measure(notes: list[ParsedNote], with_kb: bool) -> Result:
    """Read every note's export back, alone or with the other notes as the knowledge base (leave one out)."""
    result = Result()
    for k, note in enumerate(notes):
        export, diagnostics = flattened(note)
        if with_kb:
            done, more = readers.finish([*notes[:k], *notes[k + 1 :], export])
            export, diagnostics = done[-1], diagnostics + more
        warned_lines = {d.location.line for d in diagnostics if d.location and "columns" in d.message}
        for want, row in zip(cells(note), export.rows, strict=True):
            got = tuple(row.cells[c].text for c in COLUMNS)
            warned = row.loc.line in warned_lines
            result.total += 1
            result.exact += got == want
            result.warned += warned
            if got != want:
                result.misses.append((note.path, want, got, warned))
    return result


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT_NOTES
    notes = load_notes(folder)
    for label, with_kb in (("export alone", False), ("with the other notes (readers.finish)", True)):
        r = measure(notes, with_kb)
        print(f"{label}: {r.exact}/{r.total} rows exact ({100 * r.exact / r.total:.1f}%), {r.warned} rows warned about")
        for path, want, got, warned in r.misses:
            print(f"  {path}: {'warned' if warned else 'NOT WARNED'}")
            print(f"    want: {' | '.join(want)}")
            print(f"    got:  {' | '.join(got)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
