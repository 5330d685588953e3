"""`build.py import`: plain-text exports → native Markdown notes (FORMAT.md §1), so a doubtful split is fixed once.

Also the reverse, `export_plaintext`, which flattens a note the way the export tool does (FORMAT.md §3); the
accuracy bench and the tests use it to turn Markdown notes with known cells into exports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, warning
from signalkb.core.files import write_atomic
from signalkb.core.model import COLUMN_LABELS, COLUMNS, ParsedNote, RawRow
from signalkb.notes import readers, sources
from signalkb.notes.readers.plaintext import markdown_source, read_plaintext

_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def _paragraph(text: str) -> str:
    escaped = markdown_source(text)
    return _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def _columns(rows: Sequence[RawRow]) -> list[str]:
    extras: list[str] = []
    for row in rows:
        extras.extend(name for name, _ in row.extra if name not in extras)
    return [COLUMN_LABELS[c] for c in COLUMNS] + extras


def _table(rows: Sequence[RawRow]) -> list[str]:
    header = _columns(rows)
    body: list[list[str]] = []
    for row in rows:
        extra = dict(row.extra)
        cells = [row.cells[c].text for c in COLUMNS] + [extra[n].text if n in extra else "" for n in header[4:]]
        body.append([markdown_source(c) for c in cells])
    widths = [max([len(h), 3, *(len(r[k]) for r in body)]) for k, h in enumerate(header)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join(":" + "-" * (w + 1) for w in widths) + "|")
    lines.extend("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in body)
    return lines


def export_markdown(note: ParsedNote) -> str:
    """A note as a native Markdown note (FORMAT.md §1) that the Markdown reader reads back to the same note."""
    title = markdown_source(note.title).replace("#", "\\#")  # a trailing " #" would close the heading
    if note.date is not None:
        lines = [f"# __{title}__, from ([{note.date:%Y%m%d}]({note.issue or ''}).)", ""]
    else:
        lines = [f"# {title}", ""]
    if note.source:
        lines += [f"__[External link]({note.source})__", ""]
    lines += ["## Summary", ""]
    for paragraph in note.summary_text.split("\n"):
        if paragraph.strip():
            lines += [_paragraph(paragraph.strip()), ""]
    for name, items in (("Keywords", note.keywords), ("Themes", note.themes)):
        lines += [f"## {name}", "", *(f"* {markdown_source(i)}" for i in items)]
        lines += [""] if items else []
    lines += ["## Signals", ""]
    lines += [*_table(note.rows), ""] if note.rows else []
    lines += ["## Closest", "", *(f"* {markdown_source(c.label)}" for c in note.closest)]
    lines += [""] if note.closest else []
    if note.meta:
        lines += ["## Other", "", *(f"* {markdown_source(k)}: {markdown_source(v)}" for k, v in note.meta), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def export_plaintext(note: ParsedNote, collection: str = "Futures") -> str:
    """A note as the export tool writes it (FORMAT.md §3): sections as lines, table rows with cells joined by spaces."""
    date = f", from ({note.date:%Y%m%d}.)" if note.date else ""
    lines = [collection, "", f"{note.title}{date}", "", "External link", "", "Summary", ""]
    lines += [p for p in note.summary_text.split("\n") if p.strip()] + [""]
    for name, items in (("Keywords", note.keywords), ("Themes", note.themes)):
        lines += [name, "", *items] + ([""] if items else [])
    header = _columns(note.rows)
    lines += ["Signals", "", " ".join(header)]
    for row in note.rows:
        extra = dict(row.extra)
        cells = [row.cells[c].text for c in COLUMNS] + [extra[n].text if n in extra else "" for n in header[4:]]
        lines.append(" ".join(c for c in cells if c))
    lines += ["", "Closest", "", *(c.label for c in note.closest)]
    return "\n".join(lines) + "\n"


def _context(content_dir: Path | None, skip: set[Path]) -> list[ParsedNote]:
    """The other notes of the knowledge base, read so their evidence helps the split (their problems are not shown)."""
    if content_dir is None or not content_dir.is_dir():
        return []
    found, _ = sources.discover(content_dir, str(content_dir))
    notes = []
    for source in found:
        if source.path.resolve() not in skip:
            note, _ = readers.read_note(source)
            if note is not None:
                notes.append(note)
    return notes


def import_files(
    paths: Sequence[Path], to_dir: Path | None = None, content_dir: Path | None = None, *, overwrite: bool = False
) -> tuple[list[Path], list[Diagnostic]]:
    """Write each export as `<name>.md` in `to_dir` (default: beside the export); returns the files written.

    The notes of `content_dir` lend their evidence, as in a build, so the Markdown note holds the cells the
    build would have read from the export. An existing Markdown file is not replaced unless `overwrite`.
    """
    diagnostics: list[Diagnostic] = []
    imported: list[tuple[Path, ParsedNote]] = []
    for path in paths:
        display = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            diagnostics.append(error(f"cannot read file: {exc.strerror}", SourceLocation(display)))
            continue
        text, problem = sources.decode(data, display)
        if problem is not None:
            diagnostics.append(problem)
        if text is None:
            continue
        note, problems = read_plaintext(sources.SourceFile(path, path.name, display, text, ""))
        diagnostics.extend(problems)
        if note is not None:
            imported.append((path, note))
    context = _context(content_dir, {p.resolve() for p, _ in imported})
    finished, problems = readers.finish([*context, *(n for _, n in imported)])
    mine = {note.display_path for _, note in imported}
    diagnostics.extend(p for p in problems if p.location is not None and p.location.path in mine)
    written: list[Path] = []
    for (path, _), note in zip(imported, finished[len(context) :], strict=True):
        target = (to_dir if to_dir is not None else path.parent) / f"{path.stem}.md"
        if target.exists() and not overwrite:
            diagnostics.append(
                error(
                    f"{target} exists and is not replaced", SourceLocation(str(path)), "delete it or pick another --to"
                )
            )
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, export_markdown(note).encode("utf-8"))
        except OSError as exc:
            diagnostics.append(
                error(
                    f"cannot write {target}: {exc.strerror or exc}",
                    SourceLocation(str(path)),
                    "check free space and the folder's permissions, or pick another --to",
                )
            )
            continue
        written.append(target)
        if target.parent.resolve() == path.parent.resolve() or (
            content_dir is not None and content_dir.resolve() in path.resolve().parents
        ):
            diagnostics.append(
                warning(
                    f"wrote {target}; remove the export, or the note is built twice",
                    SourceLocation(str(path)),
                    "correct any doubtful row in the Markdown note",
                )
            )
    return written, diagnostics
