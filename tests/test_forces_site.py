"""Forces through builds: near-duplicates and `distinct:`, the `forces` report, bad input, pages, signals.json."""

from __future__ import annotations

import re

import yaml

from .conftest import Project, messages_matching, native_note, run_cli

NEAR = {
    "a.md": native_note("A", "20230101", rows=[("S1", "c", "h", "AI model training techniques")]),
    "b.md": native_note("B", "20240101", rows=[("S2", "c", "h", "AI model trainning techniques")]),
    "c.md": native_note(
        "C", "20240102", rows=[("S3", "c", "h", "Rising sea levels"), ("S4", "c", "h", "Ageing population")]
    ),
}


def test_near_duplicates_are_warned_and_fail_strict_builds(project: Project) -> None:
    project.write(NEAR)
    run = project.build()
    assert run.status == 0
    (warned,) = messages_matching(run, "are worded like")
    assert "“AI model trainning techniques”" in warned and "“AI model training techniques”" in warned
    assert re.match(r"content/b\.md:\d+: warning: ", warned)
    assert project.build("--strict").status == 1


def test_declaring_them_distinct_or_merging_them_ends_the_warning(project: Project) -> None:
    project.write(NEAR)
    label = "forces:\n  - label: AI model training techniques\n"
    project.write({"forces.yaml": label + "    distinct: [AI model trainning techniques]\n"})
    run = project.build("--strict", "--base-url", "https://example.org/kb/")
    assert run.status == 0, run.err
    force = next(f for f in project.data()["forces"] if f["label"] == "AI model training techniques")
    assert len(force["distinct"]) == 1
    project.write({"forces.yaml": label + "    aliases: [AI model trainning techniques]\n"})
    run = project.build("--strict", "--base-url", "https://example.org/kb/")
    assert run.status == 0, run.err
    force = next(f for f in project.data()["forces"] if f["label"] == "AI model training techniques")
    assert len(force["signals"]) == 2


def test_distinct_entry_that_names_nothing_is_a_warning(project: Project) -> None:
    project.write(NEAR)
    project.write({"forces.yaml": "forces:\n  - label: Ageing population\n    distinct: [Nothing like this]\n"})
    run = project.build()
    assert messages_matching(run, "content/forces.yaml:2: warning: `distinct` entry 'Nothing like this'")


def test_force_report_prints_groups_with_a_snippet_and_did_you_mean(project: Project) -> None:
    project.write(NEAR)
    project.write(
        {
            "forces.yaml": "forces:\n  - label: Decarbonisation policy\n    category: x\n",
            "d.md": native_note("D", "20240103", rows=[("S5", "c", "h", "Decarbonisaton policy")]),
            "e.md": native_note("E", "20240104", rows=[("S6", "c", "h", "Decarbonisation policy")]),
        }
    )
    run = run_cli("forces", "--content", "content", cwd=project.root)
    assert run.status == 0, run.err
    assert "Near-duplicates to review (merge, or declare distinct): 1" in run.out
    assert re.search(r"content/d\.md:\d+  “Decarbonisaton policy” → did you mean “Decarbonisation policy”", run.out)
    snippet = [line[4:] for line in run.out.splitlines() if line.startswith("    - ") or line.startswith("      ")]
    parsed = yaml.safe_load("\n".join(snippet))
    assert any(entry.get("aliases") for entry in parsed)
    assert any(entry.get("distinct") for entry in parsed)
    strict = run_cli("forces", "--content", "content", "--strict", cwd=project.root)
    assert strict.status == 1
    assert "to review (--strict)" in strict.err


def test_force_report_lists_forces_and_unshared_phrases(project: Project) -> None:
    project.write(
        {
            "a.md": native_note("A", rows=[("S1", "c", "h", "Remote work"), ("S2", "c", "h", "Lonely hobby")]),
            "b.md": native_note("B", rows=[("S3", "c", "h", "remote working")]),
        }
    )
    run = run_cli("forces", "--content", "content", "--limit", "0", cwd=project.root)
    assert run.status == 0
    assert re.search(r"2 signals\s+2 notes\s+Remote work", run.out)
    assert re.search(r"content/a\.md:\d+\s+“Lonely hobby”", run.out)


