"""Search without a browser: what the pages tell Pagefind, the index the build makes, and when it is remade.

The browser half (typing a query, filters, `/`) is in test_search_browser.py.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from signalkb.core.config import load_config
from signalkb.core.diagnostics import Diagnostic
from signalkb.engine import cache, pipeline
from signalkb.preview.serve import Preview, PreviewOptions
from signalkb.publishing import search
from tests.conftest import ROOT, Project, native_note

BUNDLE = "pagefind"


def _entry(site: Path) -> dict[str, object]:
    return json.loads((site / BUNDLE / "pagefind-entry.json").read_text(encoding="utf-8"))


def _page_count(site: Path) -> int:
    languages = _entry(site)["languages"]
    assert isinstance(languages, dict)
    return sum(int(lang["page_count"]) for lang in languages.values())


def _settled_count(site: Path) -> int:
    """The page count, or -1 while the preview swaps a new index in."""
    try:
        return _page_count(site)
    except (OSError, ValueError):
        return -1


def test_build_indexes_one_result_per_signal_and_per_note(project: Project) -> None:
    project.write(
        {
            "a1.md": native_note("First note", rows=[("Solar on roofs", "A change", "A horizon", "Cheaper panels")]),
            "a2.md": native_note(
                "Second note",
                rows=[
                    ("Heat pumps", "A change", "A horizon", "Electrification"),
                    ("Grid batteries", "A change", "A horizon", "x"),
                ],
            ),
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    assert (project.site / BUNDLE / "pagefind.js").is_file()
    data = project.data()
    assert _page_count(project.site) == len(data["signals"]) + len(data["notes"]) == 5


def test_records_hold_what_a_result_shows_and_filters_by(project: Project) -> None:
    project.write(
        {
            "a1.md": native_note(
                "Rooftop <note>",
                "20230405",
                rows=[("Solar on roofs", "Cheaper power", "Every roof", "Falling panel prices")],
                keywords=("photovoltaics",),
                themes=("energy transition",),
            )
        }
    )
    assert project.build().status == 0
    data = project.data()
    signal, note, force = data["signals"][0], data["notes"][0], data["forces"][0]
    records = project.root / ".signalkb-cache"
    found = list(records.rglob(f"search-records/{signal['url']}index.html"))
    assert len(found) == 1, "one record per signal, at its page's path"
    record = found[0].read_text(encoding="utf-8")
    assert re.search(r'<body data-pagefind-body data-pagefind-filter="type:Signal"', record)
    assert "<h1>Solar on roofs</h1>" in record and "<p>Cheaper power</p>" in record and "<p>Every roof</p>" in record
    assert '<p data-pagefind-meta="note">Rooftop &lt;note&gt;</p>' in record, "note text is escaped"
    assert '<p data-pagefind-meta="date:2023-04-05"></p><p data-pagefind-filter="year:2023"></p>' in record
    assert f'<li data-pagefind-filter="force">{force["label"]}</li>' in record, "the shared force, not the phrase"
    assert '<li data-pagefind-filter="keyword">photovoltaics</li>' in record
    assert '<li data-pagefind-filter="theme">energy transition</li>' in record
    note_record = next(records.rglob(f"search-records/{note['url']}index.html")).read_text(encoding="utf-8")
    assert 'data-pagefind-filter="type:Note"' in note_record and "<p>Solar on roofs</p>" in note_record
    assert len(list(records.rglob("search-records/**/*.html"))) == 2, "forces and terms are not results"


def test_every_page_has_a_labelled_search_box_and_the_search_page_exists(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    assert project.build().status == 0
    home = project.page("")
    assert re.search(r'<form class="site-search" role="search" action="./search/"', home)
    assert '<label for="site-search">Search</label>' in home
    assert re.search(r'<input type="search" id="site-search" name="q"', home)
    assert '<script type="module" src="./assets/search.js">' in home
    search_page = project.page("search/")
    assert '<label for="search-q">' in search_page and 'id="search-q"' in search_page
    assert "<noscript>" in search_page


def test_no_search_skips_the_index_and_the_box(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    assert project.build().status == 0
    assert (project.site / BUNDLE).is_dir()
    run = project.build("--no-search")
    assert run.status == 0, run.err
    assert not (project.site / BUNDLE).exists(), "a stale index is removed when search is turned off"
    assert 'role="search"' not in project.page("")
    assert not (project.site / "search").exists()


def test_site_yaml_can_turn_search_off_and_rejects_non_booleans(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    (project.root / "site.yaml").write_text("search: false\n", encoding="utf-8")
    assert project.build().status == 0
    assert not (project.site / BUNDLE).exists()
    (project.root / "site.yaml").write_text("title: T\nsearch: sometimes\n", encoding="utf-8")
    run = project.build()
    assert run.status == 1
    assert any(line.startswith("site.yaml:2: error: `search` must be true or false") for line in run.messages)


def test_incremental_build_remakes_the_index_and_warm_build_leaves_it(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    assert project.build().status == 0
    before = _page_count(project.site)
    entry = (project.site / BUNDLE / "pagefind-entry.json").stat().st_mtime_ns
    assert project.build().status == 0  # nothing changed: the index is not remade
    assert (project.site / BUNDLE / "pagefind-entry.json").stat().st_mtime_ns == entry
    project.write({"a2.md": native_note("Another note", rows=[("Grid batteries", "A change", "A horizon", "Storage")])})
    assert project.build().status == 0
    assert _page_count(project.site) == before + 2
    leftovers = [p.name for p in project.site.parent.iterdir() if "search" in p.name]
    assert leftovers == [], "no temporary index folder is left beside the site"


def test_a_missing_pagefind_is_a_warning_and_the_site_is_still_written(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write({"a1.md": native_note("A note")})
    monkeypatch.setattr(search, "executable", lambda: None)
    where = {"content_dir": str(project.content), "out_dir": str(project.site), "base_url": "https://example.org/"}
    config, problems = load_config(None, where)  # with base_url: the search index's warning is the only one
    assert problems == []
    report = pipeline.build(config)
    assert report.written and not report.failed
    messages = [d.format() for d in report.diagnostics]
    assert any("warning: the search index was not built: Pagefind is not installed" in m for m in messages)
    assert any("--no-search" in m for m in messages), "the message says how to go on"
    strict = pipeline.build(config, pipeline.BuildOptions(strict=True, clean=True))
    assert strict.failed or not strict.written
    assert (project.site / "index.html").is_file(), "a strict failure leaves the last good site"
    monkeypatch.undo()
    again = pipeline.build(config)  # nothing changed, but the index is still owed
    assert again.written and search.is_indexed(project.site)


def test_a_template_change_does_not_remake_the_index(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    shutil.copytree(ROOT / "templates", project.root / "templates")
    (project.root / "site.yaml").write_text("templates_dir: templates\n", encoding="utf-8")
    assert project.build().status == 0
    entry = (project.site / BUNDLE / "pagefind-entry.json").stat().st_mtime_ns
    base = project.root / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("built with signalkb", "made here"), encoding="utf-8")
    assert project.build().status == 0
    assert "made here" in project.page("")
    assert (project.site / BUNDLE / "pagefind-entry.json").stat().st_mtime_ns == entry, "search records did not change"


def test_preview_indexes_in_the_background_after_each_build(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    config, problems = load_config(None, {"content_dir": str(project.content), "out_dir": str(project.site)})
    assert problems == []
    options = PreviewOptions(port=0, debounce=0.05, poll_timeout=5.0)
    with Preview(config, options, out=io.StringIO(), err=io.StringIO()) as preview:
        assert preview.indexer.wait(60), "the first index is made after the first build"
        assert _page_count(project.site) == 2
        project.write(
            {"a2.md": native_note("Another note", rows=[("Grid batteries", "A change", "A horizon", "Storage")])}
        )
        deadline = time.monotonic() + 60
        while _settled_count(project.site) != 4 and time.monotonic() < deadline:
            time.sleep(0.1)  # the watcher rebuilds, then the indexer runs on its own thread
        assert _page_count(project.site) == 4


def test_stopping_the_preview_cancels_an_index_run_and_publishes_nothing_half_made(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a stand-in for Pagefind that never finishes, as a huge knowledge base would seem to
    hung = tmp_path / "pagefind"
    hung.write_text("#!/bin/sh\nexec sleep 600\n", encoding="utf-8")
    hung.chmod(0o755)
    monkeypatch.setattr(search, "executable", lambda: hung)
    records = tmp_path / "records"
    search.sync_records(records, {"a/index.html": b"<html><body>a</body></html>"})
    project.site.mkdir(parents=True)
    outcomes: list[object] = []
    indexer = search.BackgroundIndexer(records, project.site, None, outcomes.append)
    indexer.request()
    assert not indexer.wait(1.0), "the stand-in is still indexing"
    indexer.stop()
    assert not indexer._thread.is_alive(), "stop() left the indexing thread running"
    assert outcomes == [], "a cancelled run reported an outcome"
    assert not search.is_indexed(project.site)
    assert not list(project.site.parent.glob(f".{project.site.name}.new-search-*")), "a work folder was left"
    assert not search.is_current(records, project.site), "the next build would not index again"


def test_a_build_killed_between_writing_records_and_indexing_is_followed_by_a_new_index(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    config, _ = load_config(None, {"content_dir": str(project.content), "out_dir": str(project.site)})
    assert pipeline.build(config).written
    folder = cache.cache_dir_for(config.out_dir, config.content_dir) / search.RECORDS
    assert search.is_current(folder, project.site)
    # what a build killed after its records were written leaves: new records, the old index
    project.write({"a2.md": native_note("Tidal lagoons", rows=[("Tidal lagoons", "A change", "A horizon", "Tides")])})
    kb = pipeline.load(config, pipeline.BuildReport())
    assert kb is not None
    assert search.sync_records(folder, search.records(kb, config.language)) == 2  # a note and its signal
    assert not search.is_current(folder, project.site)
    report = pipeline.build(config)  # finds nothing else to write, but the index is behind the records
    assert report.written and search.is_current(folder, project.site)
    assert _page_count(project.site) == 4
    # a leftover half-written record (of this signalkb, or of an older one) is swept, not indexed
    (folder / "notes" / ".x.html.0123456789ab.tmp").write_text("<html>", encoding="utf-8")
    (folder / "notes" / "x.html.partial").write_text("<html>", encoding="utf-8")
    assert search.sync_records(folder, search.records(kb, config.language)) == 0
    assert not (folder / "notes" / ".x.html.0123456789ab.tmp").exists()
    assert not (folder / "notes" / "x.html.partial").exists()


def _fake_pagefind(tmp_path: Path, script: str) -> Path:
    """A stand-in for the Pagefind binary: a shell script."""
    fake = tmp_path / "pagefind"
    fake.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    fake.chmod(0o755)
    return fake


def test_pagefind_failing_with_output_that_is_not_utf8_is_a_warning(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It crashed the build (a UnicodeDecodeError reading Pagefind's output), and in the preview read as a bug."""
    fake = _fake_pagefind(tmp_path, r"printf 'Error: cannot read caf\351/index.html\n' >&2; exit 1")
    monkeypatch.setattr(search, "executable", lambda: fake)
    project.write({"a1.md": native_note("A note")})
    run = project.build()
    assert run.status == 0, run.err
    assert any(
        line.startswith("signalkb: warning: the search index was not built: Error: cannot read caf")
        and "--no-search" in line
        for line in run.messages
    ), run.err
    assert (project.site / "index.html").is_file() and not search.is_indexed(project.site)


