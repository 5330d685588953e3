"""Pages of the two levels of driving forces: signal pages (siblings by fine and broad force, each saying why),
force pages (broader forces, children), the force index (category → broad force → fine force), the network of
broad forces (no label over another label or a node) and the exports."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from signalkb.pages import svg

from .conftest import REAL_NOTES, Project, native_note, shared_path

FORCES_YAML = """\
broad_forces: none
categories: [social, economic]
broad:
  - label: Ageing and shrinking populations
    category: social
    description: Populations growing older & <smaller>.
    examples: [Ageing population, Low fertility]
  - label: Cost of living and inflation
    category: economic
    description: Prices rising faster than pay.
    examples: [Inflation, Rising prices]
forces:
  - label: Declining birth rates
    broader: [Ageing and shrinking populations]
  - label: Low fertility
    broader: [Ageing and shrinking populations]
  - label: Inflation
    broader: [Cost of living and inflation]
  - label: Rising rents
    broader: [Cost of living and inflation]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(tmp_path_factory.mktemp("broad"))
    project.content.mkdir()
    project.write(
        {
            "forces.yaml": FORCES_YAML,
            "a.md": native_note(
                "Fewer children",
                "20240301",
                [
                    ("Fewer babies <born>", "Smaller classes", "School closures", "Declining birth rates"),
                    ("Prices up", "Thrift", "Cheaper brands", "Inflation; Efficiency"),
                ],
            ),
            "b.md": native_note(
                "Small families",
                "20240201",
                [
                    ("Small families", "One child", "Fewer cousins", "Low fertility"),
                    ("Birth dip", "Empty wards", "Maternity closures", "Declining birth rates"),
                ],
            ),
            "c.md": native_note("Rents", "20240101", [("Rents soar", "Sharing flats", "Co-living", "Rising rents")]),
        }
    )
    run = project.build("--no-search", "--base-url", "https://example.org/kb/")
    assert run.status == 0, run.err
    return project


def _text(html: str) -> str:
    """A page's text, tags removed and spaces joined (for reading sentences across inline elements)."""
    body = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body)


def _signal(project: Project, text: str) -> dict[str, Any]:
    return next(s for s in project.data()["signals"] if s["signal"] == text)


def test_signal_page_lists_siblings_by_fine_then_broad_force_each_saying_why(site: Project) -> None:
    page = site.page(_signal(site, "Fewer babies <born>")["url"])
    text = _text(page)
    assert page.index('id="forces"') < page.index('id="broader"')
    assert "Birth dip" in text and "same driving force: Declining birth rates" in text
    broad = page[page.index('id="broader"') : page.index('id="most-related"')]
    assert "Same broader force" in broad
    assert "Small families" in broad
    assert "same broader force: Ageing and shrinking populations (via its force: Low fertility)" in _text(broad)
    assert "Birth dip" not in broad  # shares a fine force: listed above, not again
    assert 'href="../../forces/broad/ageing-and-shrinking-populations/"' in broad


def test_general_phrases_are_shown_as_written_and_link_nowhere(site: Project) -> None:
    signal = _signal(site, "Prices up")
    page = site.page(signal["url"])
    assert signal["general"] == ["Efficiency"]
    assert "too general to link to other signals: “Efficiency”" in _text(page)
    assert 'href="../../forces/efficiency/"' not in page


def test_note_text_and_broad_text_are_escaped(site: Project) -> None:
    page = site.page(_signal(site, "Fewer babies <born>")["url"])
    assert "Fewer babies &lt;born&gt;" in page and "<born>" not in page
    broad = site.page("forces/broad/ageing-and-shrinking-populations/")
    assert "older &amp; &lt;smaller&gt;" in broad and "<smaller>" not in broad


