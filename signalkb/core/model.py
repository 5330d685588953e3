"""The knowledge base as frozen data: notes, signals, forces. Cross-references are ids; no I/O, URLs or HTML."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from signalkb.core.diagnostics import SourceLocation
from signalkb.core.ledger import Ledger

COLUMNS: tuple[str, ...] = ("signal", "change", "horizon", "driving_force")
"""The four canonical columns of a signal table, in display order."""

COLUMN_LABELS: Mapping[str, str] = {
    "signal": "Signal",
    "change": "Change",
    "horizon": "10y horizon",
    "driving_force": "Driving force",
}
"""How each canonical column is titled on pages."""


@dataclass(frozen=True)
class Cell:
    """One table cell: its plain text (markup removed) and its safe inline HTML."""

    text: str
    html: str
    """Safe HTML made by markup.py (a plain `str`, so the model pickles fast; views mark it safe)."""

    @classmethod
    def empty(cls) -> Cell:
        """An empty cell."""
        return cls("", "")


@dataclass(frozen=True)
class RawRow:
    """A signal-table row as read: its location, the canonical cells, and extra columns in header order."""

    loc: SourceLocation
    cells: Mapping[str, Cell]
    """Exactly the keys of COLUMNS; a missing cell is empty."""
    extra: tuple[tuple[str, Cell], ...] = ()
    """(column header, cell) for every column that is not canonical."""


@dataclass(frozen=True)
class ClosestRef:
    """An entry of a note's Closest list: the link text and the link target (a note id or file name), if any."""

    label: str
    target: str | None
    loc: SourceLocation


@dataclass(frozen=True)
class Section:
    """A section of a note shown as ordinary content (anything but the known sections)."""

    title: str
    html: str


