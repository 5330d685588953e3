"""Machine-readable outputs: `signals.json` (FORMAT.md §5, plus the force taxonomy, matches, keywords and themes)."""

from __future__ import annotations

import json
from typing import Any

from . import urls
from .model import KnowledgeBase, Term


def _term(term: Term, url: str) -> dict[str, Any]:
    return {"id": term.id, "label": term.label, "url": url, "notes": list(term.note_ids)}


def signals_json(kb: KnowledgeBase) -> bytes:
    """The knowledge base as the JSON document of FORMAT.md §5 (notes newest first, forces most shared first)."""
    data: dict[str, Any] = {
        "notes": [
            {
                "id": n.id,
                "url": urls.note(n.id),
                "title": n.title,
                "date": n.date.isoformat() if n.date else None,
                "source": n.parsed.source,
                "keywords": list(n.parsed.keywords),
                "themes": list(n.parsed.themes),
                "closest": list(n.closest),
                "path": n.parsed.path,
            }
            for n in kb.notes
        ],
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
            }
            for f in kb.forces
        ],
        "similar_forces": [{"a": p.a, "b": p.b, "score": p.score, "distinct": p.distinct} for p in kb.similar_forces],
        "keywords": [_term(t, urls.keyword(t.id)) for t in kb.keywords],
        "themes": [_term(t, urls.theme(t.id)) for t in kb.themes],
        "categories": list(kb.categories),
    }
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
