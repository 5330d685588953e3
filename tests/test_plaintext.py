"""The plain-text export reader (FORMAT.md §3): the seed, hand-written exports, flattened real notes, bad input."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from signalkb.core.diagnostics import Diagnostic
from signalkb.core.model import COLUMNS, ParsedNote
from signalkb.notes import readers
from signalkb.notes.importer import export_plaintext
from signalkb.notes.readers.markdown import read_markdown
from signalkb.notes.readers.plaintext import read_plaintext
from signalkb.notes.sources import SourceFile, decode

from .conftest import REAL_NOTES, SEED, Project, native_note, shared_path

EXPORTS = Path(__file__).parent / "data" / "exports"
HEADER = "Signal Change 10y horizon Driving force"
ROWS = [
    (
        "Cities ban petrol cars from centres",
        "From traffic to pedestrians",
        "Most city centres free of cars",
        "Air quality",
    ),
    ("Delivery robots on pavements", "Last-mile delivery automated", "Robots deliver most parcels", "Labour costs"),
]


def read(text: str | bytes, rel: str = "note.txt") -> tuple[ParsedNote | None, list[Diagnostic]]:
    """Read an export given as text or raw bytes, as a file content/<rel> would be."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    decoded, problem = decode(data, f"content/{rel}")
    assert problem is None and decoded is not None
    return read_plaintext(SourceFile(Path(rel), rel, f"content/{rel}", decoded, "test"))


def export(
    rows: list[tuple[str, ...]] | None = None,
    *,
    title: str = "Cities rethink streets, from (20240102.)",
    sections: tuple[str, ...] = ("Summary", "Keywords", "Themes", "Signals", "Closest"),
    header: str = HEADER,
) -> str:
    """An export in the seed's layout, with the sections in the given order."""
    body = {
        "Summary": ["Mayors in Paris and Oslo restrict cars; delivery robots from Starship appear on pavements."],
        "Keywords": ["cars, cities, robots"],
        "Themes": ["Urban mobility"],
        "Signals": [header, *(" ".join(r) for r in (ROWS if rows is None else rows))],
        "Closest": ["Another note"],
    }
    lines = ["Futures", "", title, "", "External link", ""]
    for name in sections:
        lines += [name, "", *body[name], ""]
    return "\n".join(lines)


def texts(note: ParsedNote) -> list[tuple[str, ...]]:
    return [tuple(row.cells[c].text for c in COLUMNS) for row in note.rows]


def messages(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.format() for d in diagnostics]


# --- the seed ---------------------------------------------------------------------------------------


def test_seed_reads_exactly() -> None:
    text = shared_path(SEED).read_text(encoding="utf-8")
    lines = text.split("\n")
    start = lines.index(HEADER) + 1
    expected = [line for line in lines[start : lines.index("Closest")] if line.strip()]
    note, _ = read(text, "000_3571f702cbc55afd.txt")
    assert note is not None
    assert note.kind == "plain-text"
    assert note.title == "Leaked Google document reveals concerns about OpenAI’s competitive edge"
    assert note.date == datetime.date(2023, 5, 21)
    assert note.meta == (("collection", "Futures"),)
    assert note.keywords == () and note.themes == () and note.closest == ()
    assert "LoRA" in note.summary_text
    assert [" ".join(row) for row in texts(note)] == expected
    assert texts(note)[0] == (
        "Leaked Google document: “We Have No Moat, And Neither Does OpenAI”",
        "Open-source models surpass proprietary models",
        "Open-source models dominate in speed, customization, privacy, and capability",
        "Innovation and collaboration in the open-source community",
    )
    assert [row.loc.line for row in note.rows] == [start + 1 + k for k in range(5)]


# --- hand-written exports and flattened real notes ----------------------------------------------------


def _suite() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (p, json.loads(p.with_name(p.stem + ".expected.json").read_text("utf-8")))
        for p in sorted(EXPORTS.glob("*.txt"))
    ]