def test_fine_force_page_shows_its_broader_force_and_breadcrumbs(site: Project) -> None:
    page = site.page("forces/low-fertility/")
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', page, re.S)
    assert crumbs is not None
    labels = re.findall(r"<li>(?:<a [^>]*>|<span[^>]*>)([^<]*)<", crumbs.group(0))
    assert labels == ["Home", "Driving forces", "social", "Ageing and shrinking populations", "Low fertility"]
    assert "Broader force" in page and 'forces/broad/ageing-and-shrinking-populations/"' in page


def test_broad_force_page_shows_description_category_children_and_signals(site: Project) -> None:
    page = site.page("forces/broad/ageing-and-shrinking-populations/")
    text = _text(page)
    assert "social" in text and "broader force" in text
    children = page[page.index('id="children"') : page.index('id="signals"')]
    # most signals first: Declining birth rates (2 signals) before Low fertility (1)
    assert children.index("Declining birth rates") < children.index("Low fertility")
    assert 'forces/declining-birth-rates/"' in children
    for signal in ("Fewer babies", "Small families", "Birth dip"):
        assert signal in page[page.index('id="signals"') :]


def test_force_index_browses_category_then_broad_then_fine(site: Project) -> None:
    page = site.page("forces/")
    social, economic = page.index('id="category-social"'), page.index('id="category-economic"')
    assert social < economic
    section = page[social:economic]
    assert "Ageing and shrinking populations" in section and "Declining birth rates" in section
    assert "older &amp; &lt;smaller&gt;" in section
    assert page.index('id="category-social"') < page.index('class="network"')


def test_home_prefers_broad_forces(site: Project) -> None:
    page = site.page("")
    assert "Main driving forces" in page
    forces = page[page.index("Main driving forces") :]
    assert forces.index("Ageing and shrinking populations") < forces.index("All driving forces")


def test_signals_json_lists_broad_forces_with_levels(site: Project) -> None:
    data = site.data()
    forces = {f["id"]: f for f in data["forces"]}
    broad = forces["broad/ageing-and-shrinking-populations"]
    assert broad["level"] == "broad" and broad["broader"] == []
    assert sorted(broad["children"]) == ["declining-birth-rates", "low-fertility"]
    assert len(broad["signals"]) == 3
    fine = forces["low-fertility"]
    assert fine["level"] == "fine" and fine["broader"] == ["broad/ageing-and-shrinking-populations"]
    for field in ("id", "label", "url", "signals", "notes", "declared", "category", "parent", "aliases", "phrases"):
        assert field in fine


