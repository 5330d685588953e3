"""link.py: note and signal ids, Closest links, forces shared across notes, and the force → signals index."""

from __future__ import annotations

import re
from collections.abc import Mapping

from signalkb.core.diagnostics import Diagnostic
from signalkb.core.model import KnowledgeBase
from signalkb.forces.matching import Taxonomy, parse_taxonomy
from signalkb.linking.knowledge_base import build_knowledge_base

from .conftest import Project, native_note, read_md

HEX_A = "0505a73ce4b14c86bd62f374ef83abc9"
HEX_B = "1f2e3d4c5b6a79881f2e3d4c5b6a7988"
HEX_C = "aaaabbbbccccddddeeeeffff00001111"
ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def link(files: Mapping[str, str], forces_yaml: str | None = None) -> tuple[KnowledgeBase, list[Diagnostic]]:
    """Read the notes (name → text) and link them, as a build does."""
    notes = []
    for rel, text in files.items():
        note, problems = read_md(text, rel=rel)
        assert note is not None, [d.format() for d in problems]
        notes.append(note)
    taxonomy = Taxonomy(path="content/forces.yaml")
    if forces_yaml is not None:
        taxonomy, problems = parse_taxonomy(forces_yaml, "content/forces.yaml")
        assert not problems, [d.format() for d in problems]
    return build_knowledge_base(notes, taxonomy)


def texts(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.format() for d in diagnostics]


# --- note ids -------------------------------------------------------------------------------------------


def test_file_id_is_kept_and_other_names_are_slugged() -> None:
    kb, _ = link(
        {
            f"{HEX_A}.md": native_note("Hex"),
            "My First Note.md": native_note("Named"),
            "sub/Ärger & Co.md": native_note("Accented"),
            "CON.md": native_note("Reserved"),
        }
    )
    ids = {n.title: n.id for n in kb.notes}
    assert ids == {"Hex": HEX_A, "Named": "my-first-note", "Accented": "arger-co", "Reserved": "con-x"}


def test_front_matter_id_is_used() -> None:
    kb, _ = link({"whatever.md": "---\ntitle: T\nid: My Chosen Id\n---\n\n## Signals\n"})
    assert [n.id for n in kb.notes] == ["my-chosen-id"]


def test_colliding_ids_get_a_number_and_a_warning() -> None:
    kb, diagnostics = link({"a/same-name.md": native_note("One"), "b/Same Name.md": native_note("Two")})
    ids = sorted(n.id for n in kb.notes)
    assert ids == ["same-name", "same-name-2"]
    warned = [d for d in diagnostics if "same-name" in d.message and "already used" in d.message]
    assert len(warned) == 1
    assert warned[0].severity.value == "warning"
    assert warned[0].location is not None
    assert warned[0].location.path in ("content/a/same-name.md", "content/b/Same Name.md")
    assert "same-name-2" in warned[0].message


def test_duplicate_titles_warn() -> None:
    _, diagnostics = link({"a.md": native_note("Same title"), "b.md": native_note("same  title.")})
    found = [d for d in diagnostics if "also the title of" in d.message]
    assert len(found) == 1
    assert found[0].location is not None
    assert found[0].location.path == "content/b.md"
    assert "content/a.md" in found[0].message


# --- signal ids -------------------------------------------------------------------------------------------


def test_signal_ids_are_unique_slugs_even_for_repeated_text() -> None:
    rows = [("Same signal", "c1", "h", "f"), ("Same signal", "c2", "h", "f"), ("", "c3", "h", "f")]
    kb, diagnostics = link({"a.md": native_note(rows=rows), "b.md": native_note("B", rows=rows[:1])})
    ids = [s.id for s in kb.signals]
    assert len(set(ids)) == len(ids) == 4
    assert all(ID.match(i) for i in ids)
    assert [d for d in diagnostics if "signal cell is empty" in d.message]


