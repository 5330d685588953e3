"""Publishing like GitHub Pages: the site served under a sub-path (/kb/) has no broken links, valid XML, a 404
page that works at any depth, old URLs that still lead somewhere, and the meta tags that make links unfurl."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from signalkb.core.config import SiteConfig
from signalkb.pages import feeds
from signalkb.pages.exports import csv_cell

from .conftest import ROOT, Project, native_note, tree_bytes

BASE = "https://example.org/kb/"
PREFIX = "/kb/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


# --- a stdlib server that behaves like GitHub Pages --------------------------------------------------------


class _Pages(BaseHTTPRequestHandler):
    """Serves the site under PREFIX: folders → index.html (301 without the slash), 404.html for anything missing."""

    site: Path
    seen: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.seen.append(path)
        if path.startswith(PREFIX):
            target = (self.site / unquote(path[len(PREFIX) :])).resolve()
            inside = target == self.site or self.site in target.parents
            if inside and target.is_dir():
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.end_headers()
                    return
                target = target / "index.html"
            if inside and target.is_file():
                self._send(200, target)
                return
        self._send(404, self.site / "404.html")

    def _send(self, status: int, file: Path) -> None:
        data = file.read_bytes()
        kinds = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".xml": "application/xml"}
        self.send_response(status)
        self.send_header("Content-Type", kinds.get(file.suffix, "application/octet-stream") + "; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass
class Server:
    """A running server: its origin (`http://127.0.0.1:PORT`) and every path requested."""

    origin: str
    seen: list[str]

    def get(self, path: str) -> tuple[int, str, bytes]:
        """Status, final URL and body of a GET (redirects followed; 404 is an answer, not an error)."""
        try:
            with urllib.request.urlopen(self.origin + path, timeout=10) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.url, exc.read()


@pytest.fixture
def serve() -> Iterator[object]:
    """Start a server for a site folder: `serve(site) -> Server` (stopped after the test)."""
    servers: list[ThreadingHTTPServer] = []

    def start(site: Path) -> Server:
        seen: list[str] = []
        handler = type("Handler", (_Pages,), {"site": site.resolve(), "seen": seen})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return Server(f"http://127.0.0.1:{server.server_address[1]}", seen)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# --- reading pages ----------------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.meta: dict[str, str] = {}
        self.rel: dict[str, str] = {}
        self.refresh = ""
        self.title = ""
        self._in_title = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "meta":
            key = a.get("property") or a.get("name") or a.get("http-equiv", "")
            self.meta[key] = a.get("content", "")
            if a.get("http-equiv") == "refresh":
                self.refresh = a["content"].split("url=", 1)[1]
                self.links.append(self.refresh)
        elif tag == "link":
            self.rel[a.get("rel", "")] = a.get("href", "")
            self.links.append(a.get("href", ""))
        elif tag in ("a", "script", "img"):
            link = a.get("href") or a.get("src")
            if link:
                self.links.append(link)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


def parse(body: bytes) -> _Page:
    page = _Page()
    page.feed(body.decode("utf-8"))
    page.close()
    return page


def local(link: str, page_url: str, origin: str) -> str | None:
    """The path on the test server a link leads to (the published base URL maps onto it), None when external."""
    if link.startswith(BASE):
        link = PREFIX + link[len(BASE) :]
    target = urlsplit(urljoin(origin + page_url, link))
    if target.scheme not in ("http", "https") or f"{target.scheme}://{target.netloc}" != origin:
        return None
    return target.path + (f"#{target.fragment}" if target.fragment else "")


@dataclass
class Crawl:
    """What a crawl from the site root found."""

    pages: dict[str, _Page] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    broken: list[str] = field(default_factory=list)


def crawl(server: Server, old_links: list[str]) -> Crawl:
    """Request every page and asset reachable from /kb/ and from `old_links` (links, stylesheets, scripts, feeds,
    sitemap, refreshes)."""
    found = Crawl()
    queue = [(PREFIX, "start"), (PREFIX + "sitemap.xml", "start"), (PREFIX + "robots.txt", "start")]
    queue += [(PREFIX + url, "an old link") for url in old_links]
    anchors: list[tuple[str, str, str]] = []
    done: set[str] = set()
    while queue:
        path, source = queue.pop()
        path, _, fragment = path.partition("#")
        if fragment:
            anchors.append((path, fragment, source))
        if path in done:
            continue
        done.add(path)
        status, url, body = server.get(path)
        final = urlsplit(url).path
        if status != 200:
            found.broken.append(f"{source} → {path} ({status})")
            continue
        found.files.add(final)
        if final.endswith("/") or final.endswith(".html"):
            page = parse(body)
            found.pages[final] = page
            queue.extend((t, final) for link in page.links if (t := local(link, final, server.origin)))
        elif final.endswith(".xml"):
            for element in ET.fromstring(body).iter():
                text = element.get("href") if element.tag == f"{ATOM}link" else element.text
                if (
                    element.tag in (f"{ATOM}link", f"{SITEMAP}loc")
                    and text
                    and (t := local(text, final, server.origin))
                ):
                    queue.append((t, final))
    for path, fragment, source in anchors:
        if path in found.pages and fragment not in found.pages[path].ids:
            found.broken.append(f"{source} → {path}#{fragment} (no such anchor)")
    return found


# --- the site under test ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The bundled knowledge base published at BASE, after edits that moved and removed published URLs."""
    root = tmp_path_factory.mktemp("pages")
    shutil.copytree(ROOT / "content", root / "content")
    (root / "content" / "permalinks.json").unlink(missing_ok=True)
    (root / "site.yaml").write_text(f"base_url: {BASE}\n", encoding="utf-8")
    project = Project(root)
    assert project.build().status == 0
    ai_act = project.content / "eu-ai-act-adopted.md"
    ai_act.write_text(ai_act.read_text(encoding="utf-8").replace("---\n", "---\nid: ai-act\n", 1), encoding="utf-8")
    (project.content / "inflation-reduction-act-signed.md").unlink()
    run = project.build()
    assert run.status == 0, run.err
    assert "base_url" not in run.err
    return project


