"""The preview's fast path: notes edited only in what they show of themselves are published without a full build.

Most edits while writing touch a note's prose: its summary, its other sections, its source link, an extra
column, the lines things sit on. None of that changes how the knowledge base links: ids, forces, terms,
Closest links, the ledger and every reference to the note and its signals on other pages stay as they
were. So when every changed file keeps its `signature`, the last build's knowledge base is patched with
the new notes, and only the pages that show all of a note (its page, its signals' pages and JSON) are
rendered again, plus the exports when they show what changed; the site equals what a full build makes
(tests/test_fastpath.py checks it against cold builds, edit kind by edit kind). Anything else (a new or
deleted note, a changed signal or force, forces.yaml, templates, settings) takes the full build.

The preview keeps a `Session`: the last build's inputs, cache state, linked knowledge base and page planner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from signalkb.core.config import SiteConfig
from signalkb.core.diagnostics import Diagnostic, SourceLocation
from signalkb.core.ledger import MOVED, Ledger
from signalkb.core.model import KnowledgeBase, Note, ParsedNote, RawRow, Signal
from signalkb.engine import cache
from signalkb.engine.inputs import Inputs
from signalkb.engine.workers import RenderJob, fingerprint, render_all
from signalkb.linking.permalinks import row_rest, text_key
from signalkb.notes import readers
from signalkb.pages.plan import PageSpec, Planner
from signalkb.pages.render import make_environment
from signalkb.pages.views import RawFile
from signalkb.publishing import search
from signalkb.publishing.staging import OutputRefused, Staging, site_id

log = logging.getLogger(__name__)

MAX_NOTES = 50
"""More changed notes than this at once take the full build (a checkout, a search and replace)."""


LINKED_COLUMNS = ("signal", "driving_force")
"""The columns whose cells decide ids and forces and show on other signals' pages."""
SHOWN_COLUMNS = ("change", "horizon")
"""The columns whose cells show beyond the note's own pages only on its forces' pages and the signal index."""


def signature(note: ParsedNote) -> tuple[object, ...]:
    """What linking and every page but the note's own read of a note, as read (after `readers.finish`).

    Two readings of a note with the same signature link alike; what may differ (summary, sections, meta,
    source, issue, extra columns, line numbers) shows only on the note's own pages, in its search records,
    and in the exports and feeds that `_exported` and `_fed` cover. The text of the change and horizon
    cells is in the signature too: every signal's related signals are ranked by meaning of all its cells.
    """
    return (
        note.path,
        note.display_path,
        note.kind,
        note.id_hint,
        note.title,
        note.date,
        note.keywords,
        note.themes,
        tuple((ref.label, ref.target) for ref in note.closest),
        _cells(note, LINKED_COLUMNS),
        tuple(tuple(row.cells[c].text for c in SHOWN_COLUMNS) for row in note.rows),  # related signals read them
    )


def _cells(note: ParsedNote, columns: Sequence[str]) -> tuple[object, ...]:
    return tuple(tuple((row.cells[c].text, row.cells[c].html) for c in columns) for row in note.rows)


def _shown(note: ParsedNote) -> tuple[object, ...]:
    return _cells(note, SHOWN_COLUMNS)


def _exported(note: ParsedNote) -> tuple[object, ...]:
    """What signals.json and signals.csv show of a note beyond its signature."""
    extra = tuple(tuple((name, cell.text) for name, cell in row.extra) for row in note.rows)
    return (note.source, extra, _shown(note))


def _fed(note: ParsedNote) -> tuple[object, ...]:
    """What the site feed shows of a note beyond its signature."""
    return (note.summary_html, note.summary_text)


@dataclass
class Loaded:
    """A linked knowledge base and what it was made from: what a full build leaves for the fast path."""

    kb: KnowledgeBase
    inputs: Inputs
    finished: list[ParsedNote]
    """The notes as linked (plain-text exports split again with knowledge-base evidence), in source order."""
    ledger: Ledger
    """The permalink ledger as read."""
    finish_diagnostics: list[Diagnostic]
    setup_diagnostics: list[Diagnostic]
    """Problems of forces.yaml and the ledger."""
    link_diagnostics: list[Diagnostic]


@dataclass
class Last:
    """The last build the preview published."""

    config: SiteConfig
    loaded: Loaded
    state: cache.CacheState
    planner: Planner
    pages: int
    """HTML pages in the site."""
    extra_diagnostics: list[Diagnostic] = field(default_factory=list)
    """Diagnostics of the build beyond loading (the base_url warning)."""


@dataclass
class Session:
    """What the preview keeps from one build to the next."""

    last: Last | None = None
    env: jinja2.Environment | None = None
    """A Jinja environment for the fast path, made after the last full build (its fragments stay valid)."""

    def remember(self, last: Last | None) -> None:
        """Keep a full build's outcome (None: the last build failed, so the next one is a full build)."""
        self.last = last
        self.env = None