def test_signal_ids_do_not_change_when_a_note_is_added() -> None:
    base = {
        "m.md": native_note("Middle", "20230101", rows=[("Alpha", "c", "h", "f"), ("Beta", "c", "h", "f")]),
        f"{HEX_B}.md": native_note("Hex", "20220101", rows=[("Alpha", "c", "h", "f")]),
    }
    before, _ = link(base)
    after, _ = link({**base, "a.md": native_note("Added first", "20240101", rows=[("Alpha", "c", "h", "f")] * 2)})
    old = {(s.note_id, s.row): s.id for s in before.signals}
    new = {(s.note_id, s.row): s.id for s in after.signals}
    assert all(new[key] == value for key, value in old.items())
    assert len(set(new.values())) == len(new)


def test_signal_ids_stay_the_same_across_builds(project: Project) -> None:
    project.write({"a.md": native_note(rows=[("Rain gardens", "c", "h", "f"), ("Rain gardens", "c", "h", "f")])})
    assert project.build().status == 0
    first = [s["id"] for s in project.data()["signals"]]
    project.write({"b.md": native_note("Another", rows=[("Rain gardens", "c", "h", "f")])})
    assert project.build().status == 0
    second = [s["id"] for s in project.data()["signals"] if s["note"] == "a"]
    assert second == first


# --- Closest ----------------------------------------------------------------------------------------------


def test_closest_drops_self_links_and_repeats_keeps_order_and_unknowns() -> None:
    closest = (
        ("Itself", HEX_A),
        ("Third", HEX_C),
        ("Second", HEX_B),
        ("Third again", f"{HEX_C}.md"),
        ("Itself again", f"../x/{HEX_A}.md#top"),
        ("Not here", "ffffffffffffffffffffffffffffffff"),
        ("Not here", "ffffffffffffffffffffffffffffffff"),
    )
    kb, diagnostics = link(
        {
            f"{HEX_A}.md": native_note("First", closest=closest),
            f"{HEX_B}.md": native_note("Second"),
            f"{HEX_C}.md": native_note("Third"),
        }
    )
    note = kb.notes_by_id[HEX_A]
    assert note.closest == (HEX_C, HEX_B)
    assert note.closest_unlinked == ("Not here",)
    assert not [d for d in diagnostics if "Closest" in d.message]  # a link to a missing file is not an error


def test_closest_by_title() -> None:
    text = native_note("Main") + "* Second  note.\n* A note nobody wrote\n"
    kb, diagnostics = link({"main.md": text, "second.md": native_note("Second note")})
    note = kb.notes_by_id["main"]
    assert note.closest == ("second",)
    assert note.closest_unlinked == ("A note nobody wrote",)
    warned = [d for d in diagnostics if "A note nobody wrote" in d.message]
    assert len(warned) == 1
    assert warned[0].severity.value == "warning"
    assert warned[0].location is not None
    assert warned[0].location.path == "content/main.md"
    assert warned[0].location.line == text.split("\n").index("* A note nobody wrote") + 1


def test_closest_on_the_note_page(project: Project) -> None:
    project.write(
        {
            "main.md": native_note("Main", closest=(("Other one", "other"), ("Missing one", "missing"))),
            "other.md": native_note("Other one"),
        }
    )
    assert project.build().status == 0
    html = project.page("notes/main")
    assert '<a href="../../notes/other/">Other one</a>' in html
    assert "Missing one" in html
    assert "notes/missing" not in html
    assert {n["id"]: n["closest"] for n in project.data()["notes"]}["main"] == ["other"]


# --- forces -----------------------------------------------------------------------------------------------


def test_forces_are_shared_by_normalised_phrase() -> None:
    kb, _ = link(
        {
            "a.md": native_note("A", rows=[("S1", "c", "h", "Open-source collaboration")]),
            "b.md": native_note("B", rows=[("S2", "c", "h", "open source  collaboration.")]),
            "c.md": native_note("C", rows=[("S3", "c", "h", "Supply chain risk")]),
        }
    )
    by_signal = {s.text: [link.force_id for link in s.forces] for s in kb.signals}
    assert by_signal["S1"] == by_signal["S2"]
    assert by_signal["S1"] != by_signal["S3"]
    shared = kb.forces_by_id[by_signal["S1"][0]]
    assert len(shared.signal_ids) == 2
    assert len(shared.note_ids) == 2
    assert set(shared.phrases) == {"Open-source collaboration", "open source  collaboration."}
    assert kb.forces[0] is shared  # most shared first


