"""The overviews a reader sees without JavaScript: the home page's signals per year by category, each
category's radar, and the home page's recently added signals; checked against the built site's signals.json."""

from __future__ import annotations

import datetime
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin

import pytest

from signalkb.pages.charts import AGE_RINGS, RADAR_DOTS, age_ring

from .conftest import ROOT, Project, native_note, run_cli

TAXONOMY = (
    "categories: [social, technological]\n"
    "forces:\n"
    "  - label: Remote work\n    category: social\n"
    "  - label: Ageing population\n    category: social\n"
    "  - label: Cheap sensors\n    category: technological\n"
)
"""Two categories; "Loose ends" (below) is a force without a category."""


def _small(project: Project) -> None:
    project.write(
        {
            "forces.yaml": TAXONOMY,
            "a.md": native_note(
                "A",
                "20210305",
                rows=[
                    ("S1", "c", "h", "Remote work"),
                    ("S2", "c", "h", "Remote work; Cheap sensors"),
                    ("S3", "c", "h", "Loose ends"),
                ],
            ),
            "b.md": native_note(
                "B",
                "20230110",
                rows=[("S4", "c", "h", "Ageing population"), ("S5", "c", "h", "Cheap sensors"), ("S6", "c", "h", "")],
            ),
            "c.md": native_note("C", "20230601", rows=[("S7", "c", "h", "Ageing population; Remote work")]),
        }
    )


def _svg(html: str, cls: str) -> ET.Element:
    """The SVG of class `cls` in a page, parsed (it must be well-formed XML)."""
    found = re.search(rf'<svg class="{cls}".*?</svg>', html, re.S)
    assert found, f"no <svg class={cls!r}>"
    return ET.fromstring(found.group(0))


def _target(page_url: str, href: str) -> str:
    """The site-relative URL a relative link on the page at `page_url` leads to."""
    return urljoin("http://site/" + page_url, href).removeprefix("http://site/").split("#")[0]


def _exists(project: Project, page_url: str, href: str) -> bool:
    """Whether a relative link from the page at `page_url` reaches a built page."""
    target = _target(page_url, href)
    path = project.site / target
    return (path / "index.html").is_file() if target.endswith("/") or not target else path.is_file()


def _expected_years(data: dict[str, Any]) -> dict[int, Counter[str]]:
    """Signals per year by category, from signals.json: once per category a signal's forces (or their broader
    forces) touch, "" for none."""
    years = {n["id"]: int(n["date"][:4]) for n in data["notes"] if n["date"]}
    touched = _touched(data)
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for s in data["signals"]:
        if s["note"] in years:
            out[years[s["note"]]].update(set().union(*(touched[f] for f in s["forces"])) or {""})
    return out


def _touched(data: dict[str, Any]) -> dict[str, set[str]]:
    """Each force's categories: its own and its broader forces' ("" when none)."""
    category = {f["id"]: f.get("category") or "" for f in data["forces"]}
    return {
        f["id"]: ({category[f["id"]]} | {category[b] for b in f.get("broader", [])}) - {""} or {""}
        for f in data["forces"]
    }


def test_home_timeline_has_a_bar_per_year_with_the_right_counts(project: Project) -> None:
    _small(project)
    run = project.build()
    assert run.status == 0, run.err
    expected = _expected_years(project.data())
    home = project.page("")
    svg = _svg(home, "overview-timeline")
    bars = svg.findall("g[@class='year']")
    assert [int(b.get("data-year", "")) for b in bars] == [2021, 2022, 2023]  # every year, empty ones too
    for bar in bars:
        year = int(bar.get("data-year", ""))
        got = {r.get("data-category"): int(r.get("data-count", "")) for r in bar.iter("rect")}
        assert got == dict(expected.get(year, Counter())), year
        assert [t.text for t in bar.findall("text")] == [str(year)]
    assert expected[2023] == {"social": 2, "technological": 1, "": 1}  # S7 names two social forces: counted once
    # every segment links to its category's page (no category: the force index) and says what it counts
    links = svg.findall(".//a")
    assert {_target("", a.get("href", "")) for a in links} == {
        "categories/social/",
        "categories/technological/",
        "forces/",
    }
    assert all(_exists(project, "", a.get("href", "")) for a in links)
    titles = {t.text for a in links for t in a.findall("title")}
    assert "2023 · social: 2 signals" in titles and "2021 · no category: 1 signal" in titles
    assert svg.get("role") is None and svg.find("title") is not None  # role="img" would hide its links
    assert "counts once in each" in home  # the caption says how multi-category signals are counted
    assert re.search(r'href="(\./)?categories/technological/"><span class="swatch"', home)  # the legend