def test_a_background_index_that_cannot_make_its_work_folder_reports_a_warning(tmp_path: Path) -> None:
    """It reached the preview as "this is a bug in signalkb", with a traceback printed beside it."""
    records = tmp_path / "records"
    search.sync_records(records, {"a/index.html": b"<html><body>a</body></html>"})
    outcomes: list[Diagnostic | None] = []
    indexer = search.BackgroundIndexer(records, tmp_path / "gone" / "site", None, outcomes.append)
    try:
        indexer.request()
        assert indexer.wait(60)
    finally:
        indexer.stop()
    (problem,) = outcomes
    assert problem is not None
    assert problem.format().startswith("signalkb: warning: the search index was not replaced: ")
    assert "No such file or directory" in problem.message and "check free space and permissions" in problem.format()


def test_a_terminal_that_is_gone_does_not_stop_the_background_index(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(search, "executable", lambda: None)
    told: list[Diagnostic | None] = []

    def tell(problem: Diagnostic | None) -> None:
        told.append(problem)
        raise BrokenPipeError(32, "Broken pipe")

    (tmp_path / "site").mkdir()
    indexer = search.BackgroundIndexer(tmp_path / "records", tmp_path / "site", None, tell)
    try:
        for _ in range(2):
            indexer.request()
            assert indexer.wait(60), "a run was not finished"
        assert indexer._thread.is_alive()
    finally:
        indexer.stop()
    assert len(told) == 2


def test_a_bug_in_the_outcome_callback_is_not_swallowed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(search, "executable", lambda: None)
    raised: list[type[BaseException] | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_type))

    def tell(problem: Diagnostic | None) -> None:
        raise KeyError("a bug")

    (tmp_path / "site").mkdir()
    indexer = search.BackgroundIndexer(tmp_path / "records", tmp_path / "site", None, tell)
    indexer.request()
    assert indexer.wait(60), "wait() hung after the callback failed"
    indexer._thread.join(60)
    assert raised == [KeyError], "the callback's exception was hidden"
    indexer.stop()


def test_a_stale_mark_that_cannot_be_read_means_index_again(tmp_path: Path) -> None:
    """An unreadable mark was taken for "the index is current", so a stale index stayed up without a word."""
    records, site = tmp_path / "records", tmp_path / "site"
    (site / BUNDLE).mkdir(parents=True)
    (site / BUNDLE / "pagefind.js").write_text("", encoding="utf-8")
    records.mkdir()
    assert search.is_current(records, site)
    (records / search.STALE).mkdir()  # reading it fails (IsADirectoryError), as an unreadable file would
    assert not search.is_current(records, site)