def score(pairs: list[tuple[ParsedNote, list[Diagnostic], list[tuple[str, ...]]]]) -> tuple[int, int, list[str]]:
    """(exact rows, rows, inexact rows that no warning names)."""
    exact = total = 0
    silent: list[str] = []
    for note, diagnostics, expected in pairs:
        warned = {d.location.line for d in diagnostics if d.location and "columns" in d.message}
        assert len(note.rows) == len(expected), note.path
        for row, want in zip(note.rows, expected, strict=True):
            total += 1
            got = tuple(row.cells[c].text for c in COLUMNS)
            if got == want:
                exact += 1
            elif row.loc.line not in warned:
                silent.append(f"{note.display_path}:{row.loc.line}: {' | '.join(got)}")
    return exact, total, silent


def test_hand_written_exports() -> None:
    suite = _suite()
    assert len(suite) >= 8 and sum(len(e["rows"]) for _, e in suite) >= 40
    results = []
    for path, expected in suite:
        note, diagnostics = read(path.read_text("utf-8"), path.name)
        assert note is not None
        assert note.title == expected["title"] and note.date == datetime.date.fromisoformat(expected["date"])
        results.append((note, diagnostics, [tuple(r) for r in expected["rows"]]))
    exact, total, silent = score(results)
    assert exact / total >= 0.95, f"{exact}/{total} exact"
    assert not silent, silent


def _real_notes() -> list[ParsedNote]:
    folder = Path(__file__).parents[1] / ".." / "shared" / "examples" / "real-notes"
    if not folder.is_dir():
        pytest.fail(f"the real notes are missing at {folder.resolve()} (they are read at test time, never copied)")
    assert folder.resolve() == REAL_NOTES.resolve()
    notes = []
    for path in sorted(folder.glob("*.md")):
        note, _ = read_markdown(SourceFile(path, path.name, path.name, path.read_text("utf-8"), "real"))
        assert note is not None
        notes.append(note)
    assert sum(len(n.rows) for n in notes) >= 100
    return notes


def test_flattened_real_notes_come_back_exact() -> None:
    results = []
    for original in _real_notes():
        note, diagnostics = read(export_plaintext(original), Path(original.path).stem + ".txt")
        assert note is not None and note.title == original.title and note.date == original.date
        results.append((note, diagnostics, texts(original)))
    exact, total, silent = score(results)
    assert exact / total >= 0.98, f"{exact}/{total} exact"
    assert not silent, silent


def test_flattened_real_notes_with_knowledge_base_evidence() -> None:
    notes = _real_notes()
    results = []
    for k, original in enumerate(notes):
        note, diagnostics = read(export_plaintext(original), Path(original.path).stem + ".txt")
        assert note is not None
        done, more = readers.finish([*notes[:k], *notes[k + 1 :], note])
        results.append((done[-1], diagnostics + more, texts(original)))
    exact, total, silent = score(results)
    assert exact / total >= 0.98, f"{exact}/{total} exact"
    assert not silent, silent


# --- layout and bad input ---------------------------------------------------------------------------


def test_sections_and_metadata() -> None:
    note, diagnostics = read(export())
    assert note is not None and not diagnostics, messages(diagnostics)
    assert note.title == "Cities rethink streets" and note.date == datetime.date(2024, 1, 2)
    assert note.keywords == ("cars", "cities", "robots") and note.themes == ("Urban mobility",)
    assert [(c.label, c.target) for c in note.closest] == [("Another note", None)]
    assert texts(note) == ROWS
    assert "Starship" in note.summary_text and str(note.summary_html).startswith("<p>Mayors")


def test_sections_in_another_order() -> None:
    note, diagnostics = read(export(sections=("Signals", "Closest", "Themes", "Summary", "Keywords")))
    assert note is not None and not diagnostics, messages(diagnostics)
    assert texts(note) == ROWS and note.keywords == ("cars", "cities", "robots")
    assert [c.label for c in note.closest] == ["Another note"]


