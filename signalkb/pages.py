"""Which pages exist, and the plain view data each template gets (links already relative).

Views hold strings, numbers, lists, dicts and `Markup` (HTML that is already safe). Lists shared by
many pages (a force's signals) are made once with site-relative URLs; each page prefixes its own
relative root.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from . import urls
from .config import SiteConfig
from .model import COLUMN_LABELS, COLUMNS, Force, KnowledgeBase, Note, Signal

View = dict[str, Any]

HOW_LABELS: Mapping[str, str] = {
    "label": "same name as the force",
    "alias": "alias in forces.yaml",
    "same phrase": "same phrase",
}
"""How a match is described on signal pages."""


@dataclass(frozen=True)
class PageSpec:
    """One page to render: its URL, its template and its view data."""

    url: str
    template: str
    view: View


def _date(note: Note) -> str:
    return note.date.isoformat() if note.date else ""


class _Refs:
    """Site-relative references to notes, signals and forces, made once per build."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.notes: dict[str, View] = {
            n.id: {"title": n.title, "url": urls.note(n.id), "date": _date(n), "signals": len(n.signal_ids)}
            for n in kb.notes
        }
        self.forces: dict[str, View] = {
            f.id: {
                "label": f.label,
                "url": urls.force(f.id),
                "signals": len(f.signal_ids),
                "notes": len(f.note_ids),
                "category": f.category or "",
            }
            for f in kb.forces
        }
        self.signals: dict[str, View] = {s.id: self._signal(s) for s in kb.signals}

    def _signal(self, s: Signal) -> View:
        return {
            "id": s.id,
            "html": s.cells["signal"].html or Markup("<i>(no signal text)</i>"),
            "text": s.text,
            "url": urls.signal(s.id),
            "change": s.cells["change"].html,
            "horizon": s.cells["horizon"].html,
            "note": self.notes[s.note_id],
            "forces": [self.forces[link.force_id] for link in s.forces],
        }


def _linked(ref: View, root: str) -> View:
    """A copy of a reference with `href` set for a page whose root is `root`; nested refs too."""
    out = dict(ref)
    out["href"] = root + ref["url"]
    if "note" in ref:
        out["note"] = _linked(ref["note"], root)
    if "forces" in ref:
        out["forces"] = [_linked(f, root) for f in ref["forces"]]
    return out


