"""Outputs for crawlers and feed readers: Atom feeds (the site's, one per force), sitemap.xml, robots.txt, CNAME.

Each needs absolute URLs, so they are made only when `base_url` is set (robots.txt always). XML is
written by hand with escaping (fast, and byte-for-byte reproducible); dates are the notes' own, never
the time of the build.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from xml.sax.saxutils import escape, quoteattr

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.ledger import LIVE
from signalkb.core.model import KnowledgeBase, Note, Signal
from signalkb.notes.markup import printable_utf8

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_ENTRIES = 50
"""Entries in each feed: the newest dated notes (site feed) or signals (force feeds)."""
SITEMAP_LIMIT = 50_000
"""URLs per sitemap file (the protocol's limit); more make sitemap.xml an index of parts."""
EPOCH = "1970-01-01T00:00:00Z"
"""The `updated` time of a feed without dated entries."""
NEEDS_BASE_URL = "sitemap.xml, feed.xml, the force feeds, canonical and og:url links"
"""What a build leaves out without base_url (the one warning says so)."""


def _time(note: Note) -> str:
    return f"{note.date.isoformat()}T00:00:00Z" if note.date else EPOCH


def _feed(
    title: str, subtitle: str, self_url: str, page_url: str, config: SiteConfig, entries: list[tuple[str, str]]
) -> bytes:
    """An Atom feed document; `entries` are (updated time, entry XML), newest first."""
    updated = max((when for when, _ in entries), default=EPOCH)
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM}" xml:lang={quoteattr(config.language)}>',
        f"  <title>{escape(title)}</title>",
        f"  <subtitle>{escape(subtitle)}</subtitle>" if subtitle else "",
        f"  <id>{escape(self_url)}</id>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(page_url)}/>',
        f"  <updated>{updated}</updated>",
        f"  <author><name>{escape(config.title)}</name></author>",
        "  <generator>signalkb</generator>",
    ]
    body = "".join(xml for _, xml in entries)
    return printable_utf8("\n".join(line for line in head if line) + "\n" + body + "</feed>\n")


def _entry(title: str, url: str, when: str, summary: str, html: str) -> tuple[str, str]:
    return when, (
        "  <entry>\n"
        f"    <title>{escape(title)}</title>\n"
        f"    <id>{escape(url)}</id>\n"
        f'    <link rel="alternate" type="text/html" href={quoteattr(url)}/>\n'
        f"    <published>{when}</published>\n"
        f"    <updated>{when}</updated>\n"
        f"    <summary>{escape(summary)}</summary>\n"
        f'    <content type="html">{escape(html)}</content>\n'
        "  </entry>\n"
    )


def _signal_html(signal: Signal, base: str) -> str:
    href = quoteattr(base + urls.signal(signal.id))
    change = signal.cells["change"].html
    text = signal.cells["signal"].html or "(no signal text)"
    return f"<li><a href={href}>{text}</a>{' — ' + change if change else ''}</li>"


def site_feed(kb: KnowledgeBase, config: SiteConfig, base: str) -> bytes:
    """`feed.xml`: the newest dated notes, each with its summary and its signals."""
    entries = []
    for note in [n for n in kb.notes if n.date][:FEED_ENTRIES]:
        signals = "".join(_signal_html(kb.signals_by_id[sid], base) for sid in note.signal_ids)
        html = note.parsed.summary_html + (f"<h2>Signals</h2><ul>{signals}</ul>" if signals else "")
        url = base + urls.note(note.id)
        entries.append(_entry(note.title, url, _time(note), note.parsed.summary_text[:500], html))
    return _feed(config.title, config.description, base + urls.FEED, base, config, entries)


