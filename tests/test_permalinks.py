"""URL permanence: the permalink ledger keeps published ids through rewording, reordering and renaming."""

from __future__ import annotations

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from signalkb.core.config import load_config
from signalkb.core.ledger import MOVED, REMOVED, Ledger, NoteRecord, SignalRecord, format_ledger, parse_ledger
from signalkb.engine.fastpath import Session
from signalkb.engine.pipeline import preview_build
from signalkb.forces.matching import Taxonomy
from signalkb.linking.knowledge_base import build_knowledge_base

from .conftest import Project, native_note, read_md

LEDGER = "permalinks.json"
ROWS = [
    ("Schools close on Fridays", "Shorter school week", "Four-day weeks are common", "Teacher shortages"),
    ("Parents adopt remote work", "Flexible jobs", "Hybrid work is normal", "Remote work"),
    ("Tutoring moves online", "Digital learning", "Online tutors everywhere", "Education technology"),
]


def ledger_of(project: Project) -> dict[str, dict[str, dict[str, object]]]:
    """The project's permalink ledger as JSON."""
    return json.loads((project.content / LEDGER).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def ids(project: Project) -> dict[str, str]:
    """Signal text → id, from signals.json."""
    return {s["signal"]: s["id"] for s in project.data()["signals"]}


def built(project: Project, *extra: str) -> None:
    run = project.build(*extra)
    assert run.status == 0, run.err


def first(project: Project, rows: list[tuple[str, str, str, str]] = ROWS) -> dict[str, str]:
    project.write({"school.md": native_note("Four-day school weeks", "20240115", rows=rows)})
    built(project)
    return ids(project)


# --- the ledger file ---------------------------------------------------------------------------------------


def test_ledger_round_trips_and_is_one_entry_per_line(project: Project) -> None:
    first(project)
    text = (project.content / LEDGER).read_text(encoding="utf-8")
    ledger, problems = parse_ledger(text, "content/permalinks.json")
    assert problems == []
    assert format_ledger(ledger) == text
    lines = text.splitlines()
    assert sum('"note": "school"' in line for line in lines) == 3  # one line per signal
    assert len(ledger.notes) == 1 and len(ledger.signals) == 3 and len(ledger.forces) == 3


def test_ledger_problems_are_errors_with_their_line(project: Project) -> None:
    first(project)
    path = project.content / LEDGER
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace('"row": 2', '"row": "two"'), encoding="utf-8")
    run = project.build()
    assert run.status == 1
    (line,) = [m for m in run.messages if "permalinks.json" in m]
    number = next(i for i, text in enumerate(good.splitlines(), 1) if '"row": 2' in text)
    assert line.startswith(f"content/permalinks.json:{number}: error: signal ")
    path.write_text(good[:-10], encoding="utf-8")
    run = project.build()
    assert run.status == 1
    assert any(m.startswith("content/permalinks.json:") and "not valid JSON" in m for m in run.messages)
    path.write_text(good.replace('"school": {', '"../x": {'), encoding="utf-8")
    assert any("not a URL-safe id" in m for m in project.build().messages)
    path.write_text(good.replace('"version": 1', '"version": 9'), encoding="utf-8")
    assert any("format version 9" in m for m in project.build().messages)


def test_ledger_is_written_only_when_it_changed_never_by_check_or_a_failed_build(project: Project) -> None:
    first(project)
    path = project.content / LEDGER
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    built(project)
    assert path.stat().st_mtime_ns == 1_000_000_000  # nothing changed: not rewritten
    before = path.read_bytes()
    project.write({"more.md": native_note("More", "20240201", rows=[("New signal", "c", "h", "f")])})
    assert project.check().status == 0
    assert path.read_bytes() == before  # check never writes
    project.write({"bad.md": "---\ntitle: [broken\n---\n"})
    assert project.build().status == 1
    assert path.read_bytes() == before  # a failed build never writes
    (project.content / "bad.md").unlink()
    assert project.build("--strict").status == 1  # no base_url: a warning, so --strict fails
    assert path.read_bytes() == before
    built(project)
    assert "new-signal-" in path.read_text(encoding="utf-8")
    assert not [p for p in project.content.iterdir() if p.name.startswith(".")]  # no temp file left


def test_the_preview_does_not_record_published_urls(project: Project) -> None:
    project.write({"a.md": native_note(rows=ROWS)})
    config, _ = load_config(None, {"content_dir": project.content, "out_dir": project.site})
    report = preview_build(config, Session())
    assert report.written and not report.failed
    assert not (project.content / LEDGER).exists()
    assert not [d for d in report.diagnostics if "base_url" in d.message]


