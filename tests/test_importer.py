"""`build.py import`: exports written as native Markdown notes that read back to the same note."""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from signalkb.core.model import COLUMNS, ParsedNote
from signalkb.notes import table
from signalkb.notes.importer import export_markdown, export_plaintext, import_files
from signalkb.notes.readers.plaintext import markdown_source

from .conftest import SEED, Project, read_md, run_cli, shared_path
from .test_plaintext import EXPORTS, ROWS, export, read


def same_note(a: ParsedNote, b: ParsedNote) -> None:
    """Two readings of one note agree on everything a build uses."""
    assert (a.title, a.date, a.keywords, a.themes) == (b.title, b.date, b.keywords, b.themes)
    assert [(c.label, c.target) for c in a.closest] == [(c.label, c.target) for c in b.closest]
    assert [tuple(r.cells[c].text for c in COLUMNS) for r in a.rows] == [
        tuple(r.cells[c].text for c in COLUMNS) for r in b.rows
    ]
    assert [[(k, v.text) for k, v in r.extra] for r in a.rows] == [[(k, v.text) for k, v in r.extra] for r in b.rows]
    assert a.summary_text.split() == b.summary_text.split()
    assert dict(a.meta).get("collection") == dict(b.meta).get("collection")


def test_seed_round_trips_as_a_native_note() -> None:
    note, _ = read(shared_path(SEED).read_text("utf-8"), "seed.txt")
    assert note is not None
    text = export_markdown(note)
    assert text.startswith(
        "# __Leaked Google document reveals concerns about OpenAI’s competitive edge__, from ([20230521]().)"
    )
    assert "| Signal " in text and "|:---" in text
    back, problems = read_md(text, "seed.md")
    assert back is not None and back.kind == "native" and not problems, [p.format() for p in problems]
    same_note(note, back)


def test_hand_written_exports_round_trip() -> None:
    for path in sorted(EXPORTS.glob("*.txt")):
        note, _ = read(path.read_text("utf-8"), path.name)
        assert note is not None
        back, problems = read_md(export_markdown(note), path.stem + ".md")
        assert back is not None and not problems, [p.format() for p in problems]
        same_note(note, back)


def test_pipes_and_markup_are_escaped() -> None:
    row = ("A|B tests *everywhere*", "From [x] to <y>", "# not a heading", "Cost_of_capital & `code`")
    note, _ = read(export([ROWS[0]]))
    assert note is not None
    header, _ = table.read_header(["Signal", "Change", "10y horizon", "Driving force"], note.rows[0].loc)
    odd, _ = table.make_row(header, [markdown_source(c) for c in row], note.rows[0].loc)
    odd_note = replace(note, rows=(odd,), title="Under_scores *and* [brackets]", summary_text="# hash\n- dash")
    text = export_markdown(odd_note)
    assert "A\\|B tests" in text
    back, problems = read_md(text)
    assert back is not None and not problems, [p.format() for p in problems]
    assert back.title == "Under_scores *and* [brackets]"
    assert tuple(back.rows[0].cells[c].text for c in COLUMNS) == row
    assert back.summary_text.split() == ["#", "hash", "-", "dash"]


def test_undated_note_gets_a_plain_heading() -> None:
    note, _ = read(export(title="No date here"))
    assert note is not None and note.date is None
    text = export_markdown(note)
    assert text.startswith("# No date here\n")
    back, problems = read_md(text)
    assert back is not None and back.title == "No date here" and back.date is None and not problems


def test_export_plaintext_reads_back() -> None:
    note, _ = read(export())
    assert note is not None
    again, problems = read(export_plaintext(note))
    assert again is not None and not problems
    same_note(note, again)


def test_import_files_writes_beside_and_refuses_to_overwrite(tmp_path: Path) -> None:
    source = tmp_path / "streets.txt"
    source.write_text(export(), encoding="utf-8")
    written, problems = import_files([source])
    assert written == [tmp_path / "streets.md"]
    assert any("remove the export" in p.message for p in problems)
    back, _ = read_md(written[0].read_text("utf-8"), "streets.md")
    assert back is not None and [tuple(r.cells[c].text for c in COLUMNS) for r in back.rows] == ROWS
    written, problems = import_files([source])
    assert written == [] and any(p.is_error and "exists" in p.message for p in problems)
    written, problems = import_files([source], overwrite=True)
    assert written == [tmp_path / "streets.md"]


def test_import_skips_files_that_are_not_exports(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("nothing to see\n", encoding="utf-8")
    written, problems = import_files([junk, tmp_path / "missing.txt"], tmp_path / "out")
    assert written == []
    assert any("junk.txt is not a plain-text export" in p.message for p in problems)
    assert any(p.is_error and "cannot read" in p.message for p in problems)


def test_cli_import_then_build_gives_the_same_signals(project: Project, tmp_path: Path) -> None:
    exports = sorted(EXPORTS.glob("*.txt"))
    for path in exports:
        shutil.copy(path, project.content / path.name)
    shutil.copy(shared_path(SEED), project.content / "seed.txt")
    first = project.build()
    assert first.status == 0, first.err
    before = project.data()

    out = tmp_path / "imported"
    run = run_cli("import", *sorted(project.content.glob("*.txt")), "--to", out, "--content", project.content)
    assert run.status == 0, run.err
    assert len(list(out.glob("*.md"))) == len(exports) + 1 and "wrote " in run.out
    for path in project.content.glob("*.txt"):
        path.unlink()
    for path in out.glob("*.md"):
        shutil.copy(path, project.content / path.name)
    second = project.build()
    assert second.status == 0, second.err
    after = project.data()

    def signals(data: dict[str, object]) -> list[tuple[str, ...]]:
        notes = {n["id"]: n["title"] for n in data["notes"]}  # type: ignore[attr-defined]
        return sorted(
            (notes[s["note"]], s["signal"], s["change"], s["horizon"], s["driving_force"])
            for s in data["signals"]  # type: ignore[attr-defined]
        )

    assert signals(after) == signals(before)
    assert json.dumps(sorted(n["title"] for n in after["notes"])) == json.dumps(
        sorted(n["title"] for n in before["notes"])
    )


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_imported_notes_get_the_mode_of_a_file_the_user_would_make(tmp_path: Path, mask: int) -> None:
    source = tmp_path / "streets.txt"
    source.write_text(export(), encoding="utf-8")
    old = os.umask(mask)
    try:
        written, _ = import_files([source], tmp_path / "notes")
        (tmp_path / "notes" / "by-hand.md").write_text("# A note\n", encoding="utf-8")
    finally:
        os.umask(old)
    assert written == [tmp_path / "notes" / "streets.md"]
    made = stat.S_IMODE(written[0].stat().st_mode)
    assert made == stat.S_IMODE((tmp_path / "notes" / "by-hand.md").stat().st_mode) == 0o666 & ~mask
    written[0].chmod(0o640)
    written, _ = import_files([source], tmp_path / "notes", overwrite=True)
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o640, "a replaced note keeps its mode"
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["by-hand.md", "streets.md"], "no temp file left"


def test_a_note_that_cannot_be_written_is_an_error_naming_the_export(tmp_path: Path) -> None:
    source = tmp_path / "streets.txt"
    source.write_text(export(), encoding="utf-8")
    (tmp_path / "blocked").write_text("a file where the folder should be", encoding="utf-8")
    written, problems = import_files([source], tmp_path / "blocked")
    assert written == []
    errors = [p.format() for p in problems if p.is_error]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{source}: error: cannot write {tmp_path / 'blocked' / 'streets.md'}: ")
    assert "pick another --to" in errors[0]
