"""The bundled knowledge base in content/: it builds cleanly, every link works, and forces are shared as promised."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from signalkb.core.slugs import name_key

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
    run = project.build()
    assert run.status == 0, run.err
    # The only warnings allowed are the seed export's doubtful column splits (its rows are still exact),
    # and the one that says the build has no base_url.
    for line in run.messages:
        if line.startswith("signalkb: warning: base_url is not set"):
            continue
        assert re.match(r"content/000_3571f702cbc55afd\.txt:\d+: warning: ambiguous columns", line), line
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


_STOP = {"the", "of", "in", "for", "to", "and", "a", "an", "on", "by", "with"}


def _crude_key(text: str) -> frozenset[str]:
    """A deliberately simple stand-in for concepts.py: lowercase words, no hyphens, stop words or plural -s."""
    words = re.sub(r"[^\w\s]", " ", text.lower().replace("-", " ").replace("–", " ")).split()
    out = set()
    for word in words:
        if word in _STOP:
            continue
        if word.endswith("ies"):
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.add(word)
    return frozenset(out)


def expected_force_groups(data: dict[str, Any]) -> dict[str, set[str]]:
    """Force membership recomputed from forces.yaml and the cells: label or alias; else each part (split at `and`
    and commas) by label or alias, by the same words as one, by a narrower wording of one (all its words and more),
    or as a force of its own shared by parts with the same words."""
    import yaml

    taxonomy = yaml.safe_load((ROOT / "content" / "forces.yaml").read_text(encoding="utf-8"))
    canonical: dict[str, str] = {}
    by_words: dict[frozenset[str], str] = {}
    for force in taxonomy["forces"]:
        for phrase in [force["label"], *force.get("aliases", [])]:
            canonical[name_key(phrase)] = force["label"]
            by_words.setdefault(_crude_key(phrase), force["label"])
    members: dict[str, set[str]] = defaultdict(set)
    for signal in data["signals"]:
        for phrase in signal["driving_force"].split(";"):
            if not phrase.strip():
                continue
            if name_key(phrase) in canonical:
                members[canonical[name_key(phrase)]].add(signal["id"])
                continue
            for part in re.split(r",|\band\b", phrase):
                if not part.strip():
                    continue
                words = _crude_key(part)
                label = canonical.get(name_key(part)) or by_words.get(words)
                if label is None:
                    label = next((v for k, v in by_words.items() if len(k) >= 2 and words > k), None)
                members[label or "auto:" + " ".join(sorted(words))].add(signal["id"])
    return members


def test_every_force_page_lists_exactly_its_signals(bundled: tuple[Project, dict[str, Any]]) -> None:
    """Recompute force membership independently from forces.yaml and the notes' cells, then compare with each page."""
    project, data = bundled
    members = expected_force_groups(data)
    fine = [f for f in data["forces"] if f["level"] == "fine"]
    by_label = {name_key(f["label"]): f for f in fine}
    by_signals = {
        (frozenset(f["signals"]), " ".join(sorted(_crude_key(wording)))): f
        for f in fine
        for wording in (f["label"], *f["phrases"])
    }
    seen = set()
    for group, signal_ids in members.items():
        if group.startswith("auto:"):
            force = by_signals[(frozenset(signal_ids), group[len("auto:") :])]
            assert not force["declared"], group
        else:
            force = by_label[name_key(group)]
        assert set(force["signals"]) == signal_ids, force["label"]
        page = project.page(force["url"])
        linked = set(re.findall(r'href="\.\./\.\./signals/([^/"]+)/"', page))
        assert linked == signal_ids, force["label"]
        seen.add(force["id"])
    assert seen == {f["id"] for f in fine if f["signals"]}
    by_id = {f["id"]: f for f in data["forces"]}
    broad = [f for f in data["forces"] if f["level"] == "broad"]
    assert broad, "the bundled notes place some force under a broad force"
    for force in broad:  # a broad force holds every signal of the forces under it, and its page links them
        want = set().union(*(by_id[child]["signals"] for child in force["children"]))
        assert set(force["signals"]) == want and all(force["id"] in by_id[c]["broader"] for c in force["children"])
        linked = set(re.findall(r'href="\.\./\.\./\.\./signals/([^/"]+)/"', project.page(force["url"])))
        assert linked == want, force["label"]


def test_bundled_knowledge_base_shows_each_way_of_matching(bundled: tuple[Project, dict[str, Any]]) -> None:
    _, data = bundled
    hows = {m["how"] for s in data["signals"] for m in s["force_matches"]}
    assert {"label", "alias", "same words", "narrower", "same phrase"} <= hows
    assert any(m["part"] for s in data["signals"] for m in s["force_matches"]), "a compound phrase is split"
    assert all(f["category"] for f in data["forces"] if f["declared"]), "the bundled forces.yaml uses categories"


def test_force_report_on_bundled_content_has_nothing_to_review() -> None:
    from .conftest import run_cli

    run = run_cli("forces", "--content", ROOT / "content", "--strict", "--limit", "0")
    assert run.status == 0, run.out + run.err
    assert "Near-duplicates to review (merge, or declare distinct): 0" in run.out
    assert "Did you mean (phrases that look like a misspelt declared force): 0" in run.out


def test_seed_rows_are_exact(bundled: tuple[Project, dict[str, Any]]) -> None:
    """The seed export's rows are the four cells joined by spaces: the bundled copy must give exactly those lines."""
    _, data = bundled
    lines = shared_path(SEED).read_text(encoding="utf-8").split("\n")
    start = lines.index("Signal Change 10y horizon Driving force") + 1
    end = lines.index("Closest")
    seed_rows = [line for line in lines[start:end] if line.strip()]
    note = next(
        n
        for n in data["notes"]
        if n["title"] == "Leaked Google document reveals concerns about OpenAI’s competitive edge"
    )
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