# --- ids that survive edits --------------------------------------------------------------------------------


def test_reordering_rows_keeps_ids(project: Project) -> None:
    before = first(project)
    first(project, [ROWS[2], ROWS[0], ROWS[1]])
    assert ids(project) == before


def test_reworded_signal_keeps_its_id_and_url(project: Project) -> None:
    before = first(project)
    reworded = [ROWS[0], ("Parents adopt remote working", *ROWS[1][1:]), ("Private tutors go online", *ROWS[2][1:])]
    first(project, reworded)
    after = ids(project)
    assert after["Parents adopt remote working"] == before["Parents adopt remote work"]  # similar text
    assert after["Private tutors go online"] == before["Tutoring moves online"]  # same other cells
    page = project.page(f"signals/{before['Tutoring moves online']}")
    assert "Private tutors go online" in page


def test_rewritten_row_in_the_same_place_keeps_its_id(project: Project) -> None:
    before = first(project)
    first(project, [ROWS[0], ("Completely different", "x", "y", "z"), ROWS[2]])
    assert ids(project)["Completely different"] == before["Parents adopt remote work"]


def test_renaming_a_note_file_keeps_its_id(project: Project) -> None:
    first(project)
    (project.content / "school.md").rename(project.content / "four-day-school-weeks.md")
    built(project)
    notes = project.data()["notes"]
    assert [n["id"] for n in notes] == ["school"]
    assert ledger_of(project)["notes"]["school"]["path"] == "four-day-school-weeks.md"
    # renamed and edited: the same title and date still identify it
    text = (project.content / "four-day-school-weeks.md").read_text(encoding="utf-8")
    (project.content / "four-day-school-weeks.md").unlink()
    project.write({"sub/renamed.md": text.replace("Summary of", "A new summary of")})
    built(project)
    assert [n["id"] for n in project.data()["notes"]] == ["school"]


def test_a_new_note_never_takes_a_published_id(project: Project) -> None:
    first(project)
    (project.content / "school.md").unlink()
    project.write({"other.md": native_note("Other", "20240301")})
    built(project)
    project.write({"school.md": native_note("Unrelated note", "20200101", rows=[("Other", "c", "h", "f")])})
    built(project)  # same path: the same note, by definition, so it gets its id back
    assert {n["id"] for n in project.data()["notes"]} == {"school", "other"}
    (project.content / "school.md").unlink()
    project.write({"sub/school.md": native_note("Yet another", "20190101")})
    run = project.build()
    assert run.status == 0
    assert {n["id"] for n in project.data()["notes"]} == {"school-2", "other"}
    assert any("'school' was published for another note" in m for m in run.messages)


def test_removed_signal_url_says_so_and_links_to_its_note(project: Project) -> None:
    before = first(project)
    first(project, [ROWS[0], ROWS[2]])
    sid = before["Parents adopt remote work"]
    assert ledger_of(project)["signals"][sid]["removed"] is True
    page = project.page(f"signals/{sid}")
    assert "This signal was removed" in page
    assert "Parents adopt remote work" in page
    assert '<a href="../../notes/school/">Four-day school weeks</a>' in page
    assert '<meta name="robots" content="noindex">' in page
    assert sid not in (project.site / "notes" / "school" / "index.json").read_text(encoding="utf-8")
    first(project)  # put back: the same id, live again
    assert ids(project) == before
    assert "removed" not in ledger_of(project)["signals"][sid]


def test_removed_note_url_says_so(project: Project) -> None:
    first(project)
    project.write({"other.md": native_note("Other", "20240301")})
    (project.content / "school.md").unlink()
    built(project)
    assert "This note was removed" in project.page("notes/school")
    assert "Four-day school weeks" in project.page("notes/school")


def test_explicit_id_change_redirects_the_old_url(project: Project) -> None:
    front = "---\ntitle: AI Act\ndate: 2024-03-13\n{id}---\n\n## Signals\n\n"
    table = "| Signal | Change | 10y horizon | Driving force |\n|---|---|---|---|\n"
    table += "| Risk tiers for AI | Regulation | Audits | AI governance |\n"
    project.write({"ai.md": front.format(id="") + table})
    built(project)
    project.write({"ai.md": front.format(id="id: eu-ai-act\n") + table})
    built(project)
    assert [n["id"] for n in project.data()["notes"]] == ["eu-ai-act"]
    assert ledger_of(project)["notes"]["ai"]["moved"] == "eu-ai-act"
    page = project.page("notes/ai")
    assert '<meta http-equiv="refresh" content="0; url=../../notes/eu-ai-act/">' in page
    assert '<a href="../../notes/eu-ai-act/">AI Act</a>' in page


