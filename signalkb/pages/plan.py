"""Which pages exist, and the plain view data each template gets (links already relative).

Notes, signals, the home page and the note and signal indexes are planned here; force pages and the
force index in pages_forces.py, keyword and theme pages in pages_terms.py. Shared helpers: views.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from functools import partial

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.model import COLUMN_LABELS, COLUMNS, KnowledgeBase, Note, Signal
from signalkb.forces.analytics import RelatedSignals
from signalkb.pages.forces import ForcePages
from signalkb.pages.ledger_pages import cite, note_json, publish_pages
from signalkb.pages.overviews import home_timeline, recent_signals
from signalkb.pages.terms import term_pages
from signalkb.pages.views import (
    HOW_LABELS,
    PageSpec,
    RawFile,
    Refs,
    Shared,
    SharedList,
    View,
    base_view,
    item,
    level_name,
    linked,
    note_date,
    safe,
)

__all__ = ["HOW_LABELS", "PageSpec", "Planner", "plan_pages"]

RELATED_LIMIT = 6
"""Signals listed as most related on a signal page."""
RELATED_FORCES = 3
"""Forces worded alike listed on a signal page."""


class Planner:
    """Plans every page of one knowledge base; keeps what many pages share (references, list items, analytics)."""

    def __init__(self, kb: KnowledgeBase, config: SiteConfig) -> None:
        self.kb = kb
        self.config = config
        self.refs = Refs(kb)
        self.no_force = [s.id for s in kb.signals if not s.forces]
        self.related = RelatedSignals(kb, RELATED_LIMIT)
        self.similar: dict[str, list[tuple[str, float]]] = {}
        for pair in kb.similar_forces:
            if not pair.distinct:
                self.similar.setdefault(pair.a, []).append((pair.b, pair.score))
                self.similar.setdefault(pair.b, []).append((pair.a, pair.score))
        self.force_pages = ForcePages(kb, config, self.refs, self.similar, self.no_force)
        self._items: dict[str, Shared] = {}
        """Signal list items for signal pages, made once: every signal page has the same root."""
        self._lists: dict[tuple[str, ...], SharedList] = {}
        """Lists of those items shown on several signal pages (by the signal ids listed)."""
        self._broad_sets: dict[str, frozenset[str]] = {}
        """The signals under each broad force, as sets (made when first needed)."""

    def item(self, sid: str, root: str) -> Shared:
        """A signal's list item linked from a signal page (cached; all signal pages share one root)."""
        found = self._items.get(sid)
        if found is None:
            found = self._items[sid] = Shared(item(self.refs.signals[sid], root))
        return found

    def items(self, sids: tuple[str, ...], root: str) -> SharedList:
        """Signals' list items as one shared list (cached: most signals of a force list the same first others)."""
        found = self._lists.get(sids)
        if found is None:
            found = self._lists[sids] = SharedList([self.item(sid, root) for sid in sids])
        return found

    def base(self, url: str, title: str, description: str, kind: str) -> View:
        return base_view(self.config, url, title, description, kind)

    def rebased(self, kb: KnowledgeBase, signals: Sequence[str] = ()) -> Planner:
        """This planner for `kb`, a knowledge base that differs from its own only in what notes show of themselves
        (and in the cells of `signals` that lists of signals do not show).

        Everything the planner shares between pages (list items, related signals, force analytics) depends
        only on what the two have in common, so it is kept (fastpath.py says what that is); the references
        of `signals` are made again.
        """
        other = copy.copy(self)
        other.kb = kb
        if signals:
            other.refs = self.refs.with_signals(kb, signals)
            other.force_pages = self.force_pages.rebased(kb, other.refs)
        return other

    def forces_showing(self, signals: Sequence[str]) -> list[Callable[[], PageSpec | RawFile]]:
        """The pages of the forces of `signals`: beside their notes' own pages and the signal index, the only
        pages that show the signals' change cells."""
        by_id = self.kb.forces_by_id
        fine = dict.fromkeys(link.force_id for sid in signals for link in self.kb.signals_by_id[sid].forces)
        forces = fine | dict.fromkeys(b for fid in fine for b in by_id[fid].broader if b in by_id)
        return [partial(self.force_pages.force_page, self.kb.forces_by_id[fid]) for fid in forces]

    def owned(self, note: Note) -> list[Callable[[], PageSpec | RawFile]]:
        """The pages that show all of a note: its page, its signals' pages and its JSON file."""
        signals = [self.kb.signals_by_id[sid] for sid in note.signal_ids]
        return [
            partial(self.note_page, note),
            *(partial(self.signal_page, signal, note, position) for position, signal in enumerate(signals)),
            partial(note_json, self.kb, self.config, note.id),
        ]

    def plan(self) -> list[Callable[[], PageSpec | RawFile]]:
        """Every page as a function that builds its spec, in a fixed order."""
        signals = self.kb.signals_by_id
        return [
            self.home,
            self.note_index,
            self.signal_index,
            self.force_pages.index,
            *([self.search_page] if self.config.search else []),
            *(partial(self.note_page, note) for note in self.kb.notes),
            *(
                partial(self.signal_page, signals[sid], note, position)
                for note in self.kb.notes
                for position, sid in enumerate(note.signal_ids)
            ),
            *self.force_pages.plan(),
            *term_pages(self.kb, self.config, self.refs),
            *publish_pages(self.kb, self.config),
        ]

    def home(self) -> PageSpec:
        kb, url = self.kb, urls.HOME
        view = self.base(url, self.config.title, self.config.description, "home")
        root = view["root"]
        fine = [f for f in kb.forces if not f.broad]
        broad = sorted((f for f in kb.forces if f.broad and f.signal_ids), key=lambda f: -len(f.signal_ids))
        shared = [f for f in fine if len(f.note_ids) > 1]
        limit = self.config.home_forces
        broad_shown = broad[: max(limit - 4, (limit + 1) // 2)] if shared else broad[:limit]
        view.update(
            counts={
                "notes": len(kb.notes),
                "signals": len(kb.signals),
                "forces": len(fine),
                "shared_forces": len(shared),
                "broad": len(broad),
            },
            top_broad=[linked(self.refs.forces[f.id], root) for f in broad_shown],
            top_forces=[linked(self.refs.forces[f.id], root) for f in shared[: max(0, limit - len(broad_shown))]],
            newest=[linked(self.refs.notes[n.id], root) for n in kb.notes[: self.config.home_notes]],
            timeline=home_timeline(kb, self.refs, root),
            recent=recent_signals(kb, self.refs, root),
            notes_href=root + urls.NOTES,
            signals_href=root + urls.SIGNALS,
            forces_href=root + urls.FORCES,
        )
        return PageSpec(url, "home.html", view)

    def note_index(self) -> PageSpec:
        url = urls.NOTES
        view = self.base(url, "Notes", f"All {len(self.kb.notes)} notes, newest first.", "note-index")
        view["notes"] = [linked(self.refs.notes[n.id], view["root"]) for n in self.kb.notes]
        return PageSpec(url, "note_index.html", view)

    def signal_index(self) -> PageSpec:
        url = urls.SIGNALS
        view = self.base(url, "Signals", f"All {len(self.kb.signals)} signals, by note, newest first.", "signal-index")
        view["signals"] = [linked(self.refs.signals[s.id], view["root"]) for s in self.kb.signals]
        view["downloads"] = {"csv": view["root"] + urls.SIGNALS_CSV, "json": view["root"] + urls.SIGNALS_JSON}
        view["table_script"] = view["root"] + urls.asset("table.js")
        return PageSpec(url, "signal_index.html", view)

    def search_page(self) -> PageSpec:
        url = urls.SEARCH
        view = self.base(url, "Search", "Search the signals and notes, and filter by force, theme or year.", "search")
        view["signals_href"] = view["root"] + urls.SIGNALS
        return PageSpec(url, "search.html", view)

    def note_page(self, note: Note) -> PageSpec:
        url = urls.note(note.id)
        parsed = note.parsed
        description = parsed.summary_text[:300] or f"{len(note.signal_ids)} signals from {note.title}."
        view = self.base(url, note.title, description, "note")
        root = view["root"]
        signals = [self.kb.signals_by_id[sid] for sid in note.signal_ids]
        extra_columns = list(dict.fromkeys(name for s in signals for name, _ in s.extra))
        rows = []
        for s in signals:
            extra = dict(s.extra)
            rows.append(
                {
                    "anchor": s.id,
                    "href": root + urls.signal(s.id),
                    "cells": [safe(s.cells[c].html) for c in COLUMNS],
                    "extra": [safe(extra[name].html) if name in extra else "" for name in extra_columns],
                    "forces": [
                        linked(self.refs.forces[link.force_id], root) | {"phrase": link.part or link.phrase}
                        for link in s.forces
                    ],
                }
            )
        view.update(
            note={
                "id": note.id,
                "title": note.title,
                "date": note_date(note),
                "issue": parsed.issue,
                "source": parsed.source,
                "summary": safe(parsed.summary_html),
                "keywords": [linked(self.refs.keywords[k], root) for k in note.keyword_ids],
                "themes": [linked(self.refs.themes[t], root) for t in note.theme_ids],
                "sections": [{"title": s.title, "html": safe(s.html)} for s in parsed.sections],
                "meta": [{"key": k, "value": v} for k, v in parsed.meta],
                "path": parsed.path,
            },
            columns=[COLUMN_LABELS[c] for c in COLUMNS] + extra_columns,
            rows=rows,
            closest=[linked(self.refs.notes[nid], root) for nid in note.closest],
            closest_unlinked=list(note.closest_unlinked),
        )
        return PageSpec(url, "note.html", view)

    def _force_blocks(self, signal: Signal, root: str) -> list[View]:
        """Each fine force of the signal: how it was matched, its broader forces, and the others that share it."""
        limit = self.config.shared_limit
        blocks = []
        by_id = self.kb.forces_by_id
        for link in signal.forces:
            force = by_id[link.force_id]
            others = tuple(sid for sid in force.signal_ids[: limit + 1] if sid != signal.id)[:limit]
            blocks.append(
                linked(self.refs.forces[force.id], root)
                | {
                    "phrase": link.phrase,
                    "part": link.part,
                    "how": HOW_LABELS.get(link.how, link.how),
                    "via": link.via if link.via and link.via != force.label else "",
                    "category_href": self._category_href(force.category, root),
                    "broader": [linked(self.refs.forces[b], root) for b in force.broader if b in by_id],
                    "why": f"same {level_name(force.level)}: {force.label}",
                    "others": self.items(others, root),
                    "more": len(force.signal_ids) - 1 - len(others),
                }
            )
        return blocks

    def _category_href(self, category: str | None, root: str) -> str:
        return root + self.refs.categories[category]["url"] if category in self.refs.categories else ""

    def _broad_set(self, broad_id: str) -> frozenset[str]:
        """The signals under a broad force, as a set (made once per broad force)."""
        found = self._broad_sets.get(broad_id)
        if found is None:
            found = self._broad_sets[broad_id] = frozenset(self.kb.forces_by_id[broad_id].signal_ids)
        return found

    def _broader_blocks(self, signal: Signal, root: str) -> list[View]:
        """Each broad force over the signal's fine forces, with signals under it that share no fine force with this one
        (broad forces with none are left out).

        A signal listed under one broad force is not listed again under the next; each says through which of its
        own forces it sits under the broad force.
        """
        kb, limit = self.kb, self.config.shared_limit
        by_id = kb.forces_by_id
        fine = [by_id[link.force_id] for link in signal.forces]
        broad_ids = [b for b in dict.fromkeys(b for f in fine for b in f.broader) if b in by_id]
        if not broad_ids:
            return []
        excluded = {signal.id}
        for force in fine:
            excluded.update(force.signal_ids)
        shown: set[str] = set()
        blocks: list[View] = []
        for bid in broad_ids:
            broad = by_id[bid]
            own = [f for f in fine if bid in f.broader]
            candidates = len(broad.signal_ids) - sum(1 for sid in excluded if sid in self._broad_set(bid))
            others: list[View] = []
            listed = 0
            for sid in broad.signal_ids:
                if len(others) >= limit:
                    break
                if sid in excluded:
                    continue
                listed += 1
                if sid in shown:
                    continue
                shown.add(sid)
                via = next(
                    (by_id[lk.force_id] for lk in kb.signals_by_id[sid].forces if bid in by_id[lk.force_id].broader),
                    None,
                )
                why = f"same {level_name(broad.level)}: {broad.label}"
                if via is not None:
                    why += f" (via its force: {via.label})"
                others.append(self.item(sid, root) | {"why": why})
            if not others:
                continue
            blocks.append(
                linked(self.refs.forces[bid], root)
                | {
                    "description": broad.description or "",
                    "category_href": self._category_href(broad.category, root),
                    "through": [linked(self.refs.forces[f.id], root) for f in own],
                    "others": others,
                    "more": max(0, candidates - listed),
                }
            )
        return blocks

    def _related_forces(self, signal: Signal, root: str) -> list[View]:
        """Forces worded like this signal's forces (not merged), with a few of their signals from other notes."""
        own = {link.force_id for link in signal.forces}
        out: list[View] = []
        for link in signal.forces:
            for other, score in self.similar.get(link.force_id, [])[:RELATED_FORCES]:
                if other in own or len(out) >= RELATED_FORCES:
                    continue
                force = self.kb.forces_by_id[other]
                sids = tuple(s for s in force.signal_ids[:12] if self.kb.signals_by_id[s].note_id != signal.note_id)[:4]
                if sids:
                    out.append(
                        linked(self.refs.forces[other], root)
                        | {
                            "like": self.kb.forces_by_id[link.force_id].label,
                            "score": f"{score:.2f}",
                            "others": self.items(sids, root),
                        }
                    )
        return out

    def signal_page(self, signal: Signal, note: Note, position: int) -> PageSpec:
        url = urls.signal(signal.id)
        text = signal.text or "(no signal text)"
        when = f", {note_date(note)}" if note.date else ""
        description = f"{text} — {signal.cells['change'].text} (from “{note.title}”{when})"
        view = self.base(url, text, description, "signal")
        root = view["root"]
        ids = note.signal_ids
        view.update(
            signal={
                "id": signal.id,
                "html": self.refs.signals[signal.id]["html"],
                "row": signal.row,
                "fields": [{"label": COLUMN_LABELS[c], "html": safe(signal.cells[c].html)} for c in COLUMNS]
                + [{"label": name, "html": safe(cell.html)} for name, cell in signal.extra],
            },
            note=linked(self.refs.notes[note.id], root)
            | {
                "source": note.parsed.source,
                "anchor": signal.id,
                "data": root + urls.note_json(note.id),
                "keywords": [linked(self.refs.keywords[k], root) for k in note.keyword_ids],
                "themes": [linked(self.refs.themes[t], root) for t in note.theme_ids],
            },
            forces=self._force_blocks(signal, root),
            broader=self._broader_blocks(signal, root),
            general=list(signal.general),
            related_forces=self._related_forces(signal, root),
            most_related=[self.item(r.id, root) | {"reasons": list(r.reasons)} for r in self.related.of(signal.id)],
            previous=self.item(ids[position - 1], root) if position > 0 else None,
            next=self.item(ids[position + 1], root) if position + 1 < len(ids) else None,
            cite=cite(self.config, url, root, text, note),
        )
        return PageSpec(url, "signal.html", view)


def plan_pages(kb: KnowledgeBase, config: SiteConfig) -> list[Callable[[], PageSpec | RawFile]]:
    """Every page of the site (and the raw files made with them), in a fixed order, as functions that build each.

    Building a spec is deferred so that worker processes can each build and render their share.
    """
    return Planner(kb, config).plan()
