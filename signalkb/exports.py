"""Machine-readable outputs: `signals.json` (FORMAT.md §5)."""

from __future__ import annotations

import json
from typing import Any

from . import urls
from .model import KnowledgeBase


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
            }
            for s in kb.signals
        ],
        "forces": [
            {"id": f.id, "label": f.label, "url": urls.force(f.id), "signals": list(f.signal_ids)} for f in kb.forces
        ],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
