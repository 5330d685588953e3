"""Signal tables: fixture notes under tests/data/tables (NAME.md read, NAME.json expected), and table.py's helpers.

A case is a pair of files: `NAME.md`, a small note with a Signals table, and `NAME.json`:

    {"rows": [{"signal": ..., "change": ..., "horizon": ..., "driving_force": ..., "extra": {...}}],
     "diagnostics": [{"severity": "warning", "line": 8, "contains": ["substring", ...]}],   # optional
     "html_contains": ["<em>x</em>", ...],                                                  # optional
     "bytes_contain": "\\r\\n"}                                                             # optional

Rows hold the plain text of each cell (what signals.json gets); `extra` may be left out when empty. The
diagnostics listed are all the reader may report (none when the key is missing). Adding a case means
adding two files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from signalkb.notes.table import canonical_column, cell, header_key, is_delimiter_row, split_row

from .conftest import read_md

TABLES = Path(__file__).parent / "data" / "tables"
CASES = sorted(p.stem for p in TABLES.glob("*.md"))


def test_every_case_has_both_files() -> None:
    assert len(CASES) >= 12
    assert sorted(p.stem for p in TABLES.glob("*.json")) == CASES


def _row(raw: Any) -> dict[str, Any]:
    return {
        "signal": raw.cells["signal"].text,
        "change": raw.cells["change"].text,
        "horizon": raw.cells["horizon"].text,
        "driving_force": raw.cells["driving_force"].text,
        "extra": {name: cell.text for name, cell in raw.extra},
    }


@pytest.mark.parametrize("name", CASES)
def test_table_case(name: str) -> None:
    data = (TABLES / f"{name}.md").read_bytes()
    expected = json.loads((TABLES / f"{name}.json").read_text(encoding="utf-8"))
    if "bytes_contain" in expected:
        assert expected["bytes_contain"].encode("utf-8") in data, "the fixture lost its special bytes"

    note, diagnostics = read_md(data, rel=f"{name}.md")
    assert note is not None

    want_rows = [{"extra": {}, **row} for row in expected["rows"]]
    assert [_row(r) for r in note.rows] == want_rows

    html = "\n".join(str(c.html) for r in note.rows for c in [*r.cells.values(), *(cell for _, cell in r.extra)])
    for fragment in expected.get("html_contains", []):
        assert fragment in html

    remaining = list(diagnostics)
    for want in expected.get("diagnostics", []):
        found = [
            d
            for d in remaining
            if d.severity.value == want["severity"]
            and d.location is not None
            and d.location.path == f"content/{name}.md"
            and d.location.line == want["line"]
            and all(part in d.format() for part in want["contains"])
        ]
        assert found, f"expected {want} among {[d.format() for d in remaining]}"
        remaining.remove(found[0])
    assert remaining == [], [d.format() for d in remaining]


def test_rows_keep_their_line_numbers() -> None:
    note, _ = read_md((TABLES / "ragged_short_row.md").read_bytes(), rel="t.md")
    assert [r.loc.line for r in note.rows] == [7, 8, 9]
    assert {r.loc.path for r in note.rows} == {"content/t.md"}


# --- canonical_column ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Signal", "signal"),
        ("SIGNALS", "signal"),
        ("name", "signal"),
        ("Signal name", "signal"),
        ("**Signal**", "signal"),
        ("Change", "change"),
        ("changes", "change"),
        ("10y horizon", "horizon"),
        ("10-year horizon", "horizon"),
        ("10-year", "horizon"),
        ("10 years", "horizon"),
        ("Ten-year horizon", "horizon"),
        ("Horizon (10y)", "horizon"),
        ("Horizon", "horizon"),
        ("Driving force", "driving_force"),
        ("Driving forces", "driving_force"),
        ("driving-force", "driving_force"),
        ("Driving_Force", "driving_force"),
        ("drivingforce", "driving_force"),
        ("Drivers", "driving_force"),
        ("description", None),
        ("relevancy", None),
        ("Notes", None),
        ("", None),
        ("10", None),
    ],
)
def test_canonical_column(header: str, column: str | None) -> None:
    assert canonical_column(header) == column


def test_header_key_folds_markup_case_and_brackets() -> None:
    assert header_key("10-Year (horizon)") == "10 year horizon"
    assert header_key("__Driving-Force__:") == "driving force"


# --- split_row ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "cells"),
    [
        ("| a | b | c |", ["a", "b", "c"]),
        ("a | b | c", ["a", "b", "c"]),
        ("| a | b | c", ["a", "b", "c"]),
        ("a | b | c |", ["a", "b", "c"]),
        ("|a|b|", ["a", "b"]),
        ("| a |  | c |", ["a", "", "c"]),
        ("| | | |", ["", "", ""]),
        ("  | padded |  ", ["padded"]),
    ],
)
def test_split_row(line: str, cells: list[str]) -> None:
    assert split_row(line) == cells


@pytest.mark.parametrize(
    ("line", "texts"),
    [
        ("| a \\| b | c |", ["a | b", "c"]),
        ("a \\| b | c", ["a | b", "c"]),
        ("| ends with pipe \\|", ["ends with pipe |"]),
        ("| `x \\| y` | *z* |", ["x | y", "z"]),  # GFM: `\|` is a pipe inside code spans of a cell too
        ("| a\\\\ | b |", ["a\\", "b"]),  # an escaped backslash does not escape the pipe after it
    ],
)
def test_split_row_escaped_pipes(line: str, texts: list[str]) -> None:
    assert [cell(c).text for c in split_row(line)] == texts


cell_text = st.text(alphabet=st.characters(blacklist_characters="|\\\n\r", blacklist_categories=["Cs"]), max_size=20)


@given(st.lists(cell_text.map(str.strip), min_size=1, max_size=8), st.booleans(), st.booleans())
def test_split_row_round_trip(cells: list[str], lead: bool, trail: bool) -> None:
    assume(len(cells) > 1 or (lead and trail))  # one cell without both outer pipes is not a table row
    assume(lead or cells[0])  # without outer pipes an empty edge cell cannot be told from no cell
    assume(trail or cells[-1])
    line = ("| " if lead else "") + " | ".join(cells) + (" |" if trail else "")
    assert split_row(line) == cells


words = st.text(alphabet="abcdefgh XYZ0123", max_size=12).map(str.strip)


@given(st.lists(words, min_size=1, max_size=6))
def test_split_row_round_trip_with_escaped_pipes(parts: list[str]) -> None:
    cells = [f"{p} \\| {p}".strip() for p in parts]
    got = split_row("| " + " | ".join(cells) + " |")
    assert [cell(c).text for c in got] == [f"{p} | {p}".strip() for p in parts]


# --- is_delimiter_row ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["|---|---|", "|:---|---:|:---:|", "| --- | --- |", "--- | ---", "|:-|", "|:-------|:-------|", "| - |"],
)
def test_delimiter_rows(line: str) -> None:
    assert is_delimiter_row(line)


@pytest.mark.parametrize(
    "line",
    ["| a | b |", "| --- | text |", "", "|", "|||", "| :: |", "| ---x |", "just text - with a dash", "| === |"],
)
def test_not_delimiter_rows(line: str) -> None:
    assert not is_delimiter_row(line)