@dataclass
class Outcome:
    """What the fast path did."""

    diagnostics: list[Diagnostic]
    files: int
    """Output files written."""
    parsed: int
    """Notes read again."""
    search_changed: int


def _line_map(old: ParsedNote, new: ParsedNote) -> dict[int, int] | None:
    """Old line → new line of everything linking points at in a note (title, rows, Closest entries)."""
    pairs: list[tuple[int | None, int | None]] = [(old.title_line, new.title_line)]
    pairs += [(a.loc.line, b.loc.line) for a, b in zip(old.rows, new.rows, strict=True)]
    pairs += [(a.loc.line, b.loc.line) for a, b in zip(old.closest, new.closest, strict=True)]
    lines: dict[int, int] = {}
    for before, after in pairs:
        if before is not None and after is not None and lines.setdefault(before, after) != after:
            return None
    return lines


def _moved(diagnostics: Sequence[Diagnostic], maps: dict[str, dict[int, int]]) -> list[Diagnostic] | None:
    """Link diagnostics with their lines in the changed files moved; None when one points elsewhere."""
    out: list[Diagnostic] = []
    for d in diagnostics:
        where = d.location
        lines = maps.get(where.path) if where is not None else None
        if where is None or lines is None or where.line is None:
            out.append(d)
        elif where.line in lines:
            out.append(replace(d, location=SourceLocation(where.path, lines[where.line])))
        else:
            return None
    return out


def _ids_kept(read: Ledger, note: Note, kb: KnowledgeBase) -> bool:
    """True when linking gives each of the note's rows its id by its text alone (then its other cells don't matter).

    permalink_match pairs a note's rows with the published signals of that note (or of a note that is
    gone, which may have become this one) by text first: so when the ledger read holds each of the note's
    signals, with its text, and no other such signal with one of those texts, the other cells play no part.
    """
    keys = [text_key(read.signals[sid].text) if sid in read.signals else None for sid in note.signal_ids]
    if None in keys or len(set(keys)) != len(keys):
        return False
    if any(read.signals[sid].note != note.id or read.signals[sid].state == MOVED for sid in note.signal_ids):
        return False
    wanted = set(keys)
    rivals = (
        r
        for r in read.signals.values()
        if r.state != MOVED and (r.note == note.id or r.note not in kb.notes_by_id) and text_key(r.text) in wanted
    )
    return sum(1 for _ in rivals) == len(keys)


def _relisted(ledger: Ledger, read: Ledger, kb: KnowledgeBase, sids: Sequence[str]) -> Ledger:
    """The ledger linking makes, with the other cells of `sids` as they are now."""
    signals = dict(ledger.signals)
    changed = ledger.changed
    for sid in sids:
        signal = kb.signals_by_id[sid]
        record = replace(signals[sid], rest=row_rest(RawRow(signal.loc, signal.cells)))
        signals[sid] = record
        changed = changed or read.signals.get(sid) != record
    return replace(ledger, signals=signals, changed=changed)


def _patched(kb: KnowledgeBase, changes: dict[str, ParsedNote]) -> KnowledgeBase:
    """`kb` with the notes of `changes` (note id → new reading) and their signals' cells and lines replaced."""
    notes = {nid: replace(kb.notes_by_id[nid], parsed=parsed) for nid, parsed in changes.items()}
    signals: dict[str, Signal] = {}
    for nid, parsed in changes.items():
        for sid, row in zip(notes[nid].signal_ids, parsed.rows, strict=True):
            signals[sid] = replace(kb.signals_by_id[sid], loc=row.loc, cells=row.cells, extra=row.extra)
    note_list, signal_list = list(kb.notes), list(kb.signals)
    offset = 0  # signals follow their notes' order (KnowledgeBase): a note's first signal is found by counting
    for i, note in enumerate(note_list):
        if note.id in notes:
            note_list[i] = notes[note.id]
            for k, sid in enumerate(note.signal_ids):
                assert signal_list[offset + k].id == sid, "signals are in their notes' order"
                signal_list[offset + k] = signals[sid]
        offset += len(note.signal_ids)
    return replace(
        kb,
        notes=tuple(note_list),
        signals=tuple(signal_list),
        notes_by_id={**kb.notes_by_id, **notes},
        signals_by_id={**kb.signals_by_id, **signals},
    )


def _same_setup(old: Inputs, new: Inputs) -> bool:
    return (
        old.setting == new.setting
        and old.templates == new.templates
        and old.taxonomy_text == new.taxonomy_text
        and old.ledger_text == new.ledger_text
        and old.problems == new.problems
        and [s.rel_path for s in old.sources] == [s.rel_path for s in new.sources]
    )


