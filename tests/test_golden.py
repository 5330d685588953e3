"""The golden site: a small knowledge base whose output is committed under tests/golden/site, reviewed as a diff.

Regenerate after a reviewed change with `make golden` (pytest --update-golden). It is built with a base_url
(site.yaml) and a permalink ledger (content/permalinks.json) that remembers a moved note and a removed signal,
so the golden site shows the published outputs: feeds, sitemap, CSV, 404, a redirect and a "removed" page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import SEARCH_BUNDLE, Project

GOLDEN = Path(__file__).resolve().parent / "golden"


def _files(root: Path) -> dict[str, bytes]:
    """Every output file but the assets (a design change is reviewed in templates/, not here) and the search
    bundle (Pagefind's own files, not byte-stable from run to run; test_search.py checks it)."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return {name: data for name, data in files.items() if not name.startswith(("assets/", SEARCH_BUNDLE))}


def test_golden_site(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    shutil.copytree(GOLDEN / "content", tmp_path / "content")
    shutil.copy(GOLDEN / "site.yaml", tmp_path / "site.yaml")  # published at https://example.org/kb/
    project = Project(tmp_path)
    run = project.build()
    assert run.status == 0, run.err
    built = _files(project.site)
    expected_dir = GOLDEN / "site"
    if request.config.getoption("--update-golden"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(project.site, expected_dir, ignore=shutil.ignore_patterns("assets", SEARCH_BUNDLE.rstrip("/")))
        (GOLDEN / "messages.txt").write_text(run.err, encoding="utf-8")
    expected = _files(expected_dir)
    assert sorted(built) == sorted(expected), "the set of output files changed"
    changed = [name for name in built if built[name] != expected[name]]
    assert changed == [], f"output differs from tests/golden/site in {changed[:10]}; review, then `make golden`"
    assert run.err == (GOLDEN / "messages.txt").read_text(encoding="utf-8")
