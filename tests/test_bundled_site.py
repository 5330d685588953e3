"""The bundled knowledge base in content/: it builds cleanly, every link works, and forces are shared as promised."""

from __future__ import annotations

import re
import shutil
from html import escape
from collections import defaultdict
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from signalkb.slugs import name_key

from .conftest import ROOT, SEED, Project, shared_path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, Any]]:
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(ROOT / "content", root / "content")
    project = Project(root)
    run = project.build("--strict")
    assert run.status == 0, run.err
    return project, project.data()


def test_bundled_content_is_big_enough(bundled: tuple[Project, dict[str, Any]]) -> None:
    _, data = bundled
    assert len(data["notes"]) >= 20
    assert len(data["signals"]) >= 80
    notes_of = {s["id"]: s["note"] for s in data["signals"]}
    shared = [f for f in data["forces"] if len({notes_of[s] for s in f["signals"]}) >= 2]
    assert len(shared) >= 10


def test_no_broken_internal_links(bundled: tuple[Project, dict[str, Any]]) -> None:
    project, _ = bundled
    site = project.site
    pages = {p.relative_to(site).as_posix(): p for p in site.rglob("*.html")}
    anchors: dict[str, set[str]] = {}
    broken: list[str] = []
    parsed: dict[str, _Links] = {}
    for rel, path in pages.items():
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        parsed[rel] = parser
        anchors[rel] = parser.ids
    for rel, parser in parsed.items():
        base = "http://site.invalid/" + rel
        for link in parser.links:
            target = urlsplit(urljoin(base, link))
            if target.netloc != "site.invalid":
                continue
            path = unquote(target.path).lstrip("/")
            if path == "" or path.endswith("/"):
                path += "index.html"
            if not (site / path).is_file():
                broken.append(f"{rel}: {link}")
            elif target.fragment and path in anchors and target.fragment not in anchors[path]:
                broken.append(f"{rel}: {link} (no such anchor)")
    assert broken == []


def test_every_signal_has_its_page(bundled: tuple[Project, dict[str, Any]]) -> None:
    project, data = bundled
    for signal in data["signals"]:
        page = project.page(signal["url"])
        text = re.sub(r"\s+", " ", page)
        assert escape(signal["signal"], quote=False) in text


def test_every_force_page_lists_exactly_its_signals(bundled: tuple[Project, dict[str, Any]]) -> None:
    """Recompute force membership independently from forces.yaml and the notes' cells, then compare with each page."""
    import yaml

    project, data = bundled
    taxonomy = yaml.safe_load((ROOT / "content" / "forces.yaml").read_text(encoding="utf-8"))
    canonical: dict[str, str] = {}
    for force in taxonomy["forces"]:
        for phrase in [force["label"], *force.get("aliases", [])]:
            canonical[name_key(phrase)] = force["label"]
    members: dict[str, set[str]] = defaultdict(set)
    for signal in data["signals"]:
        for phrase in signal["driving_force"].split(";"):
            if phrase.strip():
                key = name_key(phrase)
                members[canonical.get(key, "phrase:" + key)].add(signal["id"])
    by_label = {name_key(f["label"]): f for f in data["forces"]}
    for group, signal_ids in members.items():
        label = group if not group.startswith("phrase:") else group[len("phrase:") :]
        force = by_label[name_key(label)]
        assert set(force["signals"]) == signal_ids, force["label"]
        page = project.page(force["url"])
        linked = set(re.findall(r'href="\.\./\.\./signals/([^/"]+)/"', page))
        assert linked == signal_ids, force["label"]


def test_seed_rows_are_exact(bundled: tuple[Project, dict[str, Any]]) -> None:
    """The seed export's rows are the four cells joined by spaces: the bundled copy must give exactly those lines."""
    _, data = bundled
    lines = shared_path(SEED).read_text(encoding="utf-8").split("\n")
    start = lines.index("Signal Change 10y horizon Driving force") + 1
    end = lines.index("Closest")
    seed_rows = [line for line in lines[start:end] if line.strip()]
    note = next(n for n in data["notes"] if n["title"] == "Leaked Google document reveals concerns about OpenAI’s competitive edge")
    assert note["date"] == "2023-05-21"
    rows = [s for s in data["signals"] if s["note"] == note["id"]]
    assert [" ".join([s["signal"], s["change"], s["horizon"], s["driving_force"]]) for s in rows] == seed_rows


def test_no_copied_real_notes() -> None:
    for path in (ROOT / "content").rglob("*"):
        if path.is_file():
            assert "kghosh" not in path.read_text(encoding="utf-8")


def test_stylesheet_and_no_external_resources(bundled: tuple[Project, dict[str, Any]]) -> None:
    project, _ = bundled
    assert (project.site / "assets" / "style.css").is_file()
    for path in project.site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r'<(link|script)[^>]+(href|src)="(https?:)?//', html), path


