"""The real notes in ../shared/examples/real-notes build with every field and every row exact.

The expected values come from an independent, deliberately simple reading of the files in this test. The notes
are read when the tests run (never copied into this project) and there may be more of them over time.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import REAL_NOTES, Project, Run, shared_path

TITLE = re.compile(r"^# __(?P<title>.+)__, from \(\[(?P<date>\d{8})\]\((?P<issue>[^)]+)\)\.\)$")


def _section(lines: list[str], name: str) -> list[str]:
    start = lines.index(f"## {name}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def expected(path: Path) -> dict[str, Any]:
    lines = path.read_text(encoding="utf-8").split("\n")
    title = TITLE.match(lines[0])
    assert title, f"{path.name}: unexpected title line"
    source = re.search(r"\[External link\]\(([^)]+)\)", lines[2])
    rows = [line for line in _section(lines, "Signals") if line.startswith("|")][2:]
    d = title.group("date")
    return {
        "title": title.group("title"),
        "date": f"{d[:4]}-{d[4:6]}-{d[6:]}",
        "source": source.group(1) if source else None,
        "keywords": [line[2:].strip() for line in _section(lines, "Keywords") if line.startswith("* ")],
        "themes": [line[2:].strip() for line in _section(lines, "Themes") if line.startswith("* ")],
        "rows": [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows],
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, Any]]:
    root = tmp_path_factory.mktemp("real")
    project = Project(root)
    (root / "content").mkdir()
    for path in sorted(shared_path(REAL_NOTES).glob("*.md")):
        (root / "content" / path.name).write_bytes(path.read_bytes())
    run = project.build()
    assert run.status == 0, run.err
    assert "Traceback" not in run.err
    return project, project.data()


def real_files() -> list[Path]:
    return sorted(shared_path(REAL_NOTES).glob("*.md"))


def test_there_are_real_notes() -> None:
    assert len(real_files()) >= 20, "the twenty real notes (or more) in ../shared/examples/real-notes"


@pytest.mark.parametrize("path", real_files(), ids=lambda p: p.stem[:8])
def test_real_note_builds_exactly(path: Path, built: tuple[Project, dict[str, Any]]) -> None:
    project, data = built
    want = expected(path)
    note = next(n for n in data["notes"] if n["id"] == path.stem)
    assert note["title"] == want["title"]
    assert note["date"] == want["date"]
    assert note["source"] == want["source"]
    assert note["keywords"] == want["keywords"]
    assert note["themes"] == want["themes"]
    signals = [s for s in data["signals"] if s["note"] == path.stem]
    got = [[s["signal"], s["change"], s["horizon"], s["driving_force"]] for s in signals]
    assert got == want["rows"]
    page = project.page(note["url"])
    for signal in signals:
        assert f'href="../../{signal["url"]}"' in page, "each row links to its signal page"
        assert (project.site / signal["url"] / "index.html").exists()


def test_real_notes_flaws_are_reported_not_fatal(built: tuple[Project, dict[str, Any]]) -> None:
    _, data = built
    assert len(data["signals"]) == sum(len(expected(p)["rows"]) for p in real_files())


FUTURE = re.compile(r"^content/(?P<file>[^:]+):1: warning: date (?P<date>\d{4}-\d\d-\d\d) is in the future")


def _build_within_one_day(project: Project, write: Callable[[datetime.date], None]) -> tuple[Run, datetime.date]:
    """`write(today)`, then build; again if the date changed meanwhile (a build across midnight), so that the
    date the notes were written for is the date the build compared them with."""
    for _ in range(3):
        today = datetime.date.today()
        write(today)
        run = project.build()
        if datetime.date.today() == today:
            return run, today
    pytest.fail("the date changed during each of three builds")


def _future_warnings(run: Run) -> dict[str, str]:
    """File name → the date warned about, for every `date ... is in the future` warning of a build."""
    found = [FUTURE.match(line) for line in run.messages]
    return {m.group("file"): m.group("date") for m in found if m is not None}


def test_real_notes_are_warned_exactly_when_dated_after_today(tmp_path: Path) -> None:
    """The rule (readers/common.py: a date after today warns) applied to the real notes as they are today."""
    project = Project(tmp_path)
    (tmp_path / "content").mkdir()

    def write(_: datetime.date) -> None:
        for path in real_files():
            (tmp_path / "content" / path.name).write_bytes(path.read_bytes())

    run, today = _build_within_one_day(project, write)
    assert run.status == 0, run.err
    ahead = {p.name: expected(p)["date"] for p in real_files() if expected(p)["date"] > today.isoformat()}
    assert _future_warnings(run) == ahead


def _redated(path: Path, day: datetime.date) -> bytes:
    """A real note with the date of its title line set to `day` (the rest as it is)."""
    first, rest = path.read_text(encoding="utf-8").split("\n", 1)
    title = TITLE.match(first)
    assert title, f"{path.name}: unexpected title line"
    first = first[: title.start("date")] + day.strftime("%Y%m%d") + first[title.end("date") :]
    return f"{first}\n{rest}".encode()


def test_a_date_after_today_is_warned_and_today_is_not(tmp_path: Path) -> None:
    """Both sides of the boundary, relative to the day the test runs: a real note dated yesterday or today builds
    without a date warning; dated tomorrow, or years ahead (a typo in the year), it is warned about, on line 1."""
    project = Project(tmp_path)
    (tmp_path / "content").mkdir()
    note = real_files()[0]
    offsets = {"yesterday": -1, "today": 0, "tomorrow": 1, "years-ahead": 3 * 366}

    def write(today: datetime.date) -> None:
        for name, days in offsets.items():
            day = today + datetime.timedelta(days=days)
            (tmp_path / "content" / f"{name}.md").write_bytes(_redated(note, day))

    run, today = _build_within_one_day(project, write)
    assert run.status == 0, run.err
    tomorrow = today + datetime.timedelta(days=1)
    years_ahead = today + datetime.timedelta(days=3 * 366)
    assert _future_warnings(run) == {"tomorrow.md": tomorrow.isoformat(), "years-ahead.md": years_ahead.isoformat()}
    dates = {n["path"]: n["date"] for n in project.data()["notes"]}
    assert dates["today.md"] == today.isoformat()
    assert dates["tomorrow.md"] == tomorrow.isoformat(), "a date in the future is kept, only warned about"