def test_missing_sections() -> None:
    note, diagnostics = read(export(sections=("Signals",)))
    assert note is not None and not diagnostics
    assert texts(note) == ROWS and note.summary_text == "" and note.keywords == () and note.closest == ()
    note, diagnostics = read(export(sections=("Summary", "Keywords")))
    assert note is not None and note.rows == ()
    assert any("no Signals section" in m for m in messages(diagnostics))


def test_empty_signals_section() -> None:
    text = export(sections=("Summary", "Signals", "Closest")).replace(HEADER + "\n", "")
    for row in ROWS:
        text = text.replace(" ".join(row) + "\n", "")
    note, diagnostics = read(text)
    assert note is not None and note.rows == ()
    assert any(":11: warning: the Signals section is empty" in m for m in messages(diagnostics)), messages(diagnostics)


def test_row_with_fewer_than_four_capitalised_words_is_kept_and_warned() -> None:
    row = "Growing demand for lithium new mines open prices fall and recycling grows"
    note, diagnostics = read(export([ROWS[0], (row,)]))
    assert note is not None and len(note.rows) == 2
    cells = texts(note)[1]
    assert all(cells) and " ".join(cells) == row
    line = note.rows[1].loc.line
    assert any(f":{line}: warning: row has fewer than 4 capitalised words" in m for m in messages(diagnostics))


def test_row_with_fewer_words_than_columns_is_kept_and_warned() -> None:
    note, diagnostics = read(export([ROWS[0], ("Two words",)]))
    assert note is not None and texts(note)[1] == ("Two", "words", "", "")
    assert any("fewer words than the table has columns" in m for m in messages(diagnostics))


@pytest.mark.parametrize(
    "header",
    [
        "Signals Changes 10-year horizon Driving forces",
        "Signal Change Horizon (10y) Driving force",
        "signal change 10y horizon driving force",
    ],
)
def test_header_variants_are_understood(header: str) -> None:
    note, diagnostics = read(export(header=header))
    assert note is not None and texts(note) == ROWS and not diagnostics, messages(diagnostics)


def test_header_in_other_words_is_warned_and_read_as_the_four_columns() -> None:
    note, diagnostics = read(export(header="Trend Shift Outlook Cause"))
    assert note is not None and texts(note) == ROWS
    assert any(
        'header line "Trend Shift Outlook Cause" does not name the four columns' in m for m in messages(diagnostics)
    )


def test_missing_header_line_reads_every_line_as_a_row() -> None:
    note, diagnostics = read(export(header=" ".join(ROWS[1])).replace("\n" + " ".join(ROWS[1]) + "\n", "\n", 1))
    assert note is not None and len(note.rows) >= 1
    assert any("no header line" in m for m in messages(diagnostics))


def test_six_column_header() -> None:
    header = "name description change 10-year driving-force relevancy"
    row = (
        "Robotaxis expand",
        "Driverless cars now carry paying riders in several large cities without a safety driver",
        "From pilots to paid service",
        "Robotaxis common in most large cities",
        "Falling sensor costs",
        "High",
    )
    note, diagnostics = read(export([row], header=header))
    assert note is not None and not diagnostics, messages(diagnostics)
    assert texts(note) == [(row[0], row[2], row[3], row[4])]
    assert [(k, c.text) for k, c in note.rows[0].extra] == [("description", row[1]), ("relevancy", "High")]


def test_extra_blank_lines_change_nothing() -> None:
    text = export().replace("\n", "\n\n").replace(" ".join(ROWS[0]) + "\n", " ".join(ROWS[0]) + "\n\n\n")
    note, diagnostics = read("\n\n" + text + "\n\n\n")
    assert note is not None and texts(note) == ROWS and not diagnostics, messages(diagnostics)
    assert note.keywords == ("cars", "cities", "robots")