def retired(project: Project) -> list[str]:
    """URLs of published notes, signals and forces that moved or were removed (from the permalink ledger)."""
    ledger = json.loads((project.content / "permalinks.json").read_text(encoding="utf-8"))
    return sorted(
        f"{kind}/{rid}/"
        for kind in ("notes", "signals", "forces")
        for rid, r in ledger[kind].items()
        if "moved" in r or "removed" in r
    )


def test_every_link_works_under_the_sub_path_and_nothing_leaves_it(published: Project, serve: object) -> None:
    server = serve(published.site)  # type: ignore[operator]
    old = retired(published)
    assert "notes/eu-ai-act-adopted/" in old and "notes/inflation-reduction-act-signed/" in old
    found = crawl(server, old)
    assert found.broken == []
    assert [p for p in server.seen if not p.startswith(PREFIX)] == []
    on_disk = {PREFIX + rel for rel in tree_bytes(published.site)}  # the search bundle is fetched by script only
    reached = {p + "index.html" if p.endswith("/") else p for p in found.files}
    unreached = on_disk - reached - {PREFIX + ".signalkb", PREFIX + ".nojekyll", PREFIX + "404.html"}
    assert sorted(unreached) == [], "every output file is reachable from the home page, sitemap or feeds"
    assert len(found.pages) > 300


def test_missing_page_gets_the_404_page_with_working_styles_and_links(published: Project, serve: object) -> None:
    server = serve(published.site)  # type: ignore[operator]
    for missing in ("/kb/a/b/c", "/kb/notes/no-such-note/", "/kb/x"):
        status, _, body = server.get(missing)
        assert status == 404
        assert body == (published.site / "404.html").read_bytes()
        page = parse(body)
        assert "Page not found" in page.title
        assert page.meta["robots"] == "noindex"
        links = [t for link in page.links if not link.startswith("#") and (t := local(link, missing, server.origin))]
        assert any(link.endswith("style.css") for link in links)
        for link in links:
            assert link.startswith(PREFIX), link
            status, _, data = server.get(link.partition("#")[0])
            assert status == 200, link
            if link.endswith(".css"):
                assert b"--accent" in data