def test_semicolon_cell_gives_two_forces() -> None:
    kb, _ = link({"a.md": native_note(rows=[("S", "c", "h", "Climate policy; Travel habits;climate POLICY")])})
    (signal,) = kb.signals
    assert [link.phrase for link in signal.forces] == ["Climate policy", "Travel habits"]
    assert len(kb.forces) == 2


def test_alias_maps_to_the_declared_force() -> None:
    forces_yaml = "forces:\n  - label: Ageing population\n    aliases: [Demographic change, Older societies]\n"
    kb, diagnostics = link(
        {
            "a.md": native_note("A", rows=[("S1", "c", "h", "demographic-change")]),
            "b.md": native_note("B", rows=[("S2", "c", "h", "Ageing population")]),
        },
        forces_yaml,
    )
    assert [(link.force_id, link.how) for s in kb.signals for link in s.forces] == [
        ("ageing-population", "alias"),
        ("ageing-population", "label"),
    ]
    force = kb.forces_by_id["ageing-population"]
    assert force.declared
    assert force.label == "Ageing population"
    assert len(force.signal_ids) == 2
    unused = [d for d in diagnostics if "Older societies" in d.message]
    assert len(unused) == 1


def test_force_signals_are_grouped_by_note_newest_first() -> None:
    kb, _ = link(
        {
            "old.md": native_note(
                "Old", "20200101", rows=[("old-1", "c", "h", "Shared"), ("old-2", "c", "h", "shared")]
            ),
            "new.md": native_note("New", "20240101", rows=[("new-1", "c", "h", "Shared"), ("other", "c", "h", "X")]),
            "mid.md": native_note("Mid", "20220101", rows=[("mid-1", "c", "h", "SHARED")]),
            "mid2.md": native_note("Mid two", "20220101", rows=[("mid2-1", "c", "h", "Shared")]),
        }
    )
    force = next(f for f in kb.forces if f.label == "Shared")
    order = [kb.signals_by_id[sid].text for sid in force.signal_ids]
    assert order == ["new-1", "mid-1", "mid2-1", "old-1", "old-2"]
    assert force.note_ids == ("new", "mid", "mid2", "old")
    assert [n.id for n in kb.notes] == ["new", "mid", "mid2", "old"]


def test_force_page_lists_signals_by_note_newest_first(project: Project) -> None:
    project.write(
        {
            "old.md": native_note("Old note", "20200101", rows=[("Signal from old", "c", "h", "Shared force")]),
            "new.md": native_note("New note", "20240101", rows=[("Signal from new", "c", "h", "shared force")]),
        }
    )
    assert project.build().status == 0
    html = project.page("forces/shared-force")
    assert html.index("Signal from new") < html.index("Signal from old")
    assert html.index("New note") < html.index("Old note")


def test_empty_driving_force_warns_and_is_listed_under_no_driving_force(project: Project) -> None:
    project.write(
        {
            "a.md": native_note(
                "A note", rows=[("Forceless signal", "c", "h", ""), ("Forced signal", "c", "h", "Some force")]
            )
        }
    )
    run = project.build()
    assert run.status == 0
    warned = [line for line in run.messages if "no driving force" in line]
    assert warned == [warned[0]]
    assert warned[0].startswith("content/a.md:24: warning: ")
    signals = {s["signal"]: s for s in project.data()["signals"]}
    assert signals["Forceless signal"]["forces"] == []
    html = project.page("forces")
    assert 'id="no-driving-force"' in html
    section = html[html.index('id="no-driving-force"') :]
    assert "Forceless signal" in section
    assert "Forced signal" not in section
    assert f'href="../signals/{signals["Forceless signal"]["id"]}/"' in section