def test_windows_line_endings_and_bom() -> None:
    plain, _ = read(export())
    assert plain is not None
    text = "\ufeff" + export().replace("\n", "\r\n")
    for data in (text.encode("utf-8"), text):
        if isinstance(data, str):
            note, diagnostics = read_plaintext(SourceFile(Path("n.txt"), "n.txt", "content/n.txt", data, "x"))
        else:
            note, diagnostics = read(data)
        assert note is not None and not diagnostics, messages(diagnostics)
        assert texts(note) == ROWS and note.title == plain.title and note.keywords == plain.keywords
        assert [r.loc.line for r in note.rows] == [r.loc.line for r in plain.rows]


def test_surviving_separators_are_used() -> None:
    note, diagnostics = read(export(header=HEADER.replace(" ", "\t", 1)).replace(" ".join(ROWS[0]), "\t".join(ROWS[0])))
    assert note is not None and texts(note) == ROWS and not diagnostics


def test_a_text_file_that_is_not_an_export() -> None:
    note, diagnostics = read("Shopping list\n\nmilk\neggs\n", "lists/shopping.txt")
    assert note is None
    assert messages(diagnostics) == [
        "content/lists/shopping.txt: warning: shopping.txt is not a plain-text export of a note (no "
        "`TITLE, from (YYYYMMDD.)` line and no Summary/Signals sections); the file is skipped; export notes as "
        "FORMAT.md §3 describes, or give the file another ending"
    ]


def test_title_line_problems() -> None:
    note, diagnostics = read(export(title="Cities rethink streets, from (20241399.)"))
    assert note is not None and note.date is None and note.title == "Cities rethink streets"
    assert any("is not a valid date" in m for m in messages(diagnostics))
    note, diagnostics = read(export(title="Cities rethink streets"))
    assert note is not None and note.title == "Cities rethink streets" and note.date is None
    assert note.meta == (("collection", "Futures"),)
    assert any("no title line" in m for m in messages(diagnostics))


def test_markdown_characters_in_cells_stay_text() -> None:
    row = ("Prices *double* for C_2 units", "From [a] to <b>", "A/B testing_everywhere `now`", "Demand & supply")
    note, _ = read(export([row]))
    assert note is not None and texts(note) == [row]
    assert "&lt;b&gt;" in str(note.rows[0].cells["change"].html)


# --- in a build -------------------------------------------------------------------------------------


def test_exports_build_beside_markdown_notes(project: Project) -> None:
    project.write(
        {
            "streets.txt": export(),
            "another.md": native_note("Another note", rows=[("Bikes", "More bikes", "Bike cities", "Health")]),
            "shopping.txt": "milk\neggs\n",
            "orphan.txt": export(title="An orphan, from (20240103.)").replace("Another note", "A missing note"),
            "seed.txt": shared_path(SEED).read_bytes(),
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    assert any("shopping.txt" in m and "not a plain-text export" in m for m in run.messages)
    assert any("orphan.txt" in m and "A missing note" in m for m in run.messages)
    data = project.data()
    notes = {n["title"]: n for n in data["notes"]}
    seed_title = "Leaked Google document reveals concerns about OpenAI’s competitive edge"
    assert set(notes) == {"Cities rethink streets", "Another note", "An orphan", seed_title}
    seed_lines = shared_path(SEED).read_text("utf-8").split("\n")
    start = seed_lines.index(HEADER) + 1
    seed_rows = [line for line in seed_lines[start : seed_lines.index("Closest")] if line.strip()]
    seed_signals = [s for s in data["signals"] if s["note"] == notes[seed_title]["id"]]
    assert [" ".join([s["signal"], s["change"], s["horizon"], s["driving_force"]]) for s in seed_signals] == seed_rows
    assert seed_signals[0]["signal"] == "Leaked Google document: “We Have No Moat, And Neither Does OpenAI”"
    assert notes["Cities rethink streets"]["closest"] == [notes["Another note"]["id"]]
    mine = [s for s in data["signals"] if s["note"] == notes["Cities rethink streets"]["id"]]
    assert [(s["signal"], s["change"], s["horizon"], s["driving_force"]) for s in mine] == ROWS