class _Planner:
    def __init__(self, kb: KnowledgeBase, config: SiteConfig) -> None:
        self.kb = kb
        self.config = config
        self.refs = _Refs(kb)
        self.no_force = [s.id for s in kb.signals if not s.forces]

    def base(self, url: str, title: str, description: str, kind: str) -> View:
        root = urls.root(url)
        nav = [
            ("Home", urls.HOME),
            ("Notes", urls.NOTES),
            ("Signals", urls.SIGNALS),
            ("Forces", urls.FORCES),
        ]
        section = url.split("/", 1)[0] + "/" if "/" in url else url
        return {
            "site": {"title": self.config.title, "description": self.config.description, "lang": self.config.language},
            "page": {"title": title, "description": description, "url": url, "kind": kind},
            "root": root,
            "css": root + urls.asset("style.css"),
            "nav": [{"label": label, "href": root + target, "current": target == section} for label, target in nav],
        }

    def pages(self) -> Iterator[PageSpec]:
        yield self.home()
        yield self.note_index()
        yield self.signal_index()
        yield self.force_index()
        for note in self.kb.notes:
            yield self.note_page(note)
        for note in self.kb.notes:
            for position, sid in enumerate(note.signal_ids):
                yield self.signal_page(self.kb.signals_by_id[sid], note, position)
        for force in self.kb.forces:
            yield self.force_page(force)

    def home(self) -> PageSpec:
        kb, url = self.kb, urls.HOME
        view = self.base(url, self.config.title, self.config.description, "home")
        root = view["root"]
        shared = [f for f in kb.forces if len(f.note_ids) > 1][: self.config.home_forces]
        view.update(
            counts={
                "notes": len(kb.notes),
                "signals": len(kb.signals),
                "forces": len(kb.forces),
                "shared_forces": sum(1 for f in kb.forces if len(f.note_ids) > 1),
            },
            newest=[_linked(self.refs.notes[n.id], root) for n in kb.notes[: self.config.home_notes]],
            top_forces=[_linked(self.refs.forces[f.id], root) for f in shared],
            notes_href=root + urls.NOTES,
            signals_href=root + urls.SIGNALS,
            forces_href=root + urls.FORCES,
        )
        return PageSpec(url, "home.html", view)

    def note_index(self) -> PageSpec:
        url = urls.NOTES
        view = self.base(url, "Notes", f"All {len(self.kb.notes)} notes, newest first.", "note-index")
        view["notes"] = [_linked(self.refs.notes[n.id], view["root"]) for n in self.kb.notes]
        return PageSpec(url, "note_index.html", view)

    def signal_index(self) -> PageSpec:
        url = urls.SIGNALS
        view = self.base(url, "Signals", f"All {len(self.kb.signals)} signals, by note, newest first.", "signal-index")
        view["signals"] = [_linked(self.refs.signals[s.id], view["root"]) for s in self.kb.signals]
        return PageSpec(url, "signal_index.html", view)

    def force_index(self) -> PageSpec:
        url = urls.FORCES
        view = self.base(url, "Driving forces", "Driving forces, most shared first.", "force-index")
        root = view["root"]
        view["forces"] = [_linked(self.refs.forces[f.id], root) for f in self.kb.forces if f.signal_ids]
        view["unused"] = [_linked(self.refs.forces[f.id], root) for f in self.kb.forces if not f.signal_ids]
        view["no_force"] = [_linked(self.refs.signals[sid], root) for sid in self.no_force]
        return PageSpec(url, "force_index.html", view)

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
                    "cells": [s.cells[c].html for c in COLUMNS],
                    "extra": [extra[name].html if name in extra else "" for name in extra_columns],
                    "forces": [
                        _linked(self.refs.forces[link.force_id], root) | {"phrase": link.phrase} for link in s.forces
                    ],
                }
            )
        view.update(
            note={
                "id": note.id,
                "title": note.title,
                "date": _date(note),
                "issue": parsed.issue,
                "source": parsed.source,
                "summary": parsed.summary_html,
                "keywords": list(parsed.keywords),
                "themes": list(parsed.themes),
                "sections": [{"title": s.title, "html": s.html} for s in parsed.sections],
                "meta": [{"key": k, "value": v} for k, v in parsed.meta],
                "path": parsed.path,
            },
            columns=[COLUMN_LABELS[c] for c in COLUMNS] + extra_columns,
            rows=rows,
            closest=[_linked(self.refs.notes[nid], root) for nid in note.closest],
            closest_unlinked=list(note.closest_unlinked),
        )
        return PageSpec(url, "note.html", view)

    def signal_page(self, signal: Signal, note: Note, position: int) -> PageSpec:
        url = urls.signal(signal.id)
        text = signal.text or "(no signal text)"
        description = (
            f"{text} — {signal.cells['change'].text} (from “{note.title}”{', ' + _date(note) if note.date else ''})"
        )
        view = self.base(url, text, description, "signal")
        root = view["root"]
        limit = self.config.shared_limit
        forces = []
        for link in signal.forces:
            force = self.kb.forces_by_id[link.force_id]
            others = [sid for sid in force.signal_ids[: limit + 1] if sid != signal.id][:limit]
            forces.append(
                _linked(self.refs.forces[force.id], root)
                | {
                    "phrase": link.phrase,
                    "how": HOW_LABELS.get(link.how, link.how),
                    "others": [_linked(self.refs.signals[sid], root) for sid in others],
                    "more": len(force.signal_ids) - 1 - len(others),
                }
            )
        ids = note.signal_ids
        view.update(
            signal={
                "id": signal.id,
                "html": self.refs.signals[signal.id]["html"],
                "row": signal.row,
                "fields": [{"label": COLUMN_LABELS[c], "html": signal.cells[c].html} for c in COLUMNS]
                + [{"label": name, "html": cell.html} for name, cell in signal.extra],
            },
            note=_linked(self.refs.notes[note.id], root) | {"source": note.parsed.source, "anchor": signal.id},
            forces=forces,
            previous=_linked(self.refs.signals[ids[position - 1]], root) if position > 0 else None,
            next=_linked(self.refs.signals[ids[position + 1]], root) if position + 1 < len(ids) else None,
        )
        return PageSpec(url, "signal.html", view)

    def force_page(self, force: Force) -> PageSpec:
        url = urls.force(force.id)
        description = (
            force.description
            or f"{len(force.signal_ids)} signals from {len(force.note_ids)} notes share this driving force."
        )
        view = self.base(url, force.label, description, "force")
        root = view["root"]
        groups: dict[str, list[View]] = {}
        for sid in force.signal_ids:
            signal = self.kb.signals_by_id[sid]
            groups.setdefault(signal.note_id, []).append(_linked(self.refs.signals[sid], root))
        by_id = self.kb.forces_by_id
        view.update(
            force={
                "label": force.label,
                "description": force.description or "",
                "category": force.category or "",
                "aliases": list(force.aliases),
                "phrases": [p for p in force.phrases if p != force.label],
                "declared": force.declared,
                "signals": len(force.signal_ids),
                "notes": len(force.note_ids),
                "parent": _linked(self.refs.forces[force.parent], root)
                if force.parent and force.parent in by_id
                else None,
                "children": [_linked(self.refs.forces[c], root) for c in force.children if c in by_id],
            },
            forces_href=root + urls.FORCES,
            groups=[{"note": _linked(self.refs.notes[nid], root), "signals": sigs} for nid, sigs in groups.items()],
        )
        return PageSpec(url, "force.html", view)


def plan_pages(kb: KnowledgeBase, config: SiteConfig) -> Iterator[PageSpec]:
    """Every HTML page of the site, in a fixed order."""
    return _Planner(kb, config).pages()
