"""The permalink ledger (`content/permalinks.json`): every published id, what it named, and where its URL leads now.

The ledger is data only: read from text, written as text (one entry per line, sorted by id, so that a
diff shows exactly which URLs were added, moved or removed). Matching entities to it is
permalink_match.py's job; writing the file is the pipeline's, through publish.write_if_changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from signalkb.core.diagnostics import Diagnostic, SourceLocation, error

VERSION = 1
"""The ledger format; a newer one is refused rather than rewritten."""
LIVE = "live"
MOVED = "moved"
REMOVED = "removed"
ABOUT = (
    "Every note, signal and force id this knowledge base has published, kept by signalkb so their URLs keep "
    "working. Commit it with your notes; see the README, URL permanence."
)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,199}$")
_SECTIONS = ("notes", "signals", "forces")


@dataclass(frozen=True)
class NoteRecord:
    """A published note id: the note's file and content identity when it was last built."""

    path: str
    """The note's file, relative to the content folder."""
    title: str
    date: str
    """YYYY-MM-DD, or empty."""
    digest: str
    """Fingerprint of the note's title, date, summary and signal texts (survives a file rename)."""
    state: str = LIVE
    """`live`, `moved` (the URL redirects to `to`) or `removed` (the URL says so)."""
    to: str = ""
    """The id a moved URL leads to."""


@dataclass(frozen=True)
class SignalRecord:
    """A published signal id: its note, table row and text when it was last built."""

    note: str
    """The id of its note."""
    row: int
    """1-based row in the note's signal table."""
    text: str
    rest: str
    """Fingerprint of the row's other cells (change, horizon, driving force): survives a reworded signal."""
    state: str = LIVE
    to: str = ""


@dataclass(frozen=True)
class ForceRecord:
    """A published force id: its label, resolver key and the phrases (and aliases) it stood for."""

    label: str
    key: str
    """The force's identity in forces.py (a declared id, `concept:…` or `phrase:…`)."""
    phrases: tuple[str, ...]
    state: str = LIVE
    to: str = ""


@dataclass(frozen=True)
class Ledger:
    """Every published id of each kind, with its record; empty for a knowledge base never built."""

    notes: Mapping[str, NoteRecord] = field(default_factory=dict)
    signals: Mapping[str, SignalRecord] = field(default_factory=dict)
    forces: Mapping[str, ForceRecord] = field(default_factory=dict)
    changed: bool = field(default=False, compare=False)
    """True when this ledger differs from the one read (it should be written back)."""


Record = NoteRecord | SignalRecord | ForceRecord


def _line_finder(text: str) -> Callable[[str, str], int | None]:
    """Finds the line of an entry; the index of lines is made on the first call (only problems need it)."""
    index: dict[tuple[str, str], int] = {}

    def find(section: str, entry_id: str) -> int | None:
        if not index:
            current = ""
            for number, line in enumerate(text.split("\n"), 1):
                stripped = line.strip()
                if stripped.startswith('"') and '": ' in stripped:
                    key = stripped[1 : stripped.index('": ')]
                    if key in _SECTIONS and stripped.endswith("{"):
                        current = key
                    else:
                        index.setdefault((current, key), number)
        return index.get((section, entry_id))

    return find


def _state(raw: Mapping[str, Any]) -> tuple[str, str]:
    if raw.get("removed") is True:
        return REMOVED, ""
    moved = raw.get("moved")
    if isinstance(moved, str) and _ID.match(moved):
        return MOVED, moved
    return LIVE, ""


def _record(section: str, raw: Mapping[str, Any]) -> Record:
    """One entry as its record; raises TypeError/ValueError/KeyError when a field is missing or mistyped."""
    state, to = _state(raw)
    if "moved" in raw and state != MOVED:
        raise ValueError("`moved` must be an id")
    if section == "notes":
        fields = (raw["path"], raw["title"], raw.get("date", ""), raw.get("digest", ""))
        if not all(isinstance(v, str) for v in fields):
            raise TypeError("path, title, date and digest must be text")
        return NoteRecord(*fields, state=state, to=to)
    if section == "signals":
        note, row, text, rest = raw["note"], raw["row"], raw["text"], raw.get("rest", "")
        if not (isinstance(row, int) and not isinstance(row, bool) and row >= 1):
            raise TypeError("row must be a whole number ≥ 1")
        if not all(isinstance(v, str) for v in (note, text, rest)):
            raise TypeError("note, text and rest must be text")
        return SignalRecord(note, row, text, rest, state=state, to=to)
    label, key, phrases = raw["label"], raw.get("key", ""), raw.get("phrases", [])
    if not (isinstance(label, str) and isinstance(key, str) and isinstance(phrases, list)):
        raise TypeError("label and key must be text, phrases a list")
    if not all(isinstance(p, str) for p in phrases):
        raise TypeError("phrases must be text")
    return ForceRecord(label, key, tuple(phrases), state=state, to=to)


