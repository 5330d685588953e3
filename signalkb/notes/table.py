"""Signal tables: header names → canonical columns, pipe-row splitting, and row building for both readers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, warning
from signalkb.core.model import COLUMN_LABELS, COLUMNS, Cell, RawRow
from signalkb.notes import markup

_DELIMITER_CELL = re.compile(r"^:?-+:?$")
_HEADER_NOISE = re.compile(r"[*_`]")
_HEADER_SEP = re.compile(r"[\s\-_/]+")

_EXACT_NAMES: dict[str, str] = {
    "signal": "signal",
    "signals": "signal",
    "name": "signal",
    "signal name": "signal",
    "change": "change",
    "changes": "change",
    "the change": "change",
    "driver": "driving_force",
    "drivers": "driving_force",
    "force": "driving_force",
    "forces": "driving_force",
}
_HORIZON = re.compile(r"\bhorizon\b|^(?:10|ten)\s?(?:y|yr|yrs|year|years)\b")
_DRIVING = re.compile(r"\bdriving\s?forces?\b")


def header_key(header: str) -> str:
    """A header cell normalised: markup, case, hyphens, brackets folded (`10-Year (horizon)` → `10 year horizon`)."""
    text = _HEADER_NOISE.sub("", markup.inline_plain(header)).casefold()
    text = re.sub(r"[()\[\]:.]", " ", text)
    return " ".join(_HEADER_SEP.sub(" ", text).split())


def canonical_column(header: str) -> str | None:
    """The canonical column a header names (`signal`, `change`, `horizon`, `driving_force`), or None."""
    key = header_key(header)
    if key in _EXACT_NAMES:
        return _EXACT_NAMES[key]
    if _DRIVING.search(key):
        return "driving_force"
    if _HORIZON.search(key):
        return "horizon"
    return None


def split_row(line: str) -> list[str]:
    """Split a pipe-table line into raw cells: `\\|` is a literal pipe, outer pipes are optional."""
    cells = line.split("|") if "\\" not in line else _split_escaped(line)
    stripped = line.strip()
    if stripped.startswith("|") and cells and not cells[0].strip():
        cells.pop(0)
    if len(cells) > 1 and stripped.endswith("|") and not stripped.endswith("\\|") and not cells[-1].strip():
        cells.pop()
    return [c.strip() for c in cells]


def _split_escaped(line: str) -> list[str]:
    cells: list[str] = []
    current: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            current.append(line[i : i + 2])
            i += 2
            continue
        if ch == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    cells.append("".join(current))
    # GFM: an escaped pipe is a literal pipe in the cell, even inside code spans.
    return [cell.replace("\\|", "|") for cell in cells]


def is_delimiter_row(line: str) -> bool:
    """True for a table's alignment row (`|:---|---:|`)."""
    if "-" not in line:
        return False
    cells = split_row(line)
    return bool(cells) and all(_DELIMITER_CELL.match(c.replace(" ", "")) for c in cells)


def cell(source: str) -> Cell:
    """A cell from its inline Markdown source."""
    return Cell(markup.inline_plain(source), markup.render_inline(source))


@dataclass(frozen=True)
class Header:
    """What each column of a signal table holds: a canonical key, or None for an extra column."""

    names: tuple[str, ...]
    """The header cells as written (plain text)."""
    keys: tuple[str | None, ...]

    @property
    def missing(self) -> list[str]:
        """Canonical columns that no header names."""
        return [c for c in COLUMNS if c not in self.keys]


def read_header(cells: Sequence[str], loc: SourceLocation) -> tuple[Header, list[Diagnostic]]:
    """Map header cells to columns; missing required columns are errors, repeated ones become extra columns."""
    diagnostics: list[Diagnostic] = []
    names = tuple(markup.inline_plain(c) for c in cells)
    keys: list[str | None] = []
    for name in names:
        key = canonical_column(name)
        if key is not None and key in keys:
            diagnostics.append(
                warning(
                    f'column "{name}" repeats the {COLUMN_LABELS[key]} column; it is kept as an extra column',
                    loc,
                    "rename one of the two headers",
                )
            )
            key = None
        keys.append(key)
    header = Header(names, tuple(keys))
    if header.missing:
        missing = ", ".join(f'"{COLUMN_LABELS[c]}"' for c in header.missing)
        found = " | ".join(names) or "(empty)"
        diagnostics.append(
            error(
                f"signal table lacks the {missing} column{'s' if len(header.missing) > 1 else ''} "
                f"(header found: {found})",
                loc,
                "the header needs Signal, Change, 10y horizon and Driving force columns (any order; "
                "names such as name, 10-year, driving-force also work)",
            )
        )
    return header, diagnostics


def extra_name(header: Header, index: int) -> str:
    """The name under which column `index` is kept as an extra field."""
    if index < len(header.names) and header.names[index]:
        return header.names[index]
    return f"column {index + 1}"


def make_row(header: Header, raw_cells: Sequence[str], loc: SourceLocation) -> tuple[RawRow, list[Diagnostic]]:
    """Build a row from raw cells (inline Markdown); a short or long row is kept and warned about."""
    diagnostics: list[Diagnostic] = []
    width = len(header.keys)
    if len(raw_cells) < width:
        diagnostics.append(
            warning(
                f"row has {len(raw_cells)} cell{'s' if len(raw_cells) != 1 else ''}, the header has {width}; "
                "the missing cells are left empty",
                loc,
                "add the missing cells (an empty cell is written `| |`)",
            )
        )
    elif len(raw_cells) > width:
        diagnostics.append(
            warning(
                f"row has {len(raw_cells)} cells, the header has {width}; the extra cells are kept as extra columns",
                loc,
                "escape a literal pipe as `\\|`, or add a header for the extra column",
            )
        )
    cells: dict[str, Cell] = {key: Cell.empty() for key in COLUMNS}
    extra: list[tuple[str, Cell]] = []
    for index, source in enumerate(raw_cells):
        key = header.keys[index] if index < width else None
        if key is not None:
            cells[key] = cell(source)
        elif index < width or source.strip():
            extra.append((extra_name(header, index), cell(source)))
    return RawRow(loc, cells, tuple(extra)), diagnostics
