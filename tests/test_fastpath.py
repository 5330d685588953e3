"""fastpath.py: the preview publishes prose edits without a full build, and the site is what a cold build makes.

Each case edits the bundled knowledge base (plus a note of our own with flaws that give warnings on its
rows and Closest entries, and a six-column table) and builds with a preview session: the fast path must
be taken exactly when the edit leaves every note's signature as it was, and either way the site and the
diagnostics must equal those of a cold build of the edited content.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from signalkb.core.config import load_config
from signalkb.engine import pipeline
from signalkb.engine.fastpath import Session
from signalkb.publishing.staging import Staging

from .conftest import ROOT, Project, tree_bytes

OWN = "zz-own-note.md"
"""Our note with warnings after its summary (a row without a driving force, a Closest title that is no note's)."""
OWN_TEXT = """# __A note of our own with flaws__, from ([20240301](https://news.example.org/20240301).)

__[External link](https://example.org/own)__



## Summary

One paragraph about it.

## Keywords

* own keyword

## Themes

* own theme

## Signals

| name | description | change | 10-year | driving-force | relevancy |
|:-----|:------------|:-------|:--------|:--------------|:----------|
| First own signal | what it is | more of it | everywhere | Open-source collaboration | high |
| Second own signal | what else | less of it | nowhere |  | low |

## Closest

* [A title that no note has](missing-note)
* [Another missing title]
"""


@contextmanager
def _in(folder: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def _build(root: Path, session: Session | None = None, *, publishing: bool = False) -> pipeline.BuildReport:
    """A preview build of root/content into root/site (with a new session unless given), run from root (messages
    name content/...); with `publishing`, a command-line build (without the search index) instead."""
    with _in(root):
        config, problems = load_config(None, {"content_dir": "content", "out_dir": "site", "base_url": None})
        assert not problems
        if publishing:
            return pipeline.build(config, pipeline.BuildOptions(jobs=1, search=False))
        return pipeline.preview_build(config, session or Session(), jobs=1)


def _site(root: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in tree_bytes(root / "site").items() if rel != ".signalkb"}


def _messages(report: pipeline.BuildReport) -> list[str]:
    return sorted(d.format() for d in report.diagnostics)


@pytest.fixture
def kb(tmp_path: Path) -> tuple[Path, Session]:
    """The bundled knowledge base and our note, built once with a session."""
    root = tmp_path / "kb"
    shutil.copytree(ROOT / "content", root / "content")
    (root / "content" / OWN).write_text(OWN_TEXT, encoding="utf-8")
    assert _build(root, publishing=True).written  # `build` records our note's ids in permalinks.json
    session = Session()
    report = _build(root, session)
    assert report.written and not report.fast
    assert any("no driving force" in m for m in _messages(report)), "our note warns about a row"
    assert any("A title that no note has" in m or "Another missing title" in m for m in _messages(report))
    return root, session


def _native(root: Path) -> Path:
    """A native note of the bundled knowledge base with a summary and an external link."""
    for path in sorted((root / "content").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("# __") and "## Summary\n\n" in text and "__[External link](" in text:
            return path
    raise AssertionError("the bundled knowledge base has native notes")


def _edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, "the edit changes the file"
    path.write_text(changed, encoding="utf-8")


def _first_row_cell(column: int, new: str) -> Callable[[str], str]:
    """Replace cell `column` of the first signal row."""

    def change(text: str) -> str:
        lines = text.split("\n")
        header = next(i for i, line in enumerate(lines) if line.startswith("|") and lines[i + 1].startswith("|:"))
        cells = lines[header + 2].split("|")
        cells[column + 1] = f" {new} "
        lines[header + 2] = "|".join(cells)
        return "\n".join(lines)

    return change


EDITS: dict[str, tuple[bool, Callable[[Path], None]]] = {
    "summary sentence": (
        True,
        lambda r: _edit(_native(r), lambda t: t.replace("## Summary\n\n", "## Summary\n\nNew. ", 1)),
    ),
    "summary paragraphs (lines move)": (
        True,
        lambda r: _edit(r / "content" / OWN, lambda t: t.replace("One paragraph", "Two.\n\nThree.\n\nFour", 1)),
    ),
    "section added": (True, lambda r: _edit(_native(r), lambda t: t + "\n## Notes\n\nA section of notes.\n")),
    "source link": (
        True,
        lambda r: _edit(
            _native(r),
            lambda t: re.sub(
                r"__\[External link\]\([^)]*\)__", "__[External link](https://example.org/moved)__", t, count=1
            ),
        ),
    ),
    "extra column cell": (True, lambda r: _edit(r / "content" / OWN, lambda t: t.replace("| high |", "| very high |"))),
    "two notes at once": (
        True,
        lambda r: (
            _edit(_native(r), lambda t: t.replace("## Summary\n\n", "## Summary\n\nFirst. ", 1)),
            _edit(r / "content" / OWN, lambda t: t.replace("One paragraph", "Another\n\nparagraph", 1)),
        ),
    ),
    # change and horizon cells feed every signal's related signals (by meaning): a full build
    "change cell": (False, lambda r: _edit(r / "content" / OWN, _first_row_cell(2, "a new change"))),
    "horizon cell, with markup": (
        False,
        lambda r: _edit(r / "content" / OWN, _first_row_cell(3, "*everywhere* soon")),
    ),
    "change cell of a note the ledger does not know": (
        False,
        lambda r: (
            _edit(r / "content" / OWN, _first_row_cell(2, "a new change")),
            _edit(r / "content" / "permalinks.json", lambda t: t.replace("first-own-signal", "first-own-signal-x")),
        ),
    ),
    "driving force cell": (False, lambda r: _edit(r / "content" / OWN, _first_row_cell(4, "Energy transition"))),
    "signal text": (False, lambda r: _edit(r / "content" / OWN, _first_row_cell(0, "First own signal, renamed"))),
    "title": (False, lambda r: _edit(r / "content" / OWN, lambda t: t.replace("with flaws", "with fewer flaws", 1))),
    "keyword": (
        False,
        lambda r: _edit(r / "content" / OWN, lambda t: t.replace("* own keyword", "* own keyword\n* open source")),
    ),
    "row added": (
        False,
        lambda r: _edit(
            r / "content" / OWN,
            lambda t: t.replace("| low |\n", "| low |\n| Third | x | y | z | Energy transition | mid |\n"),
        ),
    ),
    "note added": (False, lambda r: shutil.copy(r / "content" / OWN, r / "content" / "zz-copy.md")),
    "note deleted": (False, lambda r: (r / "content" / OWN).unlink()),
    "forces.yaml": (
        False,
        lambda r: _edit(r / "content" / "forces.yaml", lambda t: t.replace("description:", "description: Now.", 1)),
    ),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_the_fast_path_is_taken_exactly_for_prose_edits_and_gives_the_cold_site(
    kb: tuple[Path, Session], tmp_path: Path, name: str
) -> None:
    root, session = kb
    fast, edit = EDITS[name]
    edit(root)
    report = _build(root, session)
    assert report.written and not report.failed
    assert report.fast is fast
    cold = tmp_path / "cold"
    shutil.copytree(root / "content", cold / "content")
    expected = _build(cold)  # a new folder: a cold build
    assert _site(root) == _site(cold)
    assert _messages(report) == _messages(expected)
    assert (report.notes, report.signals, report.forces, report.pages) == (
        expected.notes,
        expected.signals,
        expected.forces,
        expected.pages,
    )


def test_the_fast_path_writes_only_the_pages_that_show_the_note(kb: tuple[Path, Session]) -> None:
    root, session = kb
    before = {rel: (root / "site" / rel).stat().st_mtime_ns for rel in _site(root)}
    note = _native(root)
    _edit(note, lambda t: t.replace("## Summary\n\n", "## Summary\n\nOnly the note page shows this. ", 1))
    report = _build(root, session)
    assert report.fast and report.parsed == 1
    after = {rel: (root / "site" / rel).stat().st_mtime_ns for rel in _site(root)}
    assert sorted(rel for rel in after if after[rel] != before[rel]) == [f"notes/{note.stem}/index.html"]
    assert "Only the note page shows this." in (root / "site" / "notes" / note.stem / "index.html").read_text()


def test_a_series_of_edits_and_undos_then_a_build_without_the_preview_gives_the_cold_site(
    kb: tuple[Path, Session], tmp_path: Path
) -> None:
    """The cache the fast path leaves is true to the site: a later plain build never keeps a stale page."""
    root, session = kb
    note = _native(root)
    original = note.read_text(encoding="utf-8")
    for words in ("One.", "Two.", "Three."):
        _edit(note, lambda t, w=words: t.replace("## Summary\n\n", f"## Summary\n\n{w} ", 1))
        assert _build(root, session).fast
        note.write_text(original, encoding="utf-8")
        assert _build(root, session).fast
    _edit(note, lambda t: t.replace("## Summary\n\n", "## Summary\n\nKept. ", 1))
    assert _build(root, session).fast
    note.write_text(original, encoding="utf-8")  # undone while no preview runs
    project = Project(root)
    assert project.build().status == 0
    cold = Project(tmp_path / "cold")
    shutil.copytree(root / "content", cold.content)
    assert cold.build("--clean").status == 0
    assert _site(root) == _site(cold.root)


def test_after_a_full_build_the_next_prose_edit_takes_the_fast_path_again(kb: tuple[Path, Session]) -> None:
    root, session = kb
    _edit(root / "content" / OWN, _first_row_cell(4, "Energy transition"))
    assert not _build(root, session).fast
    _edit(root / "content" / OWN, lambda t: t.replace("One paragraph", "A changed paragraph", 1))
    assert _build(root, session).fast


def test_a_note_saved_again_unchanged_is_nothing_to_do(kb: tuple[Path, Session]) -> None:
    root, session = kb
    note = _native(root)
    _edit(note, lambda t: t.replace("## Summary\n\n", "## Summary\n\nOnce. ", 1))
    assert _build(root, session).fast
    before = {rel: (root / "site" / rel).stat().st_mtime_ns for rel in _site(root)}
    note.write_text(note.read_text(encoding="utf-8"), encoding="utf-8")  # saved again, same bytes
    report = _build(root, session)
    assert report.unchanged and not report.fast and report.files == 0
    assert {rel: (root / "site" / rel).stat().st_mtime_ns for rel in _site(root)} == before
    fresh = _build(root, Session())  # a new preview: the summary the fast path left says the site is up to date
    assert fresh.unchanged


@pytest.mark.parametrize("failing", [1, 2])
def test_a_fast_path_that_fails_while_publishing_is_followed_by_a_full_build_that_gives_the_cold_site(
    kb: tuple[Path, Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    """A source link edit goes live in two parts (the note's pages, then the exports); when part `failing` cannot
    be published, the full build that follows at once publishes the whole site, and nothing is reported."""
    root, session = kb
    real = Staging.apply
    calls: list[Staging] = []

    def apply(self: Staging, removed: Iterable[str]) -> None:
        calls.append(self)
        if len(calls) == failing:
            raise OSError(28, "No space left on device")
        real(self, removed)

    monkeypatch.setattr(Staging, "apply", apply)
    EDITS["source link"][1](root)
    report = _build(root, session)
    assert len(calls) >= failing, "the fast path tried to publish that part"
    assert report.written and not report.fast and not report.failed
    cold = tmp_path / "cold"
    shutil.copytree(root / "content", cold / "content")
    expected = _build(cold)
    assert _site(root) == _site(cold)
    assert _messages(report) == _messages(expected)


FREE_SPACE = "check free space and permissions"


def test_a_fast_path_that_cannot_publish_is_followed_by_a_full_build_that_reports_it(
    kb: tuple[Path, Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When files of the site cannot be replaced at all, the user hears it once, from the full build."""
    root, session = kb

    def apply(self: Staging, removed: Iterable[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Staging, "apply", apply)
    EDITS["source link"][1](root)
    report = _build(root, session)
    assert report.failed and not report.written and not report.fast
    errors = [m for m in _messages(report) if "error:" in m]
    assert errors == ["signalkb: error: cannot write the site: [Errno 28] No space left on device; " + FREE_SPACE]