@dataclass
class _Patch:
    """The edit the fast path publishes: the patched knowledge base and what else it needs."""

    kb: KnowledgeBase
    planner: Planner
    entries: dict[str, cache.NoteEntry]
    finished: list[ParsedNote]
    finish_diagnostics: list[Diagnostic]
    link_diagnostics: list[Diagnostic]
    notes: list[str]
    """Ids of the changed notes."""
    recelled: list[str]
    """Ids of the signals whose change or horizon cells changed."""
    exports: bool
    """True when the exports (and feeds) show what changed."""


def _prepare(last: Last, config: SiteConfig, inputs: Inputs, changed: list[int]) -> _Patch | None:
    """The patch for the changed sources (their indexes), or None when an edit links differently."""
    loaded, state = last.loaded, last.state
    entries = dict(state.notes)
    for i in changed:
        source = inputs.sources[i]
        note, problems = readers.read_note(source)
        if note is None:
            return None
        entries[source.rel_path] = cache.NoteEntry(source.digest, note, problems)
    raw = [entries[s.rel_path].note for s in inputs.sources]
    if any(note is None for note in raw) or len(raw) != len(loaded.finished):
        return None
    finished, finish_diagnostics = readers.finish([n for n in raw if n is not None])
    wanted = set(changed)
    for i, (before, after) in enumerate(zip(loaded.finished, finished, strict=True)):
        if i not in wanted and before is not after and before != after:
            return None  # another export splits otherwise with the new evidence
        if i in wanted and signature(before) != signature(after):
            return None
    ids = {note.parsed.path: note.id for note in loaded.kb.notes}
    changes = {ids[finished[i].path]: finished[i] for i in changed}
    maps: dict[str, dict[int, int]] = {}
    for i in changed:
        lines = _line_map(loaded.finished[i], finished[i])
        if lines is None:
            return None
        maps[finished[i].display_path] = lines
    link_diagnostics = _moved(loaded.link_diagnostics, maps)
    if link_diagnostics is None:
        return None
    shown = [nid for nid, i in zip(changes, changed, strict=True) if _shown(loaded.finished[i]) != _shown(finished[i])]
    if shown and (
        config.base_url or not all(_ids_kept(loaded.ledger, loaded.kb.notes_by_id[n], loaded.kb) for n in shown)
    ):
        return None  # feeds show the cells (full build); or a row's id may hang on its other cells
    kb = _patched(loaded.kb, changes)
    recelled = [sid for nid in shown for sid in kb.notes_by_id[nid].signal_ids]
    if recelled:
        kb = replace(kb, ledger=_relisted(kb.ledger, loaded.ledger, kb, recelled))
    olds = [loaded.finished[i] for i in changed]
    news = [finished[i] for i in changed]
    fed = bool(config.base_url) and [_fed(n) for n in olds] != [_fed(n) for n in news]
    exports = fed or [_exported(n) for n in olds] != [_exported(n) for n in news]
    planner = last.planner.rebased(kb, recelled)
    return _Patch(
        kb, planner, entries, finished, finish_diagnostics, link_diagnostics, list(changes), recelled, exports
    )


def _stage(
    session: Session,
    config: SiteConfig,
    plan: Sequence[Callable[[], PageSpec | RawFile]],
    files: list[tuple[str, bytes]],
    pages: dict[str, str],
    seed: bytes,
) -> tuple[Staging, list[str]] | None:
    """`plan` rendered and `files` written into a staging folder where they changed (`pages` updated): the
    staging folder and the files in it, or None (after cleaning up) when something failed."""
    try:
        staging = Staging(config.out_dir)
    except (OutputRefused, OSError):
        return None
    written: list[str] = []
    try:
        session.env = session.env or make_environment(config.templates_dir)
        job = RenderJob(plan, dict(pages), seed, config.templates_dir, staging.path)
        for shard in render_all(job, 1, start="forkserver", pool_threshold=len(plan) + 1, env=session.env):
            if shard.error is not None:
                staging.abort()
                return None
            written.extend(rel for rel, mark in shard.pages if pages.get(rel) != mark)
            pages.update(shard.pages)
        for rel, data in files:
            mark = fingerprint(b"", data)
            if pages.get(rel) != mark:
                staging.write(rel, data)
                written.append(rel)
                pages[rel] = mark
    except OSError as exc:
        log.debug("the fast path gave up: %s", exc)  # the full build runs instead (and reports what keeps failing)
        staging.abort()
        return None
    return staging, written


