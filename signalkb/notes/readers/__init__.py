"""Note readers: one per file format, chosen by the file's ending."""

from __future__ import annotations

from signalkb.core.diagnostics import Diagnostic
from signalkb.core.model import ParsedNote
from signalkb.notes.readers.markdown import read_markdown
from signalkb.notes.sources import SourceFile


def read_note(source: SourceFile) -> tuple[ParsedNote | None, list[Diagnostic]]:
    """Read one note file of any supported format; None when nothing usable could be read."""
    if source.rel_path.lower().endswith(".txt"):
        from signalkb.notes.readers.plaintext import read_plaintext

        return read_plaintext(source)
    return read_markdown(source)


def finish(notes: list[ParsedNote]) -> tuple[list[ParsedNote], list[Diagnostic]]:
    """A second pass over all notes once every file is read, for readers that need the whole knowledge base.

    Plain-text exports use it to choose table-cell splits with evidence from the other notes.
    """
    if not any(note.kind == "plain-text" for note in notes):
        return notes, []
    from signalkb.notes.readers.plaintext import knowledge_base_evidence, resplit

    kb = knowledge_base_evidence(notes)
    out: list[ParsedNote] = []
    diagnostics: list[Diagnostic] = []
    for note in notes:
        done, problems = resplit(note, kb)
        out.append(done)
        diagnostics.extend(problems)
    return out, diagnostics
