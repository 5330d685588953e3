"""Shared test helpers: write a small knowledge base from strings, run the CLI in-process, read the output."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from signalkb.cli import main

# Hypothesis profiles: `ci` (the default) is quick; `fuzz` (`make fuzz`, or HYPOTHESIS_PROFILE=fuzz) runs every
# property test with many more examples. Neither has a per-example deadline: tests assert behaviour, never time.
settings.register_profile("ci", deadline=None)
settings.register_profile(
    "fuzz",
    deadline=None,
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL_NOTES = SHARED / "examples" / "real-notes"
SEED = SHARED / "seeds" / "000_3571f702cbc55afd.txt"


def shared_path(path: Path) -> Path:
    """A file of ../shared that a test needs; fails (never skips) when it is missing."""
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests read ../shared beside the project root")
    return path


@dataclass
class Run:
    """The result of one in-process CLI run."""

    status: int
    out: str
    err: str

    @property
    def messages(self) -> list[str]:
        """The stderr lines."""
        return [line for line in self.err.splitlines() if line.strip()]


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None) -> Run:
    """Run `build.py ARGS` in-process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        status = main([str(a) for a in args], out, err)
    finally:
        os.chdir(old)
    return Run(status, out.getvalue(), err.getvalue())


@dataclass
class Project:
    """A throwaway project folder: content/, site/ and the CLI run in it."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def site(self) -> Path:
        return self.root / "site"

    def write(self, files: Mapping[str, str | bytes]) -> None:
        """Write files under content/ (str as UTF-8, bytes as they are)."""
        for rel, data in files.items():
            path = self.content / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8", newline="")

    def build(self, *extra: str) -> Run:
        """`build.py build --content content --out site EXTRA` run from the project folder."""
        return run_cli("build", "--content", "content", "--out", "site", *extra, cwd=self.root)

    def check(self, *extra: str) -> Run:
        return run_cli("check", "--content", "content", "--out", "site", *extra, cwd=self.root)

    def data(self) -> dict[str, Any]:
        """The built site's signals.json."""
        return json.loads((self.site / "signals.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def page(self, url: str) -> str:
        """The HTML of a built page by its site-relative URL."""
        return (self.site / url / "index.html").read_text(encoding="utf-8")

    def pages(self) -> Iterator[Path]:
        return self.site.rglob("*.html")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project folder with a content/ folder."""
    (tmp_path / "content").mkdir()
    return Project(tmp_path)


def native_note(
    title: str = "A note",
    date: str = "20240115",
    rows: list[tuple[str, str, str, str]] | None = None,
    *,
    keywords: tuple[str, ...] = ("alpha", "beta"),
    themes: tuple[str, ...] = ("theme one",),
    closest: tuple[tuple[str, str], ...] = (),
    source: str = "https://example.org/article",
    header: str = "| Signal | Change | 10y horizon | Driving force |",
) -> str:
    """A note in the native format (FORMAT.md §1), written by the tests."""
    rows = rows if rows is not None else [("A signal", "A change", "A horizon", "A force")]
    table = [header, "|:--|:--|:--|:--|"] + [f"| {' | '.join(r)} |" for r in rows]
    parts = [
        f"# __{title}__, from ([{date}](https://news.example.org/{date}).)",
        "",
        f"__[External link]({source})__",
        "",
        "",
        "",
        "## Summary",
        "",
        f"Summary of {title}.",
        "",
        "## Keywords",
        "",
        *[f"* {k}" for k in keywords],
        "",
        "## Themes",
        "",
        *[f"* {t}" for t in themes],
        "",
        "## Signals",
        "",
        *table,
        "",
        "## Closest",
        "",
        *[f"* [{t}]({i})" for t, i in closest],
    ]
    return "\n".join(parts) + "\n"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites tests/golden/site from the current build."""
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden site")


# --- helpers added for the foundation tests (issue 2) ----------------------------------------------


def read_md(text: str | bytes, rel: str = "note.md") -> tuple[Any, list[Any]]:
    """Read one Markdown note given as text (or raw bytes, decoded as a file in content/ is).

    Returns the ParsedNote (or None) and the diagnostics; messages name the file `content/<rel>`.
    """
    from signalkb.notes.readers.markdown import read_markdown
    from signalkb.notes.sources import SourceFile, decode

    data = text.encode("utf-8") if isinstance(text, str) else text
    display = f"content/{rel}"
    decoded, problem = decode(data, display)
    assert problem is None, problem.format()
    assert decoded is not None
    return read_markdown(SourceFile(Path(display), rel, display, decoded, "test"))


SEARCH_BUNDLE = "pagefind/"
"""Left out of tree comparisons: Pagefind's index is not byte-stable from run to run (test_search.py checks it)."""


def _site_files(folder: Path) -> list[Path]:
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(SEARCH_BUNDLE)
    ]


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (but the search bundle) by its `/`-separated relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in _site_files(folder)}


def tree_digests(folder: Path) -> dict[str, str]:
    """Every file under `folder` (but the search bundle) by relative path, with a digest of its bytes (big sites)."""
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
        for p in _site_files(folder)
    }


def messages_matching(run: Run, *parts: str) -> list[str]:
    """The stderr lines of `run` that contain every one of `parts`."""
    return [line for line in run.messages if all(part in line for part in parts)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium for a test module (tests/browser.py)."""
    from .browser import chromium

    with chromium() as launched:
        yield launched
