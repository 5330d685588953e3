"""Linking: note and signal ids, Closest links, forces of each signal, and the force → signals index."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from signalkb.core.diagnostics import Diagnostic, SourceLocation, warning
from signalkb.core.ledger import Ledger
from signalkb.core.model import (
    Force,
    ForceLink,
    ForcePair,
    KnowledgeBase,
    Merged,
    Note,
    ParsedNote,
    Placed,
    RawRow,
    Signal,
)
from signalkb.core.slugs import is_windows_reserved, name_key, short_hash, slugify
from signalkb.forces.analytics import related_index
from signalkb.forces.matching import ForceResolver, Taxonomy, phrase_label, split_phrases
from signalkb.linking.force_ids import ForceCandidate
from signalkb.linking.force_links import KeyedForce, near_duplicate_warnings, similar_forces
from signalkb.linking.permalinks import Permalinks
from signalkb.linking.terms import build_terms, term_ids

_FILE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
SIGNAL_SLUG_LENGTH = 60
"""Longest text part of a signal id (before the note tag)."""
CONTEXT_COLUMNS = ("signal", "change")
"""The cells of a signal that say what its force phrases are about, for placing vague forces (forces/broad.py)."""
BROAD = "broad/"
"""Id prefix of broad forces: their pages are under forces/broad/, apart from the forces of the notes."""


def note_sort_key(note: ParsedNote | Note) -> tuple[int, str, str]:
    """Newest first; undated notes last; then by title and path."""
    date = note.date or datetime.date.min
    parsed = note if isinstance(note, ParsedNote) else note.parsed
    return (-date.toordinal(), parsed.title.casefold(), parsed.path)


def _wanted_note_id(note: ParsedNote) -> str:
    if note.id_hint:
        return slugify(note.id_hint)
    stem = PurePosixPath(note.path).stem.lower()
    return stem if _FILE_ID.match(stem) and not is_windows_reserved(stem) else slugify(stem)


def assign_note_ids(notes: Sequence[ParsedNote], book: Permalinks | None = None) -> tuple[list[str], list[Diagnostic]]:
    """Ids in the order of `notes` (by path): published ids kept, else the file id or a slug; `-2` on collision."""
    book = book or Permalinks(Ledger())
    wanted = [_wanted_note_id(note) for note in notes]
    ids, diagnostics, collisions = book.note_ids(notes, wanted)
    for index, holder in sorted(collisions.items()):
        note = notes[index]
        diagnostics.append(
            warning(
                f"note id {wanted[index]!r} is already used by {notes[holder].display_path}; "
                f"this note gets {ids[index]!r}",
                SourceLocation(note.display_path, note.title_line),
                "rename the file or set a distinct `id:` in front matter",
            )
        )
    by_title: dict[str, str] = {}
    for note in notes:
        key = name_key(note.title)
        if key in by_title:
            diagnostics.append(
                warning(
                    f"title {note.title!r} is also the title of {by_title[key]}",
                    SourceLocation(note.display_path, note.title_line),
                    "links by title go to the first of them; give the notes distinct titles",
                )
            )
        else:
            by_title[key] = note.display_path
    return ids, diagnostics


def _closest(
    note: ParsedNote, note_id: str, ids: dict[str, str], titles: dict[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...], list[Diagnostic]]:
    linked: list[str] = []
    unlinked: list[str] = []
    diagnostics: list[Diagnostic] = []
    for ref in note.closest:
        target = None
        if ref.target is not None:
            target = ids.get(ref.target) or ids.get(ref.target.lower())
        if target is None and ref.target is None:
            target = titles.get(name_key(ref.label))
            if target is None:
                diagnostics.append(
                    warning(
                        f"Closest names {ref.label!r}, which is the title of no note; it is listed unlinked",
                        ref.loc,
                        "correct the title, or link the note by its file name",
                    )
                )
        if target is None:
            label = ref.label or ref.target or ""
            if label and label not in unlinked:
                unlinked.append(label)
        elif target != note_id and target not in linked:
            linked.append(target)
    return tuple(linked), tuple(unlinked), diagnostics


def _wanted_signal_ids(note_id: str, note: ParsedNote) -> list[str]:
    """The id each row of a note would get when new: the slug of its text and a tag of its note."""
    tag = short_hash(note_id, 4)
    out = []
    for row_number, row in enumerate(note.rows, 1):
        text = row.cells["signal"].text
        base = slugify(text, SIGNAL_SLUG_LENGTH) if name_key(text) else f"signal-{row_number}"
        out.append(f"{base}-{tag}")
    return out


def build_knowledge_base(
    parsed: Sequence[ParsedNote],
    taxonomy: Taxonomy,
    resolver: ForceResolver | None = None,
    ledger: Ledger | None = None,
) -> tuple[KnowledgeBase, list[Diagnostic]]:
    """Give ids (keeping published ones), link Closest lists and forces, index signals; `kb.ledger` is updated."""
    resolver = resolver or ForceResolver(taxonomy)
    book = Permalinks(ledger or Ledger())
    by_path = sorted(parsed, key=lambda n: n.path)
    note_ids, diagnostics = assign_note_ids(by_path, book)
    ids: dict[str, str] = {}
    titles: dict[str, str] = {}
    for note, note_id in zip(by_path, note_ids, strict=True):
        ids.setdefault(note_id, note_id)
        ids.setdefault(PurePosixPath(note.path).stem, note_id)
        ids.setdefault(PurePosixPath(note.path).stem.lower(), note_id)
        titles.setdefault(name_key(note.title), note_id)

    rows: list[tuple[ParsedNote, str, int, RawRow, str, list[str]]] = []
    uses: dict[str, int] = defaultdict(int)
    contexts: dict[str, list[str]] = defaultdict(list)
    notes: list[Note] = []
    pairs_by_path = list(zip(note_ids, by_path, strict=True))
    all_signal_ids = book.signal_ids(pairs_by_path, [_wanted_signal_ids(i, n) for i, n in pairs_by_path])
    for (note_id, note), signal_ids in zip(pairs_by_path, all_signal_ids, strict=True):
        closest, unlinked, problems = _closest(note, note_id, ids, titles)
        diagnostics.extend(problems)
        for row_number, (row, signal_id) in enumerate(zip(note.rows, signal_ids, strict=True), 1):
            if not name_key(row.cells["signal"].text):  # empty, or only punctuation and invisible characters
                diagnostics.append(warning("signal cell is empty", row.loc, "write the signal in the first column"))
            cell_phrases = split_phrases(row.cells["driving_force"].text)
            if not cell_phrases:
                diagnostics.append(
                    warning(
                        "no driving force; the signal is listed under “no driving force”",
                        row.loc,
                        "name the force in the Driving force column",
                    )
                )
            for phrase in dict.fromkeys(cell_phrases):
                uses[phrase] += 1
                contexts[phrase].extend(row.cells[c].text for c in CONTEXT_COLUMNS if c in row.cells)
            rows.append((note, note_id, row_number, row, signal_id, cell_phrases))
        notes.append(Note(note_id, note, tuple(signal_ids), closest, unlinked))
    matches = resolver.resolve_all(uses, contexts)
    signals: dict[str, Signal] = {}
    wordings: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for _note, note_id, row_number, row, signal_id, cell_phrases in rows:
        links: list[ForceLink] = []
        general = tuple(dict.fromkeys(p for p in cell_phrases if not matches[p]))
        for phrase in cell_phrases:
            for match in matches[phrase]:
                wordings[match.key].append((match.part or phrase, match.how))
                if all(link.force_id != match.key for link in links):
                    links.append(ForceLink(match.key, phrase, match.how, match.part, match.via))
        signals[signal_id] = Signal(
            signal_id, note_id, row_number, row.loc, row.cells, tuple(links), row.extra, general
        )
    for force_def, alias in resolver.unused_aliases():
        diagnostics.append(
            warning(
                f"alias {alias!r} of force {force_def.label!r} matches no driving force in the notes",
                SourceLocation(taxonomy.path, force_def.line),
                "check its spelling, or remove it",
            )
        )

    diagnostics.extend(resolver.problems)
    notes.sort(key=note_sort_key)
    keyed, problems = _forces(notes, signals, wordings, taxonomy, book)
    diagnostics.extend(problems)
    final_ids = {f.key: f.force.id for f in keyed}
    keyed, placements = _with_broad(keyed, resolver, taxonomy, signals, notes)
    linked_signals = {sid: _with_force_ids(signal, final_ids) for sid, signal in signals.items()}
    ordered_signals = tuple(linked_signals[sid] for note in notes for sid in note.signal_ids)
    keywords, keyword_ids = build_terms(notes, lambda n: n.parsed.keywords)
    themes, theme_ids = build_terms(notes, lambda n: n.parsed.themes)
    notes = [
        replace(n, keyword_ids=term_ids(n.parsed.keywords, keyword_ids), theme_ids=term_ids(n.parsed.themes, theme_ids))
        for n in notes
    ]
    pairs, problems = similar_forces([k for k in keyed if not k.force.broad], taxonomy, resolver)
    diagnostics.extend(problems)
    force_list = _with_distinct([f.force for f in keyed], pairs)
    kb = KnowledgeBase(
        notes=tuple(notes),
        signals=ordered_signals,
        forces=force_list,
        notes_by_id={n.id: n for n in notes},
        signals_by_id={s.id: s for s in ordered_signals},
        forces_by_id={f.id: f for f in force_list},
        keywords=tuple(keywords),
        themes=tuple(themes),
        similar_forces=tuple(pairs),
        categories=taxonomy.categories,
        ledger=book.ledger(),
        placements=placements,
        merges=tuple(
            Merged(final_ids[m.leader], m.wording, m.score, BROAD + m.broad_id)
            for m in resolver.merges
            if m.leader in final_ids
        ),
    )
    diagnostics.extend(near_duplicate_warnings(kb))
    kb = replace(kb, related=related_index(kb, resolver.model))
    return kb, diagnostics


def _with_force_ids(signal: Signal, final_ids: dict[str, str]) -> Signal:
    links = tuple(ForceLink(final_ids[x.force_id], x.phrase, x.how, x.part, x.via) for x in signal.forces)
    return replace(signal, forces=links)


def _with_distinct(forces: Sequence[Force], pairs: Sequence[ForcePair]) -> tuple[Force, ...]:
    others: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        if pair.distinct:
            others[pair.a].add(pair.b)
            others[pair.b].add(pair.a)
    return tuple(replace(f, distinct=tuple(sorted(others[f.id]))) if f.id in others else f for f in forces)


def _label(texts: Sequence[tuple[str, str]]) -> str:
    """An undeclared force's label: the wording its own signals use most, as written (ties: the shortest).

    Wordings that joined it as narrower or by meaning count only when it has no wording of its own.
    """
    own = [text for text, how in texts if how not in ("narrower", "same meaning")] or [text for text, _ in texts]
    return phrase_label(own) if own else ""


def _with_broad(
    keyed: list[KeyedForce],
    resolver: ForceResolver,
    taxonomy: Taxonomy,
    signals: dict[str, Signal],
    notes: Sequence[Note],
) -> tuple[list[KeyedForce], dict[str, tuple[Placed, ...]]]:
    """Fine forces with their broad forces (`broader`), and the broad forces that hold any signal, appended."""
    children: dict[str, list[str]] = defaultdict(list)
    placements: dict[str, tuple[Placed, ...]] = {}
    out: list[KeyedForce] = []
    for item in keyed:
        placed = resolver.placements.get(item.key, [])
        if placed:
            placements[item.force.id] = tuple(
                Placed(BROAD + p.broad_id, p.score, p.how, p.example, p.word) for p in placed
            )
            for p in placed:
                children[p.broad_id].append(item.force.id)
            item = KeyedForce(item.key, replace(item.force, broader=tuple(BROAD + p.broad_id for p in placed)))
        out.append(item)
    fine = {k.force.id: k.force for k in out}
    order = {sid: i for i, sid in enumerate(s for n in notes for s in n.signal_ids)}
    broad: list[KeyedForce] = []
    for force_def in taxonomy.broad:
        kids = children.get(force_def.id, [])
        if not kids:
            continue
        sids = sorted({s for k in kids for s in fine[k].signal_ids}, key=order.__getitem__)
        note_ids = tuple(dict.fromkeys(signals[s].note_id for s in sids))
        force = Force(
            BROAD + force_def.id,
            force_def.label,
            tuple(sids),
            note_ids,
            force_def.category,
            force_def.description,
            children=tuple(kids),
            declared=True,
            phrases=force_def.examples,
            level="broad",
        )
        broad.append(KeyedForce(BROAD + force_def.id, force))
    return out + broad, placements


def _forces(
    notes: list[Note],
    signals: dict[str, Signal],
    wordings: dict[str, list[tuple[str, str]]],
    taxonomy: Taxonomy,
    book: Permalinks,
) -> tuple[list[KeyedForce], list[Diagnostic]]:
    """Force objects for every declared force and every force found in the notes, most shared first."""
    members: dict[str, list[str]] = defaultdict(list)
    for note in notes:
        for sid in note.signal_ids:
            for link in signals[sid].forces:
                members[link.force_id].append(sid)
    declared = {f.id: f for f in taxonomy.forces}
    children: dict[str, list[str]] = defaultdict(list)
    for force_def in taxonomy.forces:
        if force_def.parent:
            children[force_def.parent].append(force_def.id)
    keys = sorted(set(members) | set(declared))
    candidates: list[ForceCandidate] = []
    for key in keys:
        texts = wordings.get(key, [])
        distinct = tuple(dict.fromkeys(text for text, _ in texts))
        if key in declared:
            d = declared[key]
            candidates.append(ForceCandidate(key, d.label, (d.label, *d.aliases, *distinct), d.id, d.line))
        else:
            candidates.append(ForceCandidate(key, _label(texts), distinct))
    force_ids, diagnostics = book.force_ids(candidates, taxonomy.path)
    out: list[KeyedForce] = []
    for key, candidate, force_id in zip(keys, candidates, force_ids, strict=True):
        sids = members.get(key, [])
        note_ids = tuple(dict.fromkeys(signals[s].note_id for s in sids))
        distinct = tuple(dict.fromkeys(text for text, _ in wordings.get(key, [])))
        if key in declared:
            d = declared[key]
            force = Force(
                d.id,
                d.label,
                tuple(sids),
                note_ids,
                d.category,
                d.description,
                d.aliases,
                d.parent,
                tuple(children.get(d.id, ())),
                True,
                distinct,
            )
        else:
            force = Force(force_id, candidate.label, tuple(sids), note_ids, phrases=distinct)
        out.append(KeyedForce(key, force))
    out.sort(key=lambda k: (-len(k.force.signal_ids), -len(k.force.note_ids), k.force.label.casefold(), k.force.id))
    return out, diagnostics
