"""Ids that outlive edits: notes, signals and forces are matched to the permalink ledger before new ids are made.

Matching, first hit wins (README, URL permanence):

- a note keeps its id when its file path is the same, else when a published note whose file is gone
  had the same content, else the same title and date; an explicit front-matter `id:` always wins;
- a signal keeps its id when its note has a published signal with the same text, else the same other
  cells (reworded), else similar text, else the same row; then any published signal with the same
  text and cells (moved to another note);
- a force keeps its id as permalink_forces.py says (same key, label or most phrases; a declared id wins).

Published ids are never given to something else, except by an explicit id, which is warned about.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from rapidfuzz import fuzz

from signalkb.core.diagnostics import Diagnostic, SourceLocation, warning
from signalkb.core.ledger import LIVE, MOVED, REMOVED, ForceRecord, Ledger, NoteRecord, SignalRecord, final_target
from signalkb.core.model import ParsedNote, RawRow
from signalkb.core.slugs import name_key, short_hash
from signalkb.linking.force_ids import ForceCandidate, Successors, assign_force_ids, claim

SIMILAR_TEXT = 70
"""Least rapidfuzz token-sort ratio (0–100) for a reworded signal to keep its id by similar text."""
_HINT = "if the old URL may go, remove its entry from permalinks.json; else choose another id"


def note_digest(note: ParsedNote) -> str:
    """A note's content identity: title, date, summary and signal texts (not its file name)."""
    signals = "\n".join(row.cells["signal"].text for row in note.rows)
    date = note.date.isoformat() if note.date else ""
    return short_hash(f"{note.title}\n{date}\n{note.summary_text}\n{signals}", 12)


def row_rest(row: RawRow) -> str:
    """A row's identity without its signal text: the other three cells, case and spacing aside."""
    cells = row.cells
    text = f"{cells['change'].text}|{cells['horizon'].text}|{cells['driving_force'].text}".casefold()
    return format(zlib.crc32(" ".join(text.split()).encode("utf-8")), "08x")


