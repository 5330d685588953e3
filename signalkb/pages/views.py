"""View data shared by every page builder: page specs, site-relative references made once, the base view.

Views hold strings, numbers, lists, dicts and `Markup` (HTML that is already safe). References shared by
many pages (a force's signals) are made once with site-relative URLs; each page prefixes its own root.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from markupsafe import Markup

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.model import KnowledgeBase, Note, Signal
from signalkb.core.slugs import slugify

View = dict[str, Any]

HOW_LABELS: Mapping[str, str] = {
    "label": "same name as the force",
    "alias": "an alias in forces.yaml",
    "same words": "same words",
    "narrower": "a narrower wording",
    "same phrase": "same phrase",
    "same meaning": "same meaning, in other words",
}
"""How a match is described on signal pages."""

NAV = (
    ("Home", urls.HOME),
    ("Notes", urls.NOTES),
    ("Signals", urls.SIGNALS),
    ("Forces", urls.FORCES),
    ("Themes", urls.THEMES),
    ("Keywords", urls.KEYWORDS),
)
"""The main navigation: label and site-relative URL."""


@dataclass(frozen=True)
class PageSpec:
    """One page to render: its URL, its template and its view data."""

    url: str
    template: str
    view: View


@dataclass(frozen=True)
class RawFile:
    """An output that is not a template page (a signal's JSON, a force's feed): its output path and its bytes."""

    path: str
    data: bytes


def safe(html: str) -> Markup:
    """HTML made by markup.py (escaped, or rendered with raw HTML off), marked safe for templates."""
    return Markup(html)  # noqa: S704 - only ever given markup.py's output


def note_date(note: Note) -> str:
    """A note's date as YYYY-MM-DD, or empty."""
    return note.date.isoformat() if note.date else ""


def category_id(category: str) -> str:
    """The id of a force category (its slug)."""
    return slugify(category)


class Refs:
    """Site-relative references to notes, signals, forces and terms, made once per build."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.notes: dict[str, View] = {
            n.id: {"title": n.title, "url": urls.note(n.id), "date": note_date(n), "signals": len(n.signal_ids)}
            for n in kb.notes
        }
        self.forces: dict[str, View] = {
            f.id: {
                "label": f.label,
                "url": urls.force(f.id),
                "signals": len(f.signal_ids),
                "notes": len(f.note_ids),
                "category": f.category or "",
                "level": f.level,
            }
            for f in kb.forces
        }
        self.signals: dict[str, View] = {s.id: self._signal(s) for s in kb.signals}
        self.keywords: dict[str, View] = {
            t.id: {"label": t.label, "url": urls.keyword(t.id), "notes": len(t.note_ids)} for t in kb.keywords
        }
        self.themes: dict[str, View] = {
            t.id: {"label": t.label, "url": urls.theme(t.id), "notes": len(t.note_ids)} for t in kb.themes
        }
        self.categories: dict[str, View] = {
            c: {"label": c, "url": urls.category(category_id(c))} for c in kb.categories
        }

    def with_signals(self, kb: KnowledgeBase, signals: Sequence[str]) -> Refs:
        """These references with those of `signals` made again from `kb` (their cells changed, nothing else)."""
        other = copy.copy(self)
        other.kb = kb
        other.signals = {**self.signals, **{sid: self._signal(kb.signals_by_id[sid]) for sid in signals}}
        return other

    def _signal(self, s: Signal) -> View:
        return {
            "id": s.id,
            "html": safe(s.cells["signal"].html or "<i>(no signal text)</i>"),
            "text": s.text,
            "url": urls.signal(s.id),
            "change": safe(s.cells["change"].html),
            "horizon": safe(s.cells["horizon"].html),
            "note": self.notes[s.note_id],
            "forces": [self.forces[link.force_id] for link in s.forces],
        }


class Shared(Mapping[str, Any]):
    """View data that many pages share (a signal in a list): read-only, with a digest of its content.

    Templates read it like a dict (`s.href`); page fingerprints use its digest instead of its content,
    so a page listing 40 signals is fingerprinted without encoding them all again.
    """

    __slots__ = ("_data", "digest")

    def __init__(self, data: View) -> None:
        self._data = data
        self.digest = (
            "#" + hashlib.blake2b(ENCODER.encode(data).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
        )

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __or__(self, other: Mapping[str, Any]) -> View:
        return {**self._data, **other}


class SharedList(Sequence[Shared]):
    """A list of shared items that many pages show alike (a force's first signals): read-only, with a digest.

    Templates iterate it like a list; `signal_list` renders it once per build by its digest (`fragment`), and
    page fingerprints use the digest instead of the items.
    """

    __slots__ = ("_items", "digest")

    def __init__(self, items: Sequence[Shared]) -> None:
        self._items = tuple(items)
        self.digest = "#" + hashlib.blake2b("".join(i.digest for i in self._items).encode(), digest_size=12).hexdigest()

    @overload
    def __getitem__(self, index: int) -> Shared: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Shared]: ...

    def __getitem__(self, index: int | slice) -> Shared | Sequence[Shared]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Shared]:
        return iter(self._items)


def _encode_default(obj: object) -> str:
    return obj.digest if isinstance(obj, Shared | SharedList) else repr(obj)


ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"), default=_encode_default)
"""Encodes views canonically for fingerprints (JSON, in C; shared parts by their digest)."""


def level_name(level: str) -> str:
    """How a force's level is named on pages: `driving force` (fine) or `broader force` (broad)."""
    return "broader force" if level == "broad" else "driving force"


def item(ref: View, root: str) -> View:
    """A signal reference for lists (text, link, note; not its cells or forces), linked for a page at `root`.

    Lists that show a signal's change as well (a force's page) add it: a page that lists a signal without
    showing its change does not change when the change does.
    """
    note = ref["note"]
    return {
        "html": ref["html"],
        "href": root + ref["url"],
        "note": {"title": note["title"], "date": note["date"], "href": root + note["url"]},
    }


def linked(ref: View, root: str) -> View:
    """A copy of a reference with `href` set for a page whose root is `root`; nested refs too."""
    out = dict(ref)
    out["href"] = root + ref["url"]
    if "note" in ref:
        out["note"] = linked(ref["note"], root)
    if "forces" in ref:
        out["forces"] = [linked(f, root) for f in ref["forces"]]
    return out


def base_view(config: SiteConfig, url: str, title: str, description: str, kind: str, root: str | None = None) -> View:
    """What every page has: site, page (canonical URL, feed with base_url), root (or `root` given), css, nav."""
    root = urls.root(url) if root is None else root
    section = url.split("/", 1)[0] + "/" if "/" in url else url
    base = config.base_url
    return {
        "site": {
            "title": config.title,
            "description": config.description,
            "lang": config.language,
            "feed": root + urls.FEED if base else "",
        },
        "page": {
            "title": title,
            "description": description,
            "url": url,
            "kind": kind,
            "canonical": base + url if base else "",
            "noindex": False,
            "feed": root + url + urls.FEED if base and kind == "force" else "",
        },
        "root": root,
        "css": root + urls.asset("style.css"),
        "search": {"href": root + urls.SEARCH, "script": root + urls.asset("search.js")} if config.search else None,
        "nav": [{"label": label, "href": root + target, "current": target == section} for label, target in NAV],
        "sections": {label.lower(): root + target for label, target in NAV},
    }