def _apply(
    staging: Staging, folder: Path, publish_lock: AbstractContextManager[object] | None, session: Session
) -> bool:
    try:
        with publish_lock or nullcontext():
            cache.forget_published(folder)  # the pages change now: a kill from here on means a full build next
            staging.apply(())
    except OSError as exc:
        # Not for the user: publish() returns None, so pipeline.preview_build runs the full build at once. It
        # renders again every page this part changed (their fingerprints differ from its state's), or every
        # page once a part went live (the site's marker changed), publishes them, and reports an error of its
        # own when writing keeps failing (tests/test_fastpath.py).
        log.debug("the fast path failed while publishing: %s", exc)
        staging.abort()
        session.remember(None)  # the site is partly new: the next build renders every page again
        cache.forget_published(folder)
        return False
    return True


def publish(
    session: Session,
    config: SiteConfig,
    inputs: Inputs,
    folder: Path,
    static_files: Callable[[KnowledgeBase, list[str]], list[tuple[str, bytes]]],
    *,
    publish_lock: AbstractContextManager[object] | None,
    published: Callable[[list[str]], object] | None,
) -> Outcome | None:
    """Publish the changed notes by the fast path, or do nothing and return None (then a full build is needed).

    Files saved again without a change give an outcome that read and wrote nothing (`parsed` 0).
    `static_files(kb, pages)` makes the exports and feeds. The notes' own pages (and the pages of forces
    that show their cells) go live first, then the signal index and the exports when they changed;
    `published(files)` is called as each part goes live.
    """
    last = session.last
    if last is None or last.config != config or not _same_setup(last.loaded.inputs, inputs):
        return None
    loaded, state = last.loaded, last.state
    changed = [i for i, (a, b) in enumerate(zip(loaded.inputs.sources, inputs.sources, strict=True)) if a is not b]
    changed = [i for i in changed if loaded.inputs.sources[i].digest != inputs.sources[i].digest]
    if not changed and state.site_id == site_id(config.out_dir) != "":
        session.last = replace(last, loaded=replace(loaded, inputs=inputs))  # saved, not changed: the same site
        return Outcome(diagnostics(session.last), 0, 0, 0)
    if not changed or len(changed) > MAX_NOTES:
        return None
    patch = _prepare(last, config, inputs, changed)
    if patch is None:
        return None
    kb, planner = patch.kb, patch.planner
    pages = dict(state.pages)

    def go_live(plan: Sequence[Callable[[], PageSpec | RawFile]], files: list[tuple[str, bytes]]) -> list[str] | None:
        """One part rendered, staged and published: the files it changed, or None when it failed."""
        staged = _stage(session, config, plan, files, pages, state.templates)
        if staged is None or not _apply(staged[0], folder, publish_lock, session):
            return None
        return staged[1]

    first = [page for nid in patch.notes for page in planner.owned(kb.notes_by_id[nid])]
    if patch.recelled:
        first.extend(planner.forces_showing(patch.recelled))
    written = go_live(first, [])
    if written is None:
        return None
    if published is not None:
        published(written)
    state.notes = patch.entries
    state.notes_changed = True
    state.pages = pages  # updated in place by the second part too
    rest = [planner.signal_index] if patch.recelled else []
    files = static_files(kb, list(pages)) if patch.exports else []
    if rest or files:
        more = go_live(rest, files)
        if more is None:
            session.remember(None)
            return None
        written = [*written, *more]  # not in place: `published` may keep the first list
        if published is not None and more:
            published(more)
    state.site_id = site_id(config.out_dir)
    problems = [p for p in (cache.save_pages(folder, state),) if p is not None]
    search_changed = 0
    if config.search:
        notes = [kb.notes_by_id[nid] for nid in patch.notes]
        try:
            search_changed = search.update_records(folder / search.RECORDS, search.records(kb, config.language, notes))
        except OSError as exc:  # as in a full build: the pages are live, search does not find the edit
            problems.append(
                cache.unwritable(folder, exc, "the search records", "search on the site does not find what changed")
            )
    new_loaded = replace(
        loaded,
        kb=kb,
        inputs=inputs,
        finished=patch.finished,
        finish_diagnostics=patch.finish_diagnostics,
        link_diagnostics=patch.link_diagnostics,
    )
    session.last = replace(last, loaded=new_loaded, planner=planner)
    return Outcome(diagnostics(session.last) + problems, len(written), len(changed), search_changed)


def diagnostics(last: Last) -> list[Diagnostic]:
    """A build's diagnostics in the order a full build gives them."""
    loaded = last.loaded
    out = list(loaded.inputs.problems)
    for source in loaded.inputs.sources:
        entry = last.state.notes.get(source.rel_path)
        if entry is not None:
            out.extend(entry.diagnostics)
    return [
        *out,
        *loaded.finish_diagnostics,
        *loaded.setup_diagnostics,
        *loaded.link_diagnostics,
        *last.extra_diagnostics,
    ]