def parse_ledger(text: str, display: str) -> tuple[Ledger, list[Diagnostic]]:
    """The ledger in `text` (named `display` in messages); any problem is an error, so no published URL is lost."""
    hint = "restore the file from version control (git checkout -- permalinks.json), or fix the entry"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Ledger(), [
            error(f"the permalink ledger is not valid JSON: {exc.msg}", SourceLocation(display, exc.lineno), hint)
        ]
    if not isinstance(data, dict):
        return Ledger(), [error("the permalink ledger must be a JSON object", SourceLocation(display, 1), hint)]
    version = data.get("version", VERSION)
    if version != VERSION:
        return Ledger(), [
            error(
                f"the permalink ledger has format version {version!r}; this signalkb reads version {VERSION}",
                SourceLocation(display, 1),
                "upgrade signalkb",
            )
        ]
    find = _line_finder(text)
    problems: list[Diagnostic] = []
    sections: dict[str, dict[str, Any]] = {}
    for section in _SECTIONS:
        raw = data.get(section, {})
        out: dict[str, Any] = {}
        sections[section] = out
        if not isinstance(raw, dict):
            problems.append(error(f"`{section}` must be an object of id → entry", SourceLocation(display, 1), hint))
            continue
        for entry_id, entry in raw.items():
            if not _ID.match(entry_id):
                where = SourceLocation(display, find(section, entry_id))
                problems.append(error(f"{section[:-1]} id {entry_id!r} is not a URL-safe id", where, hint))
                continue
            try:
                if not isinstance(entry, dict):
                    raise TypeError("an entry must be an object")
                out[entry_id] = _record(section, entry)
            except KeyError as exc:
                where = SourceLocation(display, find(section, entry_id))
                problems.append(error(f"{section[:-1]} {entry_id!r} lacks the field {exc.args[0]!r}", where, hint))
            except (TypeError, ValueError) as exc:
                where = SourceLocation(display, find(section, entry_id))
                problems.append(error(f"{section[:-1]} {entry_id!r}: {exc}", where, hint))
    return Ledger(sections["notes"], sections["signals"], sections["forces"]), problems


def _entry(record: Record) -> dict[str, Any]:
    if isinstance(record, NoteRecord):
        out: dict[str, Any] = {"path": record.path, "title": record.title, "date": record.date, "digest": record.digest}
    elif isinstance(record, SignalRecord):
        out = {"note": record.note, "row": record.row, "text": record.text, "rest": record.rest}
    else:
        out = {"label": record.label, "key": record.key, "phrases": list(record.phrases)}
    if record.state == MOVED:
        out["moved"] = record.to
    elif record.state == REMOVED:
        out["removed"] = True
    return out


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def format_ledger(ledger: Ledger) -> str:
    """The ledger as deterministic JSON text: one entry per line, sorted by id within each kind."""
    parts = ["{", f'  "about": {_ENCODE(ABOUT)},', f'  "version": {VERSION},']
    kinds: tuple[tuple[str, Mapping[str, Record]], ...] = (
        ("notes", ledger.notes),
        ("signals", ledger.signals),
        ("forces", ledger.forces),
    )
    for index, (section, records) in enumerate(kinds):
        close = "}," if index < len(kinds) - 1 else "}"
        if not records:
            parts.append(f'  "{section}": {{{close}')
            continue
        parts.append(f'  "{section}": {{')
        lines = [f"    {_ENCODE(key)}: {_ENCODE(_entry(records[key]))}" for key in sorted(records)]
        parts.append(",\n".join(lines))
        parts.append("  " + close)
    parts.append("}")
    return "\n".join(parts) + "\n"


def final_target(records: Mapping[str, Record], start: str) -> str | None:
    """Where a moved id finally leads (a live or removed id), following moves; None for a dangling or cyclic chain."""
    seen: set[str] = set()
    current = start
    while current not in seen:
        seen.add(current)
        record = records.get(current)
        if record is None:
            return None
        if record.state != MOVED:
            return current
        current = record.to
    return None