@dataclass(frozen=True)
class ParsedNote:
    """One note file as read, before ids and links are given."""

    path: str
    """The file's path relative to the content folder, with `/` separators."""
    display_path: str
    """The path as shown in messages (content folder included)."""
    kind: str
    """`native`, `front-matter`, `markdown` or `plain-text`."""
    title: str
    title_line: int
    date: datetime.date | None
    issue: str | None
    """The newsletter issue the note came from (native title line link)."""
    source: str | None
    """The article the note summarises; only safe URLs."""
    summary_html: str
    summary_text: str
    keywords: tuple[str, ...]
    themes: tuple[str, ...]
    rows: tuple[RawRow, ...]
    closest: tuple[ClosestRef, ...]
    sections: tuple[Section, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    """Other metadata (unknown front-matter keys, `## Other` bullets, the export's collection), as text."""
    id_hint: str | None = None
    """An id asked for in front matter."""


@dataclass(frozen=True)
class ForceLink:
    """How one force phrase of a signal was matched to a force."""

    force_id: str
    phrase: str
    how: str
    """`label`, `alias`, `same words`, `narrower`, `same phrase` or `same meaning` (forces/matching.py)."""
    part: str = ""
    """The part of a compound phrase that names this force; empty when the whole phrase does."""
    via: str = ""
    """The wording it matched through (an alias, the label, or the broader concept's words); may be empty."""


@dataclass(frozen=True)
class Signal:
    """One row of a note's signal table."""

    id: str
    note_id: str
    row: int
    """1-based position in the note's table."""
    loc: SourceLocation
    cells: Mapping[str, Cell]
    forces: tuple[ForceLink, ...]
    extra: tuple[tuple[str, Cell], ...] = ()
    general: tuple[str, ...] = ()
    """Force phrases too generic to make a force ("Efficiency"): shown as written, linked to nothing."""

    @property
    def text(self) -> str:
        """The signal's own text (first column)."""
        return self.cells["signal"].text


@dataclass(frozen=True)
class Note:
    """A note with its id, resolved Closest links and its signals' ids."""

    id: str
    parsed: ParsedNote
    signal_ids: tuple[str, ...]
    closest: tuple[str, ...]
    """Ids of the closest notes in the knowledge base, in the note's order, no self or repeats."""
    closest_unlinked: tuple[str, ...]
    """Labels of Closest entries that name no note of the knowledge base."""
    keyword_ids: tuple[str, ...] = ()
    """Ids of the note's keywords (Term ids), in the note's order."""
    theme_ids: tuple[str, ...] = ()
    """Ids of the note's themes (Term ids), in the note's order."""

    @property
    def title(self) -> str:
        """The note's title."""
        return self.parsed.title

    @property
    def date(self) -> datetime.date | None:
        """The note's date, if known."""
        return self.parsed.date


@dataclass(frozen=True)
class Force:
    """A driving force shared by one or more signals."""

    id: str
    label: str
    signal_ids: tuple[str, ...]
    """Signals that share it, grouped by note, newest note first."""
    note_ids: tuple[str, ...]
    category: str | None = None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    """The parent force's id."""
    children: tuple[str, ...] = ()
    declared: bool = False
    """True when it comes from forces.yaml."""
    phrases: tuple[str, ...] = ()
    """The distinct phrases of notes that were matched to it."""
    distinct: tuple[str, ...] = ()
    """Ids of forces declared distinct from it in forces.yaml."""
    level: str = "fine"
    """`fine` (a driving force of the notes) or `broad` (a force of the broad layer, over fine forces)."""
    broader: tuple[str, ...] = ()
    """A fine force's broad forces (ids), best placed first; a broad force's `children` are its fine forces."""

    @property
    def broad(self) -> bool:
        """True for a force of the broad layer."""
        return self.level == "broad"


@dataclass(frozen=True)
class Term:
    """A keyword or theme, with the notes that name it (newest first)."""

    id: str
    label: str
    note_ids: tuple[str, ...]
    spellings: tuple[str, ...] = ()
    """Every distinct spelling used in notes (case and punctuation vary)."""


@dataclass(frozen=True)
class ForcePair:
    """Two forces worded alike but not merged: shown as related, reported as near-duplicates when close."""

    a: str
    b: str
    score: float
    """Similarity in [0, 1]."""
    distinct: bool = False
    """True when forces.yaml declares them distinct."""


@dataclass(frozen=True)
class Placed:
    """A fine force placed under a broad force, and on what evidence."""

    broad_id: str
    score: float
    how: str
    """`declared`, `meaning and words` or `meaning`."""
    example: str = ""
    word: str = ""


@dataclass(frozen=True)
class Merged:
    """A wording joined to a force by meaning."""

    force_id: str
    wording: str
    """The wording that joined (its own force's label, had it stayed apart)."""
    score: float
    broad_id: str


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the site is made of, linked. Notes are newest first; signals follow their notes' order."""

    notes: tuple[Note, ...]
    signals: tuple[Signal, ...]
    forces: tuple[Force, ...]
    """Most shared first."""
    notes_by_id: Mapping[str, Note] = field(default_factory=dict)
    signals_by_id: Mapping[str, Signal] = field(default_factory=dict)
    forces_by_id: Mapping[str, Force] = field(default_factory=dict)
    keywords: tuple[Term, ...] = ()
    """Keywords, most used first."""
    themes: tuple[Term, ...] = ()
    """Themes, most used first."""
    similar_forces: tuple[ForcePair, ...] = ()
    """Pairs of forces worded alike that were not merged, most similar first."""
    categories: tuple[str, ...] = ()
    """The taxonomy's categories, in its order."""
    ledger: Ledger = field(default_factory=Ledger)
    """The permalink ledger updated with this knowledge base: every published id, live, moved or removed."""
    placements: Mapping[str, tuple[Placed, ...]] = field(default_factory=dict)
    """Fine force id → how it was placed under each of its broad forces (for the review)."""
    merges: tuple[Merged, ...] = ()
    """Forces joined by meaning, least certain first (for the review)."""
    related: Mapping[str, tuple[tuple[str, float, tuple[str, ...]], ...]] = field(default_factory=dict)
    """Signal id → its most related signals of other notes, best first: (signal id, score, reasons why)."""
