"""Plain-text exports (FORMAT.md §3) → ParsedNote; the signal table's lost column separators are recovered.

An export is a note's web page copied as text: the collection name, `TITLE, from (YYYYMMDD.)`, `External
link`, then the sections Summary, Keywords, Themes, Signals (a header line, then one line per row) and
Closest, each a heading line followed by its lines. Sections may be missing or in another order. Table rows
are split into cells by `cellsplit`, with evidence from the note itself (names in its summary, the shapes of
its other rows); `readers.finish` may split them again with evidence from the whole knowledge base.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from signalkb.core.diagnostics import Diagnostic, SourceLocation, warning
from signalkb.core.model import COLUMN_LABELS, COLUMNS, ClosestRef, ParsedNote, RawRow
from signalkb.notes import cellsplit, markup, table
from signalkb.notes.cellsplit import ColumnModel, Evidence, Recovery
from signalkb.notes.readers.common import check_date, clean_items, split_items
from signalkb.notes.readers.markdown import KNOWN_SECTIONS
from signalkb.notes.sources import SourceFile

SECTIONS = {name: section for name, section in KNOWN_SECTIONS.items() if section != "other"}
"""Heading lines of an export (case-insensitive, a trailing colon allowed) → section."""

EXTRA_COLUMNS = frozenset({"description", "relevancy", "relevance"})
"""Header words of known extra columns (the six-column tables of later notes)."""

NEIGHBOURS = 50
"""How many other rows of its table (the nearest) a row learns column shapes from: all of them in real notes,
and a bounded number in a huge table, whose rows would otherwise take time growing with the square of their count."""

FIX_HINT = "check the row; `python build.py import FILE` writes the note as Markdown, where a wrong split is fixed once"

_TITLE = re.compile(
    r"^(?P<title>.*?)[\s,]*\(?\s*from\s+(?:page\s+)?\(?\s*(?P<date>\d{8}|\d{4}-\d{2}-\d{2})\s*\.?\s*\)?\s*\.?\s*\)?\s*\.?$",
    re.IGNORECASE,
)
_EXTERNAL = re.compile(r"^external\s+link\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[*•·‣◦-]|\d{1,3}[.)])\s+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")


def markdown_source(text: str) -> str:
    """Plain text as inline Markdown that reads back as the same text (`*`, `_`, `|` ... escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def section_of(line: str) -> str | None:
    """The section a heading line opens, or None for an ordinary line."""
    return SECTIONS.get(" ".join(line.strip().rstrip(":").casefold().split()))


@dataclass
class _Layout:
    """An export cut into its parts: line indices of the preamble and of each section's body."""

    preamble: list[int] = field(default_factory=list)
    sections: dict[str, list[int]] = field(default_factory=dict)
    headings: dict[str, int] = field(default_factory=dict)


def _layout(lines: Sequence[str]) -> tuple[_Layout, list[tuple[str, int]]]:
    layout = _Layout()
    repeats: list[tuple[str, int]] = []
    current: list[int] = layout.preamble
    for i, line in enumerate(lines):
        name = section_of(line)
        if name is None:
            current.append(i)
        elif name in layout.sections:
            repeats.append((name, i))
            current = layout.sections[name]
        else:
            layout.headings[name] = i
            current = layout.sections[name] = []
    return layout, repeats


# ---------------------------------------------------------------------------------------------- header


def header_names(line: str) -> tuple[list[str], bool] | None:
    """The column names of a header line and whether it names all four columns; None if it is no header.

    Separators are used where they survived; otherwise the words are grouped into recognised column names
    (`10y horizon`, `Driving forces`, `name`, `description`, ...).
    """
    pieces = cellsplit.explicit_pieces(line)
    if not 2 <= len(line.split()) <= 16:
        return None
    groups = [group for piece in pieces for group in _name_groups(piece.split())]
    keys = [table.canonical_column(g) for g in groups]
    found = {k for k in keys if k}
    if len(found) < 2:
        return None
    complete = found == set(COLUMNS) and len(found) == sum(1 for k in keys if k)
    complete = complete and all(k or g.casefold() in EXTRA_COLUMNS for g, k in zip(groups, keys, strict=True))
    return groups, complete


def _name_groups(words: Sequence[str]) -> list[str]:
    """The words of a header grouped into as many recognised column names as possible (`10y horizon` is one)."""
    best: tuple[float, list[str]] | None = None
    for cuts in _segmentations(len(words)):
        groups = [" ".join(words[a:b]) for a, b in itertools.pairwise((0, *cuts, len(words)))]
        keys = [table.canonical_column(g) for g in groups]
        known = [k for k in keys if k]
        extras = sum(1 for g, k in zip(groups, keys, strict=True) if k is None and g.casefold() in EXTRA_COLUMNS)
        unknown = len(groups) - len(known) - extras
        score = 10 * len(set(known)) - 10 * (len(known) - len(set(known))) + 2 * extras - 10 * unknown - len(groups)
        if best is None or score > best[0]:
            best = (score, groups)
    return best[1] if best is not None else []


def _segmentations(n: int) -> list[tuple[int, ...]]:
    """Every way to cut n words into groups of at most four words, as cut positions."""
    out: list[tuple[int, ...]] = []

    def walk(start: int, cuts: tuple[int, ...]) -> None:
        if start == n:
            out.append(cuts[:-1])
            return
        for size in range(1, min(4, n - start) + 1):
            walk(start + size, (*cuts, start + size))

    walk(0, ())
    return out


def column_name(header: table.Header, index: int) -> str:
    """The name under which cellsplit models column `index`: its canonical key or its folded header name."""
    key = header.keys[index]
    return key if key is not None else header.names[index].casefold()


# ---------------------------------------------------------------------------------------------- evidence


def note_evidence(
    title: str, summary: str, keywords: Sequence[str], themes: Sequence[str], rows: Sequence[str]
) -> Evidence:
    """What the note itself says about its words: names in its summary and title, lower-case words everywhere."""
    prose = [p for p in summary.split("\n") if p.strip()]
    title_words = title.split()
    sentence_case = sum(1 for w in title_words[1:] if w[:1].islower() and len(w) > 3) >= 2
    ev = cellsplit.prose_evidence([*prose, title] if sentence_case else prose)
    if not sentence_case:
        cellsplit.prose_evidence([" ".join(w for w in title_words if w[:1].islower())], ev)
    lower_keywords = sum(1 for k in keywords if k[:1].islower()) * 2 >= len(keywords)
    for item in keywords:
        cellsplit.prose_evidence([("x " + item) if lower_keywords else item], ev)
    for item in themes:
        cellsplit.prose_evidence([item], ev)
    return cellsplit.cell_evidence(rows, ev, whole=False)


def recover_rows(
    lines: Sequence[str], names: Sequence[str], evidence: Evidence, base: Sequence[ColumnModel] | None = None
) -> list[tuple[Recovery, list[ColumnModel]]]:
    """Split every row of one table, each with the column models used for it.

    A second pass learns the table's own column shapes from the first-pass splits of the other rows.
    """
    columns = list(base) if base is not None else [cellsplit.prior_column(n) for n in names]
    first = [cellsplit.recover(line, columns, evidence) for line in lines]
    if len(lines) < 2:
        return [(r, columns) for r in first]
    out: list[tuple[Recovery, list[ColumnModel]]] = []
    for i, line in enumerate(lines):
        start = max(0, min(i - NEIGHBOURS // 2, len(lines) - NEIGHBOURS - 1))
        window = range(start, min(len(lines), start + NEIGHBOURS + 1))
        others = [first[j].cells for j in window if j != i and len(first[j].cells) == len(names)]
        models = cellsplit.learn_columns(names, others, columns)
        out.append((cellsplit.recover(line, models, evidence), models))
    return out


def doubt(recovery: Recovery, width: int) -> str | None:
    """The warning a doubtful recovery deserves, or None when it is sure."""
    chosen = " | ".join(recovery.cells)
    if recovery.how == "short":
        return f'row has fewer words than the table has columns; read as "{chosen}"'
    if recovery.how == "few-starts":
        return f'row has fewer than {width} capitalised words, so its columns are a guess; chose "{chosen}"'
    if recovery.doubtful:
        return f'ambiguous columns, chose "{chosen}" (next best: "{" | ".join(recovery.runner_up or ())}")'
    return None


# ---------------------------------------------------------------------------------------------- reader


class _Reader:
    """Reads one export; collects diagnostics as it goes."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.lines = source.text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.diagnostics: list[Diagnostic] = []

    def loc(self, index: int | None) -> SourceLocation:
        return SourceLocation(self.source.display_path, None if index is None else index + 1)

    def warn(self, message: str, index: int | None, hint: str | None = None) -> None:
        self.diagnostics.append(warning(message, self.loc(index), hint))

    def text_lines(self, indices: Sequence[int]) -> list[tuple[int, str]]:
        return [(i, self.lines[i].strip()) for i in indices if self.lines[i].strip()]

    def read(self) -> ParsedNote | None:
        layout, repeats = _layout(self.lines)
        title_match = next(
            ((i, m) for i, t in self.text_lines(layout.preamble) if (m := _TITLE.match(t)) is not None), None
        )
        if title_match is None and len(layout.sections) < 2:
            self.warn(
                f"{PurePosixPath(self.source.rel_path).name} is not a plain-text export of a note (no "
                "`TITLE, from (YYYYMMDD.)` line and no Summary/Signals sections); the file is skipped",
                None,
                "export notes as FORMAT.md §3 describes, or give the file another ending",
            )
            return None
        for name, i in repeats:
            self.warn(f"a second {name.capitalize()} section; its lines are added to the first", i)
        title, title_line, date, collection = self.preamble(layout, title_match)
        summary_lines = [t for _, t in self.text_lines(layout.sections.get("summary", []))]
        keywords = self.items(layout.sections.get("keywords", []))
        themes = self.items(layout.sections.get("themes", []))
        closest = [
            ClosestRef(_unbullet(t), None, self.loc(i)) for i, t in self.text_lines(layout.sections.get("closest", []))
        ]
        summary_text = "\n".join(summary_lines)
        rows: list[RawRow] = []
        if "signals" in layout.sections:
            rows = self.signal_table(layout, title, summary_text, keywords, themes)
        else:
            self.warn(
                "no Signals section; the note has no signals",
                None,
                "add a `Signals` line, the header line and the rows",
            )
        return ParsedNote(
            path=self.source.rel_path,
            display_path=self.source.display_path,
            kind="plain-text",
            title=title,
            title_line=title_line + 1,
            date=date,
            issue=None,
            source=None,
            summary_html="".join(f"<p>{markup.escape(p)}</p>\n" for p in summary_lines),
            summary_text=summary_text,
            keywords=tuple(keywords),
            themes=tuple(themes),
            rows=tuple(rows),
            closest=tuple(closest),
            meta=(("collection", collection),) if collection else (),
        )

    def preamble(
        self, layout: _Layout, title_match: tuple[int, re.Match[str]] | None
    ) -> tuple[str, int, datetime.date | None, str | None]:
        """Title, its line index, date and collection name from the lines before the first section."""
        lines = [(i, t) for i, t in self.text_lines(layout.preamble) if not _EXTERNAL.match(t)]
        if title_match is not None:
            index, m = title_match
            title = m.group("title").strip().rstrip(",").strip()
            date = _parse_date(m.group("date"))
            if date is None:
                self.warn(
                    f"date {m.group('date')!r} is not a valid date; the note has no date", index, "write it as YYYYMMDD"
                )
            else:
                self.diagnostics.extend(check_date(date, self.loc(index)))
        else:
            index, title = lines[-1] if lines else (0, "")
            date = None
            self.warn(
                "no title line `TITLE, from (YYYYMMDD.)`; the note has no date",
                index if title else None,
                "put the title and date after the collection name, as in `My note, from (20230521.)`",
            )
        if not title:
            title = PurePosixPath(self.source.rel_path).stem
        before = [t for i, t in lines if i < index]
        for i, t in lines:
            if i > index or (i < index and t != before[0]):
                self.warn(f"line {t[:60]!r} before the first section is not understood; it is ignored", i)
        return title, index, date, before[0] if before else None

    def items(self, indices: Sequence[int]) -> list[str]:
        return clean_items(item for _, t in self.text_lines(indices) for item in split_items(_unbullet(t)))

    def signal_table(
        self, layout: _Layout, title: str, summary: str, keywords: Sequence[str], themes: Sequence[str]
    ) -> list[RawRow]:
        body = self.text_lines(layout.sections["signals"])
        if not body:
            self.warn("the Signals section is empty; the note has no signals", layout.headings["signals"])
            return []
        found = header_names(body[0][1])
        header_index = body[0][0]
        words = body[0][1].split()
        if found is None and len(words) <= 8 and all(w[:1].isupper() for w in words) and len(body) > 1:
            found = (words, False)  # a header in other words: short, every word capitalised
        if found is None:
            names: list[str] = [COLUMN_LABELS[c] for c in COLUMNS]
            self.warn(
                "the Signals section has no header line; its lines are read as rows of "
                "Signal | Change | 10y horizon | Driving force",
                layout.headings["signals"],
                "put the header line `Signal Change 10y horizon Driving force` before the rows",
            )
        else:
            names, complete = found
            header_line, body = body[0][1], body[1:]
            if not complete:
                self.warn(
                    f'header line "{header_line}" does not name the four columns; the rows are read as '
                    "Signal | Change | 10y horizon | Driving force",
                    header_index,
                    "write the header as `Signal Change 10y horizon Driving force`",
                )
                names = [COLUMN_LABELS[c] for c in COLUMNS]
        header, problems = table.read_header(names, self.loc(header_index))
        self.diagnostics.extend(problems)
        if header.missing:
            return []
        lines = [t for _, t in body]
        evidence = note_evidence(title, summary, keywords, themes, lines)
        names_for_model = [column_name(header, k) for k in range(len(header.keys))]
        rows: list[RawRow] = []
        for (i, _), (recovery, _) in zip(body, recover_rows(lines, names_for_model, evidence), strict=True):
            message = doubt(recovery, len(header.keys))
            if message is not None:
                self.warn(message, i, FIX_HINT)
            row, row_problems = table.make_row(header, [markdown_source(c) for c in recovery.cells], self.loc(i))
            self.diagnostics.extend(p for p in row_problems if recovery.how != "short")
            rows.append(row)
        return rows


def _unbullet(text: str) -> str:
    return _BULLET.sub("", text).strip()


def _parse_date(text: str) -> datetime.date | None:
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_plaintext(source: SourceFile) -> tuple[ParsedNote | None, list[Diagnostic]]:
    """Read a plain-text export; None (with a warning naming the file) when the file is not an export."""
    reader = _Reader(source)
    return reader.read(), reader.diagnostics


# ---------------------------------------------------------------------------------------------- knowledge base


@dataclass(frozen=True)
class KnowledgeBaseEvidence:
    """What the other notes of a knowledge base say about words and about the cells of each column."""

    evidence: Evidence
    columns: tuple[ColumnModel, ...]


def knowledge_base_evidence(notes: Sequence[ParsedNote]) -> KnowledgeBaseEvidence:
    """Names and lower-case words in every summary and cell, and column shapes learned from Markdown tables."""
    evidence = Evidence()
    tables: list[tuple[str, ...]] = []
    for note in notes:
        cellsplit.prose_evidence([p for p in note.summary_text.split("\n") if p.strip()], evidence)
        if note.kind != "plain-text":
            cells = [tuple(row.cells[c].text for c in COLUMNS) for row in note.rows]
            cellsplit.cell_evidence([c for row in cells for c in row], evidence)
            tables.extend(row for row in cells if all(row))
    return KnowledgeBaseEvidence(evidence, tuple(cellsplit.learn_columns(COLUMNS, tables)))


def resplit(note: ParsedNote, kb: KnowledgeBaseEvidence) -> tuple[ParsedNote, list[Diagnostic]]:
    """An export's rows split again with knowledge-base evidence; a row that comes out differently is warned about.

    Only rows that the export alone splits the same way from their joined cells are split again: rows read
    from surviving separators, or from tables with other columns, are left as read.
    """
    if note.kind != "plain-text" or not note.rows or any(row.extra for row in note.rows):
        return note, []
    current = [tuple(row.cells[c].text for c in COLUMNS) for row in note.rows]
    lines = [" ".join(c for c in row if c) for row in current]
    local = note_evidence(note.title, note.summary_text, note.keywords, note.themes, lines)
    if [r.cells for r, _ in recover_rows(lines, COLUMNS, local)] != current:
        return note, []
    evidence = Evidence()
    evidence.add(local, 3)
    evidence.add(kb.evidence)
    header, _ = table.read_header([COLUMN_LABELS[c] for c in COLUMNS], SourceLocation(note.display_path))
    rows = list(note.rows)
    diagnostics: list[Diagnostic] = []
    for k, (recovery, columns) in enumerate(recover_rows(lines, COLUMNS, evidence, kb.columns)):
        if recovery.cells == current[k] or len(recovery.cells) != len(COLUMNS) or not all(current[k]):
            continue
        if recovery.score - cellsplit.split_score(current[k], columns, evidence) < cellsplit.AMBIGUOUS_MARGIN:
            continue  # the other notes do not clearly disagree with the export alone
        loc = note.rows[k].loc
        rows[k], _ = table.make_row(header, [markdown_source(c) for c in recovery.cells], loc)
        diagnostics.append(
            warning(
                f'ambiguous columns, chose "{" | ".join(recovery.cells)}" with evidence from the other notes '
                f'(next best: "{" | ".join(current[k])}", from the export alone)',
                loc,
                FIX_HINT,
            )
        )
    return (dataclasses.replace(note, rows=tuple(rows)) if diagnostics else note), diagnostics
