"""Outputs for a published site, planned with the pages: the 404 page, redirect and "removed" pages at published
URLs whose entity moved or went (from the permalink ledger), each signal's `index.json`, and each force's feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.ledger import MOVED, REMOVED, ForceRecord, NoteRecord, SignalRecord
from signalkb.core.model import KnowledgeBase, Note
from signalkb.pages import exports, feeds
from signalkb.pages.views import PageSpec, RawFile, View, base_view, note_date

KINDS = {
    "note": ("All notes", urls.NOTES),
    "signal": ("All signals", urls.SIGNALS),
    "force": ("All driving forces", urls.FORCES),
}
"""The index page a "removed" page of each kind links to."""


def publish_pages(kb: KnowledgeBase, config: SiteConfig) -> list[Callable[[], PageSpec | RawFile]]:
    """The 404 page, redirects, "removed" pages, note JSON files and force feeds, each as a function that makes it."""
    plan: list[Callable[[], PageSpec | RawFile]] = [partial(not_found, config)]
    ledger = kb.ledger
    kinds: tuple[tuple[str, Callable[[str], str], Mapping[str, NoteRecord | SignalRecord | ForceRecord]], ...] = (
        ("note", urls.note, ledger.notes),
        ("signal", urls.signal, ledger.signals),
        ("force", urls.force, ledger.forces),
    )
    for kind, url_of, records in kinds:
        for rid in sorted(records):
            record = records[rid]
            if record.state == MOVED:
                plan.append(partial(redirect_page, kb, config, kind, url_of(rid), url_of(record.to), record.to))
            elif record.state == REMOVED:
                plan.append(partial(removed_page, kb, config, kind, url_of(rid), record))
    plan.extend(partial(note_json, kb, config, note.id) for note in kb.notes)
    if config.base_url:
        plan.extend(partial(force_feed, kb, config, f.id, f.id) for f in kb.forces)
        for rid in sorted(ledger.forces):
            record = ledger.forces[rid]
            if record.state == MOVED and record.to in kb.forces_by_id:
                plan.append(partial(force_feed, kb, config, record.to, rid))
    return plan


def not_found(config: SiteConfig) -> PageSpec:
    """404.html: links through the site's absolute path, so they work at any depth under any missing URL."""
    root = urls.base_path(config.base_url)
    view = base_view(
        config,
        urls.NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
        "not-found",
        root=root,
    )
    view["page"] |= {"canonical": "", "noindex": True}
    view["links"] = [
        {"label": label, "href": root + target}
        for label, target in (("Notes", urls.NOTES), ("Signals", urls.SIGNALS), ("Driving forces", urls.FORCES))
    ]
    return PageSpec(urls.NOT_FOUND, "404.html", view)


def _label(kb: KnowledgeBase, kind: str, rid: str) -> str:
    """The current name of a note, signal or force, or the one the ledger remembers."""
    if kind == "note":
        note = kb.notes_by_id.get(rid)
        record = kb.ledger.notes.get(rid)
        return note.title if note else record.title if record else rid
    if kind == "signal":
        signal = kb.signals_by_id.get(rid)
        srecord = kb.ledger.signals.get(rid)
        return signal.text if signal else srecord.text if srecord else rid
    force = kb.forces_by_id.get(rid)
    frecord = kb.ledger.forces.get(rid)
    return force.label if force else frecord.label if frecord else rid


def redirect_page(kb: KnowledgeBase, config: SiteConfig, kind: str, url: str, target_url: str, target: str) -> PageSpec:
    """A published URL whose entity has a new one: a meta refresh (relative), the canonical URL and a visible link."""
    label = _label(kb, kind, target)
    view = base_view(config, url, label, f"This {kind} has moved to a new address.", "redirect")
    view["page"] |= {"canonical": config.base_url + target_url if config.base_url else "", "noindex": True}
    view["target"] = {"kind": kind, "label": label, "href": view["root"] + target_url}
    return PageSpec(url, "redirect.html", view)


def removed_page(
    kb: KnowledgeBase, config: SiteConfig, kind: str, url: str, record: NoteRecord | SignalRecord | ForceRecord
) -> PageSpec:
    """A published URL whose entity is gone: says so, shows what it was, and links on (a signal to its note)."""
    root = urls.root(url)
    index_label, index_url = KINDS[kind]
    removed: View = {"kind": kind, "index_label": index_label, "index_href": root + index_url, "note": None, "date": ""}
    if isinstance(record, NoteRecord):
        removed |= {"label": record.title, "date": record.date}
    elif isinstance(record, SignalRecord):
        note = kb.notes_by_id.get(record.note)
        removed |= {
            "label": record.text or "(no signal text)",
            "note": {
                "title": _label(kb, "note", record.note),
                "href": root + urls.note(record.note),
                "date": note_date(note) if note else "",
            },
        }
    else:
        removed |= {"label": record.label}
    title = f"Removed: {removed['label']}"
    view = base_view(config, url, title, f"This {kind} was removed from the knowledge base.", "removed")
    view["page"] |= {"canonical": "", "noindex": True}
    view["removed"] = removed
    return PageSpec(url, "removed.html", view)


def note_json(kb: KnowledgeBase, config: SiteConfig, note_id: str) -> RawFile:
    """A note's data and its signals' as JSON, next to the note's page."""
    return RawFile(urls.note_json(note_id), exports.note_record(kb, kb.notes_by_id[note_id], config.base_url))


def force_feed(kb: KnowledgeBase, config: SiteConfig, force_id: str, path_id: str) -> RawFile:
    """A force's Atom feed at `forces/<path_id>/feed.xml` (a merged force's old feed shows the force it went to)."""
    base = config.base_url or ""
    return RawFile(urls.force_feed(path_id), feeds.force_feed(kb, config, base, force_id, path_id))


def _markdown_text(text: str) -> str:
    return "".join("\\" + c if c in "\\[]" else c for c in text)


def cite(config: SiteConfig, url: str, root: str, text: str, note: Note) -> View:
    """A signal page's Cite block: its URL (relative without base_url; cite.js completes it), Markdown, citation."""
    base = config.base_url
    link = base + url if base else url
    when = f", {note.date.isoformat()}" if note.date else ""
    return {
        "url": link,
        "relative": "" if base else url,
        "markdown": f"[{_markdown_text(text)}]({link})",
        "citation": f"“{text}”. {note.title}{when}. {config.title}. {link}",
        "script": root + urls.asset("cite.js"),
    }
