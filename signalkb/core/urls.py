"""The only code that knows URLs: entity → site-relative URL → output path, and relative links between pages.

Site-relative URLs have no leading slash; page URLs end with `/` and are written as `<url>index.html`.
Pages link to each other with relative links only, so the site works under any sub-path.
"""

from __future__ import annotations

import posixpath

HOME = ""
NOTES = "notes/"
SIGNALS = "signals/"
FORCES = "forces/"
THEMES = "themes/"
KEYWORDS = "keywords/"
CATEGORIES = "categories/"
SIGNALS_JSON = "signals.json"
SIGNALS_CSV = "signals.csv"
ASSETS = "assets/"
NOT_FOUND = "404.html"
"""The page GitHub Pages (and most hosts) serve for any missing path, at any depth."""
SITEMAP = "sitemap.xml"
SITEMAP_PART = "sitemap-{}.xml"
"""Parts of a sitemap too long for one file (sitemap.xml is then their index)."""
ROBOTS = "robots.txt"
FEED = "feed.xml"
NOJEKYLL = ".nojekyll"
SEARCH = "search/"
SEARCH_BUNDLE = "pagefind/"
CNAME = "CNAME"


def note(note_id: str) -> str:
    """URL of a note's page."""
    return f"{NOTES}{note_id}/"


def signal(signal_id: str) -> str:
    """URL of a signal's page."""
    return f"{SIGNALS}{signal_id}/"


def force(force_id: str) -> str:
    """URL of a force's page."""
    return f"{FORCES}{force_id}/"


def theme(theme_id: str) -> str:
    """URL of a theme's page."""
    return f"{THEMES}{theme_id}/"


def keyword(keyword_id: str) -> str:
    """URL of a keyword's page."""
    return f"{KEYWORDS}{keyword_id}/"


def category(category_id: str) -> str:
    """URL of a force category's page."""
    return f"{CATEGORIES}{category_id}/"


def note_json(note_id: str) -> str:
    """URL of a note's data and its signals', next to the note's page."""
    return f"{NOTES}{note_id}/index.json"


def force_feed(force_id: str) -> str:
    """URL of a force's Atom feed, next to its page."""
    return f"{FORCES}{force_id}/{FEED}"


def base_path(base_url: str | None) -> str:
    """The site root's path on its host (`https://u.github.io/repo/` → `/repo/`; `/` without one), for 404.html."""
    if not base_url:
        return "/"
    rest = base_url.split("://", 1)[-1]
    path = rest[rest.find("/") :] if "/" in rest else "/"
    return path if path.endswith("/") else path + "/"


def asset(name: str) -> str:
    """URL of a static asset (stylesheet, script)."""
    return f"{ASSETS}{name}"


def output_path(url: str) -> str:
    """The file a URL is written to, relative to the output folder (`notes/x/` → `notes/x/index.html`)."""
    if url == HOME or url.endswith("/"):
        return url + "index.html"
    return url


def relative(from_url: str, to_url: str) -> str:
    """A relative link from the page at `from_url` to `to_url` (`notes/a/` → `signals/b/` is `../../signals/b/`)."""
    return root(from_url) + to_url if to_url else root(from_url)


def root(from_url: str) -> str:
    """The relative link from a page to the site root (`./` for the home page, `../../` for `notes/x/`)."""
    base = from_url if from_url.endswith("/") or from_url == HOME else posixpath.dirname(from_url) + "/"
    if base in ("", "/"):
        return "./"
    return "../" * base.count("/")