def test_home_timeline_matches_the_bundled_content(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    project = Project(tmp_path)
    assert project.build().status == 0
    expected = _expected_years(project.data())
    bars = _svg(project.page(""), "overview-timeline").findall("g[@class='year']")
    assert len(bars) == max(expected) - min(expected) + 1
    for bar in bars:
        got = Counter({r.get("data-category", ""): int(r.get("data-count", "")) for r in bar.iter("rect")})
        assert got == expected.get(int(bar.get("data-year", "")), Counter())
    # every category page has a radar whose dots are exactly the category's signals, each linking to its page
    data = project.data()
    touched = _touched(data)
    for name in data["categories"]:
        url = f"categories/{name}/"
        page = project.page(url)
        members = {s["url"] for s in data["signals"] if any(name in touched[f] for f in s["forces"])}
        if not members:
            assert '<svg class="radar"' not in page
            continue
        dots = _svg(page, "radar").findall(".//a[@class='dot']")
        hrefs = [a.get("href", "") for a in dots]
        assert all(_exists(project, url, h) for h in hrefs)
        assert {_target(url, h) for h in hrefs} == members
        assert len(hrefs) == len(members)
        assert (f"All {len(members)} signals are shown." if len(members) > 1 else "Its one signal is shown.") in page


def test_radar_draws_the_newest_signals_up_to_the_cap_and_says_so(project: Project) -> None:
    per_note = RADAR_DOTS // 3 + 5
    dates = ["20190101", "20220101", "20230101", "20240101"]
    project.write({"forces.yaml": TAXONOMY})
    project.write(
        {
            f"n{i}.md": native_note(
                f"Note {i}", date, rows=[(f"Signal {i}-{r}", "c", "h", "Remote work") for r in range(per_note)]
            )
            for i, date in enumerate(dates)
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    data = project.data()
    page = project.page("categories/social/")
    svg = _svg(page, "radar")
    dots = svg.findall(".//a[@class='dot']")
    assert len(dots) == RADAR_DOTS
    total = len(dates) * per_note
    assert f"The newest {RADAR_DOTS} of {total} signals are shown." in page
    date_of = {n["id"]: n["date"] for n in data["notes"]}
    newest = sorted(data["signals"], key=lambda s: date_of[s["note"]], reverse=True)[:RADAR_DOTS]
    shown = {_target("categories/social/", a.get("href", "")) for a in dots}
    assert shown == {s["url"] for s in newest}
    # rings count age back from the newest note (2024-01-01), never from today
    desc = svg.find("desc")
    assert desc is not None and desc.text == (
        f"Signals by age: ≤ 1 year: {2 * per_note}; 1–3 years: {RADAR_DOTS - 2 * per_note}."
    )
    labels = [t.text for t in svg.iter("text") if t.get("class") == "ring-label"]
    assert labels == ["≤ 1 year", "1–3 years", "3–5 years", "older"]


def test_radar_segments_rings_and_accessible_names(project: Project) -> None:
    forces = "".join(f"  - label: Force {i:02d}\n    category: social\n" for i in range(11))
    project.write({"forces.yaml": "categories: [social]\nforces:\n" + forces})
    project.write(
        {
            "old.md": native_note("Old", "19990101", rows=[(f"S{i}", "c", "h", f"Force {i:02d}") for i in range(11)]),
            "new.md": native_note("New", "20000101", rows=[("T", "c", "h", "Force 00")]),
            "undated.md": "# Undated\n\n## Signals\n\n| Signal | Change | 10y horizon | Driving force |\n"
            "|:--|:--|:--|:--|\n| U | c | h | Force 01 |\n",
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    page = project.page("categories/social/")
    svg = _svg(page, "radar")
    assert svg.get("role") is None  # it holds links: role="img" would hide them from screen readers
    title = svg.find("title")
    assert title is not None and svg.get("aria-labelledby") == title.get("id") == "radar-social-title"
    assert page.count('id="radar-social-title"') == 1
    labels = [t.text for t in svg.iter("text") if t.get("class") == "segment-label"]
    assert len(labels) == 9 and labels[-1] == "other forces (3)"
    rings = [t.text for t in svg.iter("text") if t.get("class") == "ring-label"]
    assert rings == ["≤ 1 year", "1–3 years", "3–5 years", "older", "undated"]
    desc = svg.find("desc")
    assert desc is not None and desc.text == "Signals by age: ≤ 1 year: 12; undated: 1."
    assert all(float(t.get("font-size", "12")) >= 11 for t in svg.iter("text"))
    dot = next(a for a in svg.iter("a") if a.get("class") == "dot" and a.findtext("title", "").startswith("T "))
    assert dot.findtext("title") == "T — New, 2000-01-01"
    segment_links = [a.get("href") for a in svg.iter("a") if a.find("text") is not None]
    assert segment_links[0] == "../../forces/force-00/" and len(segment_links) == 8


def test_hostile_text_is_escaped_inside_the_svgs(project: Project) -> None:
    project.write(
        {
            "forces.yaml": "categories: ['Soc<i>al</i> & \"co\"']\nforces:\n"
            "  - label: Remote <b>work</b>\n    category: 'Soc<i>al</i> & \"co\"'\n",
            "a.md": native_note(
                "<img src=x onerror=alert(1)> title",
                "20240101",
                rows=[("<script>alert('x')</script> & more", "c", "h", "Remote <b>work</b>")],
            ),
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    home = project.page("")
    category = next(p for p in (project.site / "categories").iterdir() if p.is_dir())
    radar_page = project.page(category.relative_to(project.site).as_posix() + "/")
    for html in (home, radar_page):
        assert "<script>alert" not in html and "<img src=x" not in html and "<i>al</i>" not in html
    svg = _svg(radar_page, "radar")
    titles = [t.text or "" for t in svg.iter("title")]
    assert any(t.startswith("<script>alert('x')</script> & more — <img src=x onerror=alert(1)> title") for t in titles)
    assert "&lt;script&gt;" in radar_page
    segment = _svg(home, "overview-timeline").find(".//a/title")
    assert segment is not None and segment.text == '2024 · Soc<i>al</i> & "co": 1 signal'


def test_overview_classes_are_styled_for_light_and_dark(project: Project) -> None:
    _small(project)
    assert project.build().status == 0
    css = (ROOT / "templates" / "assets" / "style.css").read_text(encoding="utf-8")
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    dark_vars = set(re.findall(r"(--[a-z-]+):", dark[: dark.index("}\n}")]))
    used = set()
    for page, cls in (("", "overview-timeline"), ("categories/social/", "radar")):
        svg = _svg(project.page(page), cls)
        used |= {(cls, c) for e in svg.iter() for c in (e.get("class") or "").split() if c != cls}
    for cls, name in sorted(used):
        if name in ("year", "grid", "rings", "segments", "dots", "ring-labels", "dot"):
            continue  # groups: styled through what they hold
        rules = re.findall(rf"svg\.{cls}[^{{]*\.{re.escape(name)}\b[^{{]*\{{([^}}]*)\}}", css)
        assert rules, f"no CSS rule for .{name} in svg.{cls}"
        colours = re.findall(r"var\((--[a-z-]+)\)", " ".join(rules))
        assert colours and set(colours) <= dark_vars, (name, colours)
    texts = re.findall(r"svg\.overview-timeline text, svg\.radar text \{([^}]*)\}", css)
    assert texts and "fill: var(--fg)" in texts[0] and "font-size: 12px" in texts[0]


def test_recently_added_lists_the_newest_signals(project: Project) -> None:
    _small(project)
    project.write({"d.md": native_note("D", "20240301", rows=[(f"New {i}", "c", "h", "x") for i in range(12)])})
    assert project.build().status == 0
    data = project.data()
    date_of = {n["id"]: n["date"] for n in data["notes"]}
    newest = sorted(data["signals"], key=lambda s: date_of[s["note"]], reverse=True)[:10]
    home = project.page("")
    section = home[home.index("<h2>Recently added</h2>") :]
    section = section[: section.index("</section>")]
    hrefs = re.findall(r'<li><a href="([^"]+)">', section)
    assert [_target("", h) for h in hrefs] == [s["url"] for s in newest]


@pytest.mark.parametrize("page", ["", "categories/social/", "categories/technological/"])
def test_overviews_are_deterministic(project: Project, page: str) -> None:
    _small(project)
    assert project.build().status == 0
    again = run_cli("build", "--content", "content", "--out", "again", cwd=project.root)
    assert again.status == 0, again.err
    first = project.page(page)
    second = (project.root / "again" / PurePosixPath(page) / "index.html").read_text(encoding="utf-8")
    assert first == second
    assert '<svg class="radar"' in first or '<svg class="overview-timeline"' in first


def test_age_rings_count_whole_years_back_from_the_newest_note() -> None:
    newest = datetime.date(2024, 2, 29)
    assert age_ring(datetime.date(2023, 2, 28), newest) == 0  # one year before a leap day: 28 February
    assert age_ring(datetime.date(2023, 2, 27), newest) == 1
    assert age_ring(datetime.date(2021, 2, 28), newest) == 1
    assert age_ring(datetime.date(2019, 2, 28), newest) == 2
    assert age_ring(datetime.date(2019, 2, 27), newest) == 3
    assert age_ring(None, newest) == age_ring(datetime.date(2020, 1, 1), None) == len(AGE_RINGS)
