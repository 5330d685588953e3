"""Machine-readable outputs: `signals.json` (FORMAT.md §5, plus the force taxonomy, matches, keywords and themes),
`signals.csv` (one row per signal, for spreadsheets) and each note's `index.json` (the note and its signals)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from signalkb.core import urls
from signalkb.core.model import COLUMNS, KnowledgeBase, Note, Signal, Term

CSV_COLUMNS = (
    "id",
    "url",
    "signal",
    "change",
    "horizon",
    "driving_force",
    "forces",
    "force_labels",
    "note",
    "note_title",
    "note_date",
    "note_url",
    "source",
    "row",
)
"""The columns of signals.csv; the notes' extra table columns follow, in order of first appearance, then
BROADER_COLUMN."""
BROADER_COLUMN = "Broader forces"
"""The last column of signals.csv: the labels of the broader forces of a signal's forces, joined by `; `."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _term(term: Term, url: str) -> dict[str, Any]:
    return {"id": term.id, "label": term.label, "url": url, "notes": list(term.note_ids)}


def _note_data(note: Note) -> dict[str, Any]:
    """What `signals.json` and the note's `index.json` both say of a note."""
    return {
        "id": note.id,
        "url": urls.note(note.id),
        "title": note.title,
        "date": note.date.isoformat() if note.date else None,
        "source": note.parsed.source,
        "keywords": list(note.parsed.keywords),
        "themes": list(note.parsed.themes),
    }


def signals_json(kb: KnowledgeBase) -> bytes:
    """The knowledge base as the JSON document of FORMAT.md §5 (notes newest first, forces most shared first)."""
    data: dict[str, Any] = {
        "notes": [_note_data(n) | {"closest": list(n.closest), "path": n.parsed.path} for n in kb.notes],
        "signals": [
            {
                "id": s.id,
                "url": urls.signal(s.id),
                "note": s.note_id,
                "signal": s.cells["signal"].text,
                "change": s.cells["change"].text,
                "horizon": s.cells["horizon"].text,
                "driving_force": s.cells["driving_force"].text,
                "forces": [link.force_id for link in s.forces],
                "extra": {name: cell.text for name, cell in s.extra},
                "general": list(s.general),
                "force_matches": [
                    {"force": link.force_id, "phrase": link.phrase, "part": link.part, "how": link.how, "via": link.via}
                    for link in s.forces
                ],
            }
            for s in kb.signals
        ],
        "forces": [
            {
                "id": f.id,
                "label": f.label,
                "url": urls.force(f.id),
                "signals": list(f.signal_ids),
                "notes": list(f.note_ids),
                "declared": f.declared,
                "category": f.category,
                "parent": f.parent,
                "children": list(f.children),
                "aliases": list(f.aliases),
                "description": f.description,
                "phrases": list(f.phrases),
                "distinct": list(f.distinct),
                "level": f.level,
                "broader": list(f.broader),
            }
            for f in kb.forces
        ],
        "similar_forces": [{"a": p.a, "b": p.b, "score": p.score, "distinct": p.distinct} for p in kb.similar_forces],
        "keywords": [_term(t, urls.keyword(t.id)) for t in kb.keywords],
        "themes": [_term(t, urls.theme(t.id)) for t in kb.themes],
        "categories": list(kb.categories),
    }
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


def csv_cell(value: str) -> str:
    """A cell that a spreadsheet never runs as a formula: text starting with = + - @ tab or CR gets a leading `'`."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _link(base_url: str | None, url: str) -> str:
    return base_url + url if base_url else url


def signals_csv(kb: KnowledgeBase, base_url: str | None) -> bytes:
    """Every signal as a CSV row (UTF-8 with a byte-order mark, for spreadsheets); absolute URLs with base_url."""
    extra = list(dict.fromkeys(name for s in kb.signals for name, _ in s.extra))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *extra, BROADER_COLUMN])
    forces = kb.forces_by_id
    for s in kb.signals:
        note = kb.notes_by_id[s.note_id]
        cells = dict(s.extra)
        row = [
            s.id,
            _link(base_url, urls.signal(s.id)),
            *(s.cells[c].text for c in COLUMNS),
            "; ".join(link.force_id for link in s.forces),
            "; ".join(forces[link.force_id].label for link in s.forces),
            note.id,
            note.title,
            note.date.isoformat() if note.date else "",
            _link(base_url, urls.note(note.id)),
            note.parsed.source or "",
            str(s.row),
            *(cells[name].text if name in cells else "" for name in extra),
            "; ".join(forces[b].label for b in _broader(kb, s) if b in forces),
        ]
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _broader(kb: KnowledgeBase, signal: Signal) -> list[str]:
    """The broad forces of a signal's forces (ids), in the order of its forces, each once."""
    forces = kb.forces_by_id
    return list(dict.fromkeys(b for link in signal.forces for b in forces[link.force_id].broader))


def _signal_data(kb: KnowledgeBase, signal: Signal, base_url: str | None) -> dict[str, Any]:
    forces = kb.forces_by_id
    url = urls.signal(signal.id)
    return {
        "id": signal.id,
        "url": url,
        "permalink": base_url + url if base_url else None,
        "signal": signal.cells["signal"].text,
        "change": signal.cells["change"].text,
        "horizon": signal.cells["horizon"].text,
        "driving_force": signal.cells["driving_force"].text,
        "forces": [
            {
                "id": link.force_id,
                "label": forces[link.force_id].label,
                "url": urls.force(link.force_id),
                "broader": [
                    {"id": b, "label": forces[b].label, "url": urls.force(b)}
                    for b in forces[link.force_id].broader
                    if b in forces
                ],
            }
            for link in signal.forces
        ],
        "broader": [
            {"id": b, "label": forces[b].label, "url": urls.force(b)} for b in _broader(kb, signal) if b in forces
        ],
        "extra": {name: cell.text for name, cell in signal.extra},
        "general": list(signal.general),
        "row": signal.row,
    }


def note_record(kb: KnowledgeBase, note: Note, base_url: str | None) -> bytes:
    """A note and its signals as the note's small `index.json`: site-relative URLs, and absolute `permalink`s
    with base_url (one file per note, not one per signal: a fifth of the files, the same data)."""
    url = urls.note(note.id)
    data = _note_data(note) | {
        "permalink": base_url + url if base_url else None,
        "signals": [_signal_data(kb, kb.signals_by_id[sid], base_url) for sid in note.signal_ids],
    }
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