class Permalinks:
    """Gives ids with the ledger's help during one link, then makes the updated ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.old = ledger
        self.notes: dict[str, NoteRecord] = {}
        self.signals: dict[str, SignalRecord] = {}
        self.forces: dict[str, ForceRecord] = {}
        self._note_paths: dict[str, str] = {}
        """Current note path → id."""

    # --- notes ---------------------------------------------------------------------------------------------

    def note_ids(
        self, notes: Sequence[ParsedNote], wanted: Sequence[str]
    ) -> tuple[list[str], list[Diagnostic], dict[int, int]]:
        """Ids for `notes` (sorted by path), warnings, and note → the note holding the id it wanted (collisions)."""
        old = self.old.notes
        digests = [note_digest(n) for n in notes]
        explicit = {wanted[i] for i, n in enumerate(notes) if n.id_hint}
        ids: list[str | None] = [None] * len(notes)
        matched: set[str] = set()

        def take(i: int, rid: str) -> None:
            ids[i] = rid
            matched.add(rid)

        by_path = {r.path: rid for rid, r in sorted(old.items()) if r.state != MOVED and rid not in explicit}
        for i, note in enumerate(notes):
            path_id = by_path.get(note.path)
            if not note.id_hint and path_id is not None and path_id not in matched:
                take(i, path_id)
        paths = {n.path for n in notes}
        spare = [
            (rid, r)
            for rid, r in sorted(old.items())
            if r.state != MOVED and rid not in matched and rid not in explicit and r.path not in paths
        ]
        tiers: tuple[tuple[Callable[[NoteRecord], object], Callable[[int], object]], ...] = (
            (lambda r: r.digest, lambda i: digests[i]),
            (lambda r: (name_key(r.title), r.date), lambda i: (name_key(notes[i].title), _date(notes[i]))),
        )
        for key_of_record, key_of_note in tiers:
            index: dict[object, list[str]] = defaultdict(list)
            for rid, record in spare:
                index[key_of_record(record)].append(rid)
            for i, note in enumerate(notes):
                if ids[i] is None and not note.id_hint:
                    found = next((r for r in index.get(key_of_note(i), []) if r not in matched), None)
                    if found is not None:
                        take(i, found)
        taken = set(old) | matched
        owner: dict[str, int] = {rid: i for i, rid in enumerate(ids) if rid is not None}
        diagnostics: list[Diagnostic] = []
        for i, note in enumerate(notes):
            if ids[i] is not None:
                continue
            want = wanted[i]
            if note.id_hint and want not in owner:
                taken.add(want)
                got = want
                published = old.get(want)
                if published is not None and not self._same_note(published, note, digests[i]):
                    diagnostics.append(
                        self._takeover(
                            "note",
                            want,
                            f"«{published.title}» ({published.path})",
                            SourceLocation(note.display_path, note.title_line),
                        )
                    )
            else:
                got = claim(want, taken)
                if got != want and want not in owner and want in old:
                    other = old[want]
                    diagnostics.append(
                        warning(
                            f"note id {want!r} was published for another note («{other.title}», {other.path}); "
                            f"this note gets {got!r}",
                            SourceLocation(note.display_path, note.title_line),
                            "rename the file or set a distinct `id:` in front matter",
                        )
                    )
            ids[i] = got
            owner.setdefault(got, i)
        final = [rid or "" for rid in ids]
        collisions = {
            i: owner[wanted[i]] for i in range(len(notes)) if final[i] != wanted[i] and owner.get(wanted[i], i) != i
        }
        for i, note in enumerate(notes):
            self._note_paths[note.path] = final[i]
            self.notes[final[i]] = NoteRecord(note.path, note.title, _date(note), digests[i])
        return final, diagnostics, collisions

    def _same_note(self, record: NoteRecord, note: ParsedNote, digest: str) -> bool:
        return (
            record.path == note.path
            or record.digest == digest
            or (name_key(record.title), record.date) == (name_key(note.title), _date(note))
        )

    def _takeover(self, kind: str, rid: str, was: str, loc: SourceLocation) -> Diagnostic:
        return warning(
            f"the published URL of {kind} {rid!r}, {was}, now shows another {kind}: its old page disappears",
            loc,
            _HINT,
        )

    # --- signals -------------------------------------------------------------------------------------------

    def signal_ids(self, notes: Sequence[tuple[str, ParsedNote]], wanted: Sequence[Sequence[str]]) -> list[list[str]]:
        """Ids of every row of every note (by note, in order): published ids kept, else `wanted` made unique."""
        old = self.old.signals
        note_of = self._note_successors()
        candidates: dict[str, list[tuple[str, SignalRecord]]] = defaultdict(list)
        for sid, record in sorted(old.items(), key=lambda kv: (kv[1].row, kv[0])):
            if record.state != MOVED:
                candidates[note_of.get(record.note, record.note)].append((sid, record))
        out: list[list[str | None]] = []
        used: set[str] = set()
        rests = [[row_rest(row) for row in note.rows] for _, note in notes]
        for (note_id, note), note_rests in zip(notes, rests, strict=True):
            got: list[str | None] = [None] * len(note.rows)
            _match_rows(note.rows, note_rests, candidates.get(note_id, []), got, used)
            out.append(got)
        self._match_moved_rows(notes, rests, out, used)
        taken = set(old) | used
        final: list[list[str]] = []
        for (note_id, note), got, wants, note_rests in zip(notes, out, wanted, rests, strict=True):
            ids = [sid if sid is not None else claim(want, taken) for sid, want in zip(got, wants, strict=True)]
            for index, (sid, row) in enumerate(zip(ids, note.rows, strict=True)):
                self.signals[sid] = SignalRecord(note_id, index + 1, text_of(row), note_rests[index])
            final.append(ids)
        return final

    def _note_successors(self) -> dict[str, str]:
        """Old note id → the current note id it now leads to (for ids that moved)."""
        current = set(self.notes)
        out: dict[str, str] = {}
        for rid, record in self.old.notes.items():
            if rid in current:
                continue
            target = self._note_paths.get(record.path) if record.state != MOVED else None
            target = target or final_target(self.old.notes, rid)
            if target in current:
                out[rid] = target
        return out

    def _match_moved_rows(
        self,
        notes: Sequence[tuple[str, ParsedNote]],
        rests: Sequence[Sequence[str]],
        out: list[list[str | None]],
        used: set[str],
    ) -> None:
        """A row moved to another note keeps its id: same text and same other cells."""
        if all(sid is not None for got in out for sid in got):
            return
        spare: dict[tuple[str, str], list[str]] = defaultdict(list)
        for sid, record in sorted(self.old.signals.items()):
            if sid not in used and record.state != MOVED:
                spare[(text_key(record.text), record.rest)].append(sid)
        if not spare:
            return
        for (_note_id, note), got, note_rests in zip(notes, out, rests, strict=True):
            for index, row in enumerate(note.rows):
                if got[index] is None:
                    found = spare.get((text_key(text_of(row)), note_rests[index]))
                    moved = next((s for s in found or () if s not in used), None)
                    if moved is not None:
                        got[index] = moved
                        used.add(moved)

    # --- forces --------------------------------------------------------------------------------------------

    def force_ids(self, forces: Sequence[ForceCandidate], where: str) -> tuple[list[str], list[Diagnostic]]:
        """Ids for `forces` (in resolver-key order): declared ids, then published ones, then new slugs of labels."""
        ids, records, taken_over = assign_force_ids(self.old.forces, forces)
        self.forces.update(records)
        diagnostics = [
            self._takeover("force", rid, f"«{self.old.forces[rid].label}»", SourceLocation(where, line))
            for rid, line in taken_over
        ]
        return ids, diagnostics

    # --- the updated ledger --------------------------------------------------------------------------------

    def ledger(self) -> Ledger:
        """The ledger after this link: current entities live; published ids that lost theirs moved or removed."""
        notes: dict[str, NoteRecord] = dict(self.notes)
        by_path = self._note_paths
        for rid, record in self.old.notes.items():
            if rid not in notes:
                target = by_path.get(record.path) if record.state != MOVED else None
                notes[rid] = _retired(record, target)
        signals: dict[str, SignalRecord] = dict(self.signals)
        for rid, srecord in self.old.signals.items():
            if rid not in signals:
                signals[rid] = _retired(srecord, None)
        forces: dict[str, ForceRecord] = dict(self.forces)
        successor = Successors(self.forces)
        for rid, frecord in self.old.forces.items():
            if rid not in forces:
                forces[rid] = _retired(frecord, successor(frecord))
        notes = {rid: _resolve(notes, rid, r) for rid, r in notes.items()}
        forces = {rid: _resolve(forces, rid, r) for rid, r in forces.items()}
        signals = {rid: _resolve(signals, rid, r) for rid, r in signals.items()}
        new = Ledger(notes, signals, forces)
        return Ledger(notes, signals, forces, changed=new != self.old)


def text_key(text: str) -> str:
    """How signal texts are compared: case and spacing aside (cheap: it runs for every row of every build)."""
    return " ".join(text.casefold().split())


def text_of(row: RawRow) -> str:
    """A row's signal text."""
    return row.cells["signal"].text