def test_signal_json_and_csv_name_broader_forces(site: Project) -> None:
    signal = _signal(site, "Rents soar")
    note = json.loads((site.site / "notes" / signal["note"] / "index.json").read_text(encoding="utf-8"))
    record = next(s for s in note["signals"] if s["id"] == signal["id"])
    assert record["forces"][0]["broader"] == [
        {
            "id": "broad/cost-of-living-and-inflation",
            "label": "Cost of living and inflation",
            "url": "forces/broad/cost-of-living-and-inflation/",
        }
    ]
    rows = list(csv.reader(io.StringIO((site.site / "signals.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "Broader forces"
    row = next(r for r in rows if r[0] == signal["id"])
    assert row[-1] == "Cost of living and inflation"


# --- the network: no label over another label or a node ---------------------------------------------------------


def _boxes(svg_text: str) -> tuple[list[tuple[float, float, float, float, str]], list[tuple[float, float, float]]]:
    """The label boxes (x0, y0, x1, y1, text) and circles (cx, cy, r) of a network drawing."""
    root = ET.fromstring(svg_text)
    ns = "{http://www.w3.org/2000/svg}"
    labels, circles = [], []
    for el in root.iter():
        tag = el.tag.replace(ns, "")
        if tag == "circle":
            circles.append((float(el.get("cx", 0)), float(el.get("cy", 0)), float(el.get("r", 0))))
        elif tag == "text":
            x, y, size = float(el.get("x", 0)), float(el.get("y", 0)), float(el.get("font-size", 13))
            text = el.text or ""
            width = len(text) * size * 0.6
            anchor = el.get("text-anchor", "start")
            x0 = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
            labels.append((x0, y - 0.8 * size, x0 + width, y + 0.2 * size, text))
    return labels, circles


def assert_no_overlap(svg_text: str) -> tuple[int, int]:
    """Asserts no two label boxes intersect and no label box covers a node; returns (labels, nodes)."""
    labels, circles = _boxes(svg_text)
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"labels {a[4]!r} and {b[4]!r} overlap"
        for cx, cy, r in circles:
            nx, ny = min(max(cx, a[0]), a[2]), min(max(cy, a[1]), a[3])
            assert math.hypot(cx - nx, cy - ny) >= r, f"label {a[4]!r} covers a node at ({cx}, {cy})"
    return len(labels), len(circles)


def _network_svg(page: str) -> str:
    found = re.search(r'<svg class="network".*?</svg>', page, re.S)
    assert found is not None, "the force index draws the network of broad forces"
    return found.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)


def test_network_labels_never_overlap_on_many_long_labels() -> None:
    words = ["Ageing", "populations", "inflation", "artificial", "intelligence", "climate", "migration", "trust"]
    nodes = [
        svg.Node(
            f"broad/n{i}",
            " ".join(words[(i + k) % len(words)] for k in range(2 + i % 4)).capitalize(),
            f"n{i}/",
            1 + (i * 7) % 40,
            1 + i % 9,
            svg.PALETTE[i % len(svg.PALETTE)],
            "c",
        )
        for i in range(70)
    ]
    edges = [(f"broad/n{i}", f"broad/n{(i * 5 + 3) % 70}", 1 + i % 6) for i in range(70) if (i * 5 + 3) % 70 != i]
    labels, nodes = assert_no_overlap(
        str(svg.network(nodes, sorted({(min(a, b), max(a, b), w) for a, b, w in edges}), "t")).replace(
            "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1
        )
    )
    assert nodes == 70 and labels >= 60


def _many_broad(n: int) -> dict[str, str]:
    """A knowledge base with `n` broad forces, two fine forces under each, signals sharing some of them."""
    yaml = ["broad_forces: none", "categories: [one, two, three]", "broad:"]
    fine = ["forces:"]
    for i in range(n):
        yaml += [
            f"  - label: Broad force number {i} of a rather long name",
            f"    category: {('one', 'two', 'three')[i % 3]}",
            f"    description: The {i}th broad force.",
            f"    examples: [Example {i}]",
        ]
        for j in range(2):
            fine += [f"  - label: Fine force {i} {j}", f"    broader: [Broad force number {i} of a rather long name]"]
    files = {"forces.yaml": "\n".join(yaml + fine) + "\n"}
    for note in range(n // 2):
        rows = [
            (
                f"Signal {note} {k}",
                "A change",
                "A horizon",
                f"Fine force {(note + k) % n} {k % 2}; Fine force {(note * 3 + k) % n} 1",
            )
            for k in range(4)
        ]
        files[f"n{note:03}.md"] = native_note(f"Note {note}", f"2023{1 + note % 12:02}{1 + note % 27:02}", rows)
    return files


def test_network_of_many_broad_forces_has_no_overlapping_labels(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.content.mkdir()
    project.write(_many_broad(60))
    run = project.build("--no-search")
    assert run.status == 0, run.err
    labels, nodes = assert_no_overlap(_network_svg(project.page("forces/")))
    assert nodes == 60 and labels == nodes


def test_network_of_the_real_notes_has_no_overlapping_labels(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.content.mkdir()
    for path in sorted(shared_path(REAL_NOTES).glob("*.md")):
        shutil.copyfile(path, project.content / path.name)  # copied: a build writes permalinks.json beside notes
    run = project.build("--no-search")
    assert run.status == 0, run.err
    labels, nodes = assert_no_overlap(_network_svg(project.page("forces/")))
    broad = [f for f in project.data()["forces"] if f["level"] == "broad" and f["signals"]]
    assert nodes == len(broad) > 0 and labels == nodes