def test_bad_force_cells(project: Project) -> None:
    long_phrase = " ".join(["very"] * 300 + ["long force"])
    project.write(
        {
            "a.md": native_note(
                "A",
                rows=[
                    ("Punctuation", "c", "h", "— ... !"),
                    ("Long", "c", "h", long_phrase),
                    ("Accents", "c", "h", "Énergie solaire"),
                    ("CJK", "c", "h", "人工知能の規制"),
                    ("Umlaut", "c", "h", "Ü-Bahn expansion"),
                ],
            ),
            "b.md": native_note(
                "B", rows=[("Plain", "c", "h", "U-Bahn expansion"), ("CJK 2", "c", "h", "人工知能の規制")]
            ),
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    assert messages_matching(run, "content/a.md", "no driving force")
    data = project.data()
    ids = [f["id"] for f in data["forces"]]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9-]+", i) and len(i) <= 80 for i in ids)
    cjk = next(f for f in data["forces"] if f["label"] == "人工知能の規制")
    assert len(cjk["signals"]) == 2 and cjk["id"].startswith("x-")
    bahn = sorted(f["id"] for f in data["forces"] if "bahn" in f["id"])
    assert bahn == ["u-bahn-expansion", "u-bahn-expansion-2"]  # two forces, colliding slugs, distinct ids
    first = run_cli("build", "--content", "content", "--out", "site2", cwd=project.root)
    assert first.status == 0
    assert (project.root / "site2" / "signals.json").read_bytes() == (project.site / "signals.json").read_bytes()


def test_signals_json_keeps_format_fields_and_adds_the_taxonomy(project: Project) -> None:
    project.write(
        {
            "forces.yaml": "categories: [social]\nforces:\n  - label: Ageing population\n    category: social\n"
            "    aliases: [Older societies]\n  - label: Older workers\n    parent: Ageing population\n",
            "a.md": native_note("A", rows=[("S1", "c", "h", "Older societies and remote work")]),
            "b.md": native_note("B", rows=[("S2", "c", "h", "Remote working")]),
        }
    )
    assert project.build().status == 0
    data = project.data()
    signal = data["signals"][0]
    assert {"id", "url", "note", "signal", "change", "horizon", "driving_force", "forces", "extra"} <= set(signal)
    matches = {m["force"]: m for s in data["signals"] for m in s["force_matches"]}
    assert matches["ageing-population"]["how"] == "alias" and matches["ageing-population"]["part"] == "Older societies"
    force = next(f for f in data["forces"] if f["id"] == "ageing-population")
    assert {"id", "label", "url", "signals"} <= set(force)
    assert (force["category"], force["aliases"], force["children"], force["declared"]) == (
        "social",
        ["Older societies"],
        ["older-workers"],
        True,
    )
    remote = next(f for f in data["forces"] if f["label"].lower().startswith("remote work"))
    assert len(remote["signals"]) == 2 and remote["declared"] is False
    # the user's categories first, in their order, then those of the shipped broad forces
    assert data["categories"][0] == "social" and "technological" in data["categories"]


def test_pages_show_forces_well(project: Project) -> None:
    project.write(
        {
            "forces.yaml": "categories: [social]\nforces:\n  - label: Remote work\n    category: social\n"
            "    description: Work away from the office.\n",
            "a.md": native_note(
                "A", "20220101", rows=[("S1", "c", "h", "Remote work; Cheap flights")], keywords=("travel",)
            ),
            "b.md": native_note(
                "B", "20240101", rows=[("S2", "c", "h", "remote working and cheap flights")], keywords=("Travel",)
            ),
            "c.md": native_note("C", "20240201", rows=[("S3", "c", "h", "Cheap flights")], themes=("mobility",)),
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    force = project.page("forces/remote-work/")
    assert "Work away from the office." in force
    assert '<svg class="timeline"' in force and "<title>2022: 1 signal</title>" in force
    assert "Named in the same notes" in force and "Cheap flights" in force
    assert 'href="../../categories/social/"' in force
    signal = project.page(next(s["url"] for s in project.data()["signals"] if s["signal"] == "S2"))
    assert "Matched from “remote working”, part of “remote working and cheap flights”: same words" in signal
    assert "Most related signals" in signal
    index = project.page("forces/")
    assert '<svg class="network"' in index and '<a href="remote-work/"><title>' in index  # few broad: fine forces
    assert 'id="category-social"' in index and 'id="no-broader-force"' in index
    note = project.page("notes/b/")
    assert 'href="../../keywords/travel/"' in note
    keyword = project.page("keywords/travel/")
    assert "2 notes with this keyword" in keyword
    assert "Also written: travel." in keyword
    assert project.page("themes/mobility/")
    assert "Remote work" in project.page("categories/social/")