def _date(note: ParsedNote) -> str:
    return note.date.isoformat() if note.date else ""


def _match_rows(
    rows: Sequence[RawRow],
    rests: Sequence[str],
    candidates: Sequence[tuple[str, SignalRecord]],
    got: list[str | None],
    used: set[str],
) -> None:
    """Pair a note's rows with its published signals: same text, same other cells, similar text, same row."""
    if not candidates:
        return
    texts = [text_key(text_of(row)) for row in rows]
    tiers: tuple[tuple[Sequence[str], Callable[[SignalRecord], str]], ...] = (
        (texts, lambda r: text_key(r.text)),
        (rests, lambda r: r.rest),
    )
    for row_keys, key_of_record in tiers:
        index: dict[str, list[str]] = defaultdict(list)
        for sid, record in candidates:
            if sid not in used:
                index[key_of_record(record)].append(sid)
        for i, key in enumerate(row_keys):
            if got[i] is None:
                hit = next((s for s in index.get(key, ()) if s not in used), None)
                if hit is not None:
                    got[i] = hit
                    used.add(hit)
        if None not in got:
            return
    live = [(sid, r) for sid, r in candidates if sid not in used and r.state == LIVE]
    open_rows = [i for i in range(len(rows)) if got[i] is None]
    if not live:
        return
    scored = sorted(
        (-score, i, sid)
        for i in open_rows
        if texts[i]
        for sid, record in live
        if (score := fuzz.token_sort_ratio(texts[i], text_key(record.text))) >= SIMILAR_TEXT
    )
    _pair(scored, got, used)
    rows_at = {record.row: sid for sid, record in live}
    for i in open_rows:
        at = rows_at.get(i + 1)
        if got[i] is None and at is not None and at not in used:
            got[i] = at
            used.add(at)


def _pair(scored: Iterable[tuple[float, int, str]], got: list[str | None], used: set[str]) -> None:
    for _score, i, sid in scored:
        if got[i] is None and sid not in used:
            got[i] = sid
            used.add(sid)


R = TypeVar("R", NoteRecord, SignalRecord, ForceRecord)


def _retired(record: R, target: str | None) -> R:
    """A published record whose id no longer names a current entity: moved to `target`, else removed."""
    if record.state == MOVED:
        return record
    if target:
        return replace(record, state=MOVED, to=target)
    return replace(record, state=REMOVED, to="")


def _resolve(records: Mapping[str, R], rid: str, record: R) -> R:
    """A moved record pointing at its final target (a chain of moves is one redirect); removed when none is left."""
    if record.state != MOVED:
        return record
    target = final_target(records, record.to)
    if target is None or target == rid:
        return replace(record, state=REMOVED, to="")
    return record if target == record.to else replace(record, to=target)


__all__ = ["REMOVED", "Permalinks", "note_digest", "row_rest"]