def force_feed(kb: KnowledgeBase, config: SiteConfig, base: str, force_id: str, path_id: str | None = None) -> bytes:
    """A force's feed of its newest signals (of dated notes), published under `path_id` (a merged force's id)."""
    force = kb.forces_by_id[force_id]
    entries = []
    for sid in force.signal_ids:
        signal = kb.signals_by_id[sid]
        note = kb.notes_by_id[signal.note_id]
        if note.date is None:
            continue
        note_link = f"<a href={quoteattr(base + urls.note(note.id))}>{escape(note.title)}</a>"
        cells = signal.cells
        html = (
            f"<p>{cells['change'].html}</p><p>In ten years: {cells['horizon'].html}</p>"
            f"<p>From the note {note_link}, {note.date.isoformat()}.</p>"
        )
        summary = f"{cells['change'].text} (from “{note.title}”)"
        entries.append(_entry(signal.text or "(no signal text)", base + urls.signal(sid), _time(note), summary, html))
        if len(entries) == FEED_ENTRIES:
            break
    self_url = base + urls.force_feed(path_id or force_id)
    title = f"{force.label} · {config.title}"
    about = force.description or f"New signals driven by “{force.label}”."
    return _feed(title, about, self_url, base + urls.force(force_id), config, entries)


def _urlset(addresses: Iterable[str]) -> bytes:
    body = "".join(f"  <url><loc>{escape(a)}</loc></url>\n" for a in addresses)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n{body}</urlset>\n'.encode()


def sitemap(base: str, page_urls: Sequence[str], limit: int = SITEMAP_LIMIT) -> Iterator[tuple[str, bytes]]:
    """sitemap.xml listing every page; beyond `limit` URLs, sitemap.xml indexes parts of `limit` each."""
    addresses = [base + url for url in page_urls]
    if len(addresses) <= limit:
        yield urls.SITEMAP, _urlset(addresses)
        return
    parts = []
    for number, start in enumerate(range(0, len(addresses), limit), 1):
        name = urls.SITEMAP_PART.format(number)
        parts.append(name)
        yield name, _urlset(addresses[start : start + limit])
    body = "".join(f"  <sitemap><loc>{escape(base + name)}</loc></sitemap>\n" for name in parts)
    index = f'<?xml version="1.0" encoding="utf-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n{body}</sitemapindex>\n'
    yield urls.SITEMAP, index.encode()


def indexable(kb: KnowledgeBase, published: Iterable[str]) -> list[str]:
    """URLs of the published pages a search engine should list: not 404.html, redirects or "removed" pages."""
    ledger = kb.ledger
    retired = {
        urls.output_path(url_of(rid))
        for records, url_of in ((ledger.notes, urls.note), (ledger.signals, urls.signal), (ledger.forces, urls.force))
        for rid, record in records.items()
        if record.state != LIVE
    }
    suffix = "index.html"
    return [rel[: -len(suffix)] for rel in published if rel.endswith(suffix) and rel not in retired]


def robots(base: str | None) -> bytes:
    """robots.txt: everything may be crawled; the sitemap's address when there is one."""
    lines = ["User-agent: *", "Allow: /"]
    if base:
        lines.append(f"Sitemap: {base}{urls.SITEMAP}")
    return ("\n".join(lines) + "\n").encode()


def cname(config: SiteConfig) -> str | None:
    """The domain for `CNAME`: the `cname` setting, else base_url's host when it is a custom domain at its root."""
    if config.cname is not None:
        return config.cname.strip() or None
    if not config.base_url:
        return None
    host, _, path = config.base_url.split("://", 1)[-1].partition("/")
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    local = host in ("localhost",) or host.replace(".", "").isdigit() or "." not in host
    if path or local or host.endswith(".github.io"):
        return None
    return host


def site_files(kb: KnowledgeBase, config: SiteConfig, published: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """robots.txt always; with base_url the sitemap (of `published` pages), the site feed and CNAME if any."""
    base = config.base_url
    yield urls.ROBOTS, robots(base)
    if not base:
        return
    yield from sitemap(base, indexable(kb, published))
    yield urls.FEED, site_feed(kb, config, base)
    domain = cname(config)
    if domain:
        yield urls.CNAME, (domain + "\n").encode()
