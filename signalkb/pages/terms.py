"""Keyword and theme pages: an index of each kind, and one page per term listing its notes and their forces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.model import KnowledgeBase, Term
from signalkb.pages.views import PageSpec, Refs, View, base_view, linked

TOP_FORCES = 10
"""Forces listed on a term page (the ones most named by its notes' signals)."""


def term_pages(kb: KnowledgeBase, config: SiteConfig, refs: Refs) -> list[Callable[[], PageSpec]]:
    """The theme and keyword indexes and a page per theme and keyword, each as a function that builds it."""
    out: list[Callable[[], PageSpec]] = []
    kinds = (
        ("theme", "Themes", urls.THEMES, urls.theme, kb.themes, refs.themes),
        ("keyword", "Keywords", urls.KEYWORDS, urls.keyword, kb.keywords, refs.keywords),
    )
    for kind, title, index_url, url_of, terms, term_refs in kinds:
        out.append(partial(_term_index, config, kind, title, index_url, terms, term_refs))
        out.extend(partial(_term_page, kb, config, refs, kind, title, index_url, url_of(t.id), t) for t in terms)
    return out


def _term_index(
    config: SiteConfig, kind: str, title: str, index_url: str, terms: Sequence[Term], term_refs: Mapping[str, View]
) -> PageSpec:
    view = base_view(config, index_url, title, f"{len(terms)} {title.lower()} of the notes, most used first.", "terms")
    view.update(kind=kind, terms=[linked(term_refs[t.id], view["root"]) for t in terms])
    return PageSpec(index_url, "term_index.html", view)


def _term_page(
    kb: KnowledgeBase, config: SiteConfig, refs: Refs, kind: str, title: str, index_url: str, url: str, term: Term
) -> PageSpec:
    count = len(term.note_ids)
    view = base_view(
        config, url, term.label, f"{count} note{'s' if count != 1 else ''} with the {kind} {term.label}.", kind
    )
    root = view["root"]
    forces: Counter[str] = Counter()
    for nid in term.note_ids:
        for sid in kb.notes_by_id[nid].signal_ids:
            forces.update({link.force_id for link in kb.signals_by_id[sid].forces})
    top = sorted(forces.items(), key=lambda kv: (-kv[1], kb.forces_by_id[kv[0]].label.casefold(), kv[0]))[:TOP_FORCES]
    notes: list[View] = [linked(refs.notes[nid], root) for nid in term.note_ids]
    view.update(
        kind=kind,
        kind_title=title,
        index_href=root + index_url,
        term={"label": term.label, "spellings": [s for s in term.spellings if s != term.label]},
        notes=notes,
        forces=[linked(refs.forces[fid], root) | {"here": n} for fid, n in top if n > 1 or len(top) < TOP_FORCES],
    )
    return PageSpec(url, "term.html", view)