def test_merged_force_redirects_to_the_force_it_joined(project: Project) -> None:
    rows = [("S1", "c", "h", "Teacher shortages"), ("S2", "c", "h", "Lack of teachers in rural schools")]
    project.write({"a.md": native_note(rows=rows)})
    built(project)
    forces = {f["label"]: f["id"] for f in project.data()["forces"] if f["level"] == "fine"}
    assert len(forces) == 2
    project.write(
        {"forces.yaml": "forces:\n  - label: Teacher shortages\n    aliases: [Lack of teachers in rural schools]\n"}
    )
    built(project)
    (merged,) = [f for f in project.data()["forces"] if f["level"] == "fine"]
    gone = forces["Lack of teachers in rural schools"]
    assert ledger_of(project)["forces"][gone]["moved"] == merged["id"]
    assert f"url=../../forces/{merged['id']}/" in project.page(f"forces/{gone}")


def test_strict_fails_when_a_published_url_would_show_something_else(project: Project) -> None:
    first(project)
    project.write({"other.md": native_note("Other", "20240301")})
    (project.content / "school.md").unlink()
    built(project)  # notes/school/ now says "removed": the URL still works
    project.write({"new.md": "---\ntitle: Brand new\nid: school\n---\n\nText.\n"})
    run = project.build("--strict", "--base-url", "https://example.org/kb/")
    assert run.status == 1
    (line,) = [m for m in run.messages if "published URL" in m]
    assert line.startswith("content/new.md:")
    assert "note 'school', «Four-day school weeks» (school.md), now shows another note" in line
    assert ledger_of(project)["notes"]["school"]["removed"] is True  # not recorded: the build failed
    built(project)  # without --strict it is a warning: the explicit id wins and is recorded
    assert "removed" not in ledger_of(project)["notes"]["school"]


def test_signal_moved_to_another_note_keeps_its_id(project: Project) -> None:
    before = first(project)
    first(project, ROWS[:2])
    project.write({"other.md": native_note("Other", "20240301", rows=[ROWS[2]])})
    built(project)
    assert ids(project)["Tutoring moves online"] == before["Tutoring moves online"]


# --- link.py with a ledger, pure ---------------------------------------------------------------------------


def _parsed(rows: list[tuple[str, str, str, str]], rel: str = "n.md") -> object:
    note, problems = read_md(native_note("N", "20240101", rows=rows), rel)
    assert note is not None, problems
    return note


@settings(max_examples=40)
@given(st.permutations(list(range(6))), st.lists(st.sampled_from(["alpha", "beta", "gamma"]), min_size=6, max_size=6))
def test_any_reordering_keeps_every_id(order: list[int], forces: list[str]) -> None:
    rows = [(f"Signal number {i} {'x' * i}", f"change {i}", f"horizon {i}", forces[i]) for i in range(6)]
    kb, _ = build_knowledge_base([_parsed(rows)], Taxonomy())  # type: ignore[list-item]
    again, _ = build_knowledge_base([_parsed([rows[i] for i in order])], Taxonomy(), ledger=kb.ledger)  # type: ignore[list-item]
    assert {s.text: s.id for s in again.signals} == {s.text: s.id for s in kb.signals}
    assert again.ledger.changed == (order != sorted(order))
    assert not [r for r in again.ledger.signals.values() if r.state != "live"]


def test_ledger_states_are_resolved_through_chains() -> None:
    kb, _ = build_knowledge_base([_parsed(ROWS)], Taxonomy())  # type: ignore[list-item]
    notes = dict(kb.ledger.notes)
    notes["old"] = NoteRecord("gone.md", "Old", "", "x", state=MOVED, to="older")
    notes["older"] = NoteRecord("gone2.md", "Older", "", "y", state=MOVED, to="n")
    notes["loop"] = NoteRecord("l.md", "L", "", "z", state=MOVED, to="loop")
    signals = dict(kb.ledger.signals)
    signals["ghost-1234"] = SignalRecord("n", 9, "Ghost", "r")
    again, _ = build_knowledge_base(
        [_parsed(ROWS)],  # type: ignore[list-item]
        Taxonomy(),
        ledger=Ledger(notes, signals, kb.ledger.forces),
    )
    assert again.ledger.notes["old"].to == "n"
    assert again.ledger.notes["loop"].state == REMOVED
    assert again.ledger.signals["ghost-1234"].state == REMOVED
