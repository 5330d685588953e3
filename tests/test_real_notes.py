"""The twenty real notes in ../shared/examples/real-notes build with every field and every row exact.

The expected values come from an independent, deliberately simple reading of the files in this test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import REAL_NOTES, Project, shared_path

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


def test_there_are_twenty_real_notes() -> None:
    assert len(real_files()) == 20


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


def test_future_date_is_warned(tmp_path: Path) -> None:
    project = Project(tmp_path)
    (tmp_path / "content").mkdir()
    future = [p for p in real_files() if expected(p)["date"] > "2027"]
    assert future, "one real note is dated years ahead"
    for path in future:
        (tmp_path / "content" / path.name).write_bytes(path.read_bytes())
    run = project.build()
    assert run.status == 0
    assert re.search(rf"{future[0].name}:1: warning: date \d{{4}}-\d\d-\d\d is in the future", run.err)