def test_sitemap_lists_every_page_with_absolute_urls(published: Project) -> None:
    root = ET.parse(published.site / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP}urlset"
    listed = [loc.text or "" for loc in root.iter(f"{SITEMAP}loc")]
    assert all(url.startswith(BASE) for url in listed)
    old = set(retired(published))
    pages = {p.relative_to(published.site).as_posix()[: -len("index.html")] for p in published.site.rglob("index.html")}
    assert sorted(u[len(BASE) :] for u in listed) == sorted(pages - old)
    assert (published.site / "robots.txt").read_text(encoding="utf-8") == (
        f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"
    )


def test_sitemap_beyond_the_limit_becomes_an_index_of_parts() -> None:
    files = dict(feeds.sitemap(BASE, [f"notes/{i}/" for i in range(5)], limit=2))
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == f"{SITEMAP}sitemapindex"
    assert [e.text for e in index.iter(f"{SITEMAP}loc")] == [f"{BASE}sitemap-{n}.xml" for n in (1, 2, 3)]
    assert [e.text for e in ET.fromstring(files["sitemap-3.xml"]).iter(f"{SITEMAP}loc")] == [f"{BASE}notes/4/"]


def _check_atom(path: Path) -> ET.Element:
    feed = ET.parse(path).getroot()
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", feed.findtext(f"{ATOM}updated") or "")
    links = {link.get("rel"): link.get("href") for link in feed.iter(f"{ATOM}link") if link in list(feed)}
    assert links["self"] == feed.findtext(f"{ATOM}id")
    for entry in feed.iter(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "link", "content"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        assert (entry.findtext(f"{ATOM}id") or "").startswith(BASE)
    return feed


def test_feeds_are_atom_and_list_the_newest_notes_and_each_forces_signals(published: Project) -> None:
    data = published.data()
    feed = _check_atom(published.site / "feed.xml")
    assert feed.findtext(f"{ATOM}id") == f"{BASE}feed.xml"
    dated = [n for n in data["notes"] if n["date"]][: feeds.FEED_ENTRIES]
    entries = list(feed.iter(f"{ATOM}entry"))
    assert [e.findtext(f"{ATOM}id") for e in entries] == [BASE + n["url"] for n in dated]
    assert feed.findtext(f"{ATOM}updated") == f"{dated[0]['date']}T00:00:00Z"
    content = entries[0].findtext(f"{ATOM}content") or ""
    first_signal = next(s for s in data["signals"] if s["note"] == dated[0]["id"])
    assert f'href="{BASE}{first_signal["url"]}"' in content
    notes = {n["id"]: n for n in data["notes"]}
    signals = {s["id"]: s for s in data["signals"]}
    for force in data["forces"]:
        path = published.site / "forces" / force["id"] / "feed.xml"
        feed = _check_atom(path)
        want = [BASE + signals[s]["url"] for s in force["signals"] if notes[signals[s]["note"]]["date"]]
        assert [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")] == want[: feeds.FEED_ENTRIES]
        up = "../" * force["url"].count("/")  # broad forces sit one folder deeper, at forces/broad/<id>/
        assert f'href="{up}{force["url"]}feed.xml"' in published.page(force["url"])


def test_every_page_has_title_description_social_tags_and_its_canonical_url(published: Project) -> None:
    for path in published.site.rglob("*.html"):
        rel = path.relative_to(published.site).as_posix()
        page = parse(path.read_bytes())
        assert page.title.strip(), rel
        for name in ("description", "og:title", "og:description", "og:type", "twitter:card", "twitter:title"):
            assert page.meta.get(name), f"{rel}: {name}"
        if page.meta.get("robots") == "noindex":
            continue
        url = BASE + rel[: -len("index.html")]
        assert page.rel["canonical"] == url == page.meta["og:url"], rel
    signal = next(iter(published.data()["signals"]))
    page = parse(published.page(signal["url"]).encode())
    assert page.meta["og:title"] == signal["signal"]
    assert signal["change"] in page.meta["og:description"]
    note = next(n for n in published.data()["notes"] if n["id"] == signal["note"])
    assert note["title"] in page.meta["og:description"]


def test_renamed_signal_old_url_lands_on_the_renamed_signal(tmp_path: Path, serve: object) -> None:
    project = Project(tmp_path)
    (tmp_path / "site.yaml").write_text(f"base_url: {BASE}\n", encoding="utf-8")
    rows = [("Schools close on Fridays", "Shorter week", "Four-day weeks", "Teacher shortages")]
    project.write({"school.md": native_note("School weeks", rows=rows)})
    assert project.build().status == 0
    (old,) = project.data()["signals"]
    rows = [("Rural schools close on Fridays", "Shorter week", "Four-day weeks", "Teacher shortages")]
    project.write({"school.md": native_note("School weeks", rows=rows)})
    assert project.build().status == 0
    server = serve(project.site)  # type: ignore[operator]
    path = PREFIX + old["url"]
    for _hop in range(5):
        status, url, body = server.get(path)
        assert status == 200
        page = parse(body)
        if not page.refresh:
            break
        path = local(page.refresh, urlsplit(url).path, server.origin) or ""
    text = " ".join(page.text)
    assert "Rural schools close on Fridays" in text
    assert page.rel["canonical"] == BASE + old["url"]


def test_cite_block_gives_the_url_a_markdown_link_and_a_citation(published: Project) -> None:
    signal = next(s for s in published.data()["signals"] if "[" not in s["signal"])
    note = next(n for n in published.data()["notes"] if n["id"] == signal["note"])
    html = published.page(signal["url"])
    url = BASE + signal["url"]
    block = html[html.index('class="cite"') : html.index("</section>", html.index('class="cite"'))]
    assert f"<code data-copy>{url}</code>" in block
    assert f"[{signal['signal']}]({url})".replace("&", "&amp;") in block.replace("&#39;", "'")
    assert note["title"].replace("&", "&amp;") in block.replace("&#39;", "'") and note["date"] in block
    assert '<script src="../../assets/cite.js" defer></script>' in html
    assert "navigator.clipboard" in (published.site / "assets" / "cite.js").read_text(encoding="utf-8")
    assert f'id="{signal["id"]}"' in published.page(note["url"])


def test_every_signal_is_in_its_notes_json_and_has_a_csv_row(published: Project) -> None:
    data = published.data()
    rows = list(csv.DictReader(io.StringIO((published.site / "signals.csv").read_text(encoding="utf-8-sig"))))
    assert [r["id"] for r in rows] == [s["id"] for s in data["signals"]]
    forces = {f["id"]: f for f in data["forces"]}
    notes = {n["id"]: n for n in data["notes"]}
    for note in data["notes"]:
        record = json.loads((published.site / note["url"] / "index.json").read_text(encoding="utf-8"))
        assert record["permalink"] == BASE + note["url"] and record["title"] == note["title"]
        assert [s["id"] for s in record["signals"]] == [s["id"] for s in data["signals"] if s["note"] == note["id"]]
    for signal, row in zip(data["signals"], rows, strict=True):
        note = json.loads((published.site / notes[signal["note"]]["url"] / "index.json").read_text(encoding="utf-8"))
        record = next(s for s in note["signals"] if s["id"] == signal["id"])
        assert not (published.site / signal["url"] / "index.json").exists()  # one file per note, not per signal
        page = published.page(signal["url"])
        assert (
            f'<link rel="alternate" type="application/json" href="../../{notes[signal["note"]]["url"]}index.json">'
            in page
        )
        assert record["permalink"] == row["url"] == BASE + signal["url"]
        assert record["signal"] == signal["signal"] == row["signal"].removeprefix("'")

        def ref(force_id: str) -> dict[str, str]:
            return {"id": force_id, "label": forces[force_id]["label"], "url": f"forces/{force_id}/"}

        assert record["forces"] == [
            {**ref(f), "broader": [ref(b) for b in forces[f]["broader"]]} for f in signal["forces"]
        ]
        assert record["broader"] == [
            ref(b) for b in dict.fromkeys(b for f in signal["forces"] for b in forces[f]["broader"])
        ]
        assert note["id"] == signal["note"] == row["note"]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(cell: str, safe: str) -> None:
    assert csv_cell(cell) == safe


def test_csv_neutralises_formulas_from_notes(project: Project) -> None:
    rows = [('=HYPERLINK("http://evil")', "+cmd", "-2", "@SUM(A1)")]
    project.write({"a.md": native_note(rows=rows)})
    assert project.build().status == 0
    (row,) = list(csv.reader(io.StringIO((project.site / "signals.csv").read_text(encoding="utf-8-sig"))))[1:]
    assert row[2:6] == ['\'=HYPERLINK("http://evil")', "'+cmd", "'-2", "'@SUM(A1)"]
    assert row[1] == "signals/" + row[0] + "/"  # site-relative without base_url


def test_without_base_url_one_warning_and_relative_links_everywhere(project: Project) -> None:
    project.write({f"n{i}.md": native_note(f"Note {i}", rows=[(f"S{i}", "c", "h", "f")]) for i in range(3)})
    run = project.build()
    assert run.status == 0
    warned = [m for m in run.messages if "base_url" in m]
    assert len(warned) == 1 and warned[0].startswith("signalkb: warning: base_url is not set")
    assert not (project.site / "sitemap.xml").exists() and not (project.site / "feed.xml").exists()
    assert (project.site / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"
    assert not list(project.site.rglob("feed.xml"))
    page = project.page("signals/s0-" + project.data()["signals"][0]["id"].rsplit("-", 1)[1])
    assert 'rel="canonical"' not in page and "og:url" not in page
    assert 'data-relative="signals/' in page
    assert 'href="/assets/style.css"' in (project.site / "404.html").read_text(encoding="utf-8")
    assert project.build("--strict").status == 1


@pytest.mark.parametrize(
    ("base_url", "cname", "expected"),
    [
        ("https://user.github.io/repo/", None, None),
        ("https://user.github.io/", None, None),
        ("https://signals.example.org/", None, "signals.example.org"),
        ("https://example.org/kb/", None, None),
        ("http://localhost:8000/", None, None),
        ("https://user.github.io/repo/", "kb.example.org", "kb.example.org"),
        ("https://signals.example.org/", "", None),
        (None, None, None),
    ],
)
def test_cname_from_the_setting_or_a_custom_domain_at_its_root(
    base_url: str | None, cname: str | None, expected: str | None
) -> None:
    assert feeds.cname(SiteConfig(base_url=base_url, cname=cname)) == expected


def test_cname_file_is_written_for_a_custom_domain(project: Project) -> None:
    project.write({"a.md": native_note()})
    assert project.build("--base-url", "https://signals.example.org").status == 0
    assert (project.site / "CNAME").read_text(encoding="utf-8") == "signals.example.org\n"
    assert (project.site / ".nojekyll").is_file()


@pytest.mark.parametrize("bad", ["example.org/kb", "ftp://example.org/", "https://", "https://ex ample.org/"])
def test_base_url_must_be_an_absolute_http_address(project: Project, bad: str) -> None:
    project.write({"a.md": native_note()})
    run = project.build("--base-url", bad)
    assert run.status == 1
    assert any("is not an absolute http(s) address" in m for m in run.messages)


def test_pages_workflow_builds_with_the_pages_base_url_and_deploys() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"
    build_steps = workflow["jobs"]["build"]["steps"]
    uses = [step.get("uses", "") for step in build_steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    pages = next(step for step in build_steps if step.get("uses", "").startswith("actions/configure-pages@"))
    run = next(step["run"] for step in build_steps if "build.py" in step.get("run", ""))
    assert f"steps.{pages['id']}.outputs.base_url" in run and "--base-url" in run
    upload = next(step for step in build_steps if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert any(step.get("uses", "").startswith("actions/deploy-pages@") for step in deploy["steps"])
