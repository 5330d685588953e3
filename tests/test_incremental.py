"""One incremental mechanism: incremental, warm, cold, serial and parallel builds give the same site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from unittest import mock

import pytest

from signalkb.core.config import load_config
from signalkb.engine import pipeline, workers
from signalkb.engine.fastpath import Session

from .conftest import ROOT, SHARED, Project, shared_path, tree_bytes

GEN = SHARED / "bench" / "gen_corpus.py"


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a site (the marker and the search bundle aside) by relative path."""
    return {rel: data for rel, data in tree_bytes(root).items() if rel != ".signalkb"}


def mtimes(root: Path) -> dict[str, int]:
    """When each file of a site (the search bundle aside: it is remade whole) was last written."""
    return {rel: (root / rel).stat().st_mtime_ns for rel in tree_bytes(root)}


@pytest.fixture
def bundled(tmp_path: Path) -> Project:
    shutil.copytree(ROOT / "content", tmp_path / "kb" / "content")
    project = Project(tmp_path / "kb")
    assert project.build("--clean").status == 0
    return project


def test_a_build_that_changes_nothing_writes_nothing(bundled: Project) -> None:
    before = mtimes(bundled.site)
    run = bundled.build()
    assert run.status == 0
    assert mtimes(bundled.site) == before


def test_editing_one_note_rewrites_its_pages_not_the_others(bundled: Project) -> None:
    before = mtimes(bundled.site)
    note = next(p for p in sorted(bundled.content.glob("*.md")) if "## Summary" in p.read_text(encoding="utf-8"))
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("## Summary\n\n", "## Summary\n\nAn added sentence. ", 1), encoding="utf-8")
    assert bundled.build().status == 0
    after = mtimes(bundled.site)
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert f"notes/{note.stem}/index.html" in rewritten
    assert "An added sentence." in bundled.page(f"notes/{note.stem}")
    untouched = [name for name in after if name.startswith("signals/") and name not in rewritten]
    assert len(untouched) > len(rewritten), "most signal pages do not show that summary and are not rewritten"


@pytest.mark.parametrize("change", ["edit", "rename", "delete", "add", "forces", "template", "template and delete"])
def test_incremental_equals_cold(bundled: Project, tmp_path: Path, change: str) -> None:
    notes = sorted(bundled.content.glob("*.md"))
    if change == "edit":
        text = notes[3].read_text(encoding="utf-8")
        notes[3].write_text(text + "\n## Extra\n\nMore.\n", encoding="utf-8")
    elif change == "rename":
        notes[4].rename(notes[4].with_name("renamed-note.md"))
    elif change == "delete":
        notes[5].unlink()
    elif change == "add":
        shutil.copy(notes[6], bundled.content / "a-copy.md")
    elif change == "forces":
        forces = bundled.content / "forces.yaml"
        forces.write_text(forces.read_text(encoding="utf-8").replace("description:", "description: Changed.", 1))
    if change.startswith("template"):
        if change == "template and delete":  # pages gone with the note (its own keywords) leave the site too
            notes[5].unlink()
        templates = tmp_path / "templates"
        shutil.copytree(ROOT / "templates", templates)
        base = templates / "base.html"
        base.write_text(base.read_text(encoding="utf-8").replace("built with signalkb", "built with care"))
        (bundled.root / "site.yaml").write_text(f"templates_dir: {templates}\n", encoding="utf-8")
    run = bundled.build()
    assert run.status in (0, 1), run.err
    cold = Project(tmp_path / "cold")
    shutil.copytree(bundled.content, cold.content)
    if change.startswith("template"):
        shutil.copy(bundled.root / "site.yaml", cold.root / "site.yaml")
    assert cold.build("--clean").status == run.status
    assert tree(bundled.site) == tree(cold.site)


def _generated(tmp_path: Path) -> tuple[Project, dict[str, bytes]]:
    """A generated knowledge base of 300 notes (enough pages for worker processes), built serially."""
    subprocess.run(
        [
            sys.executable,
            str(shared_path(GEN)),
            "--notes",
            "300",
            "--out",
            str(tmp_path / "content"),
            "--flavor",
            "native",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    project = Project(tmp_path)
    run = project.build("--clean", "--jobs", "1")
    assert run.status == 0
    return project, tree(project.site), run.messages


def test_parallel_serial_cold_warm_builds_are_identical(tmp_path: Path) -> None:
    """A generated knowledge base big enough for worker processes, built five ways."""
    project, serial, _ = _generated(tmp_path)
    content = project.content
    assert len([name for name in serial if name.endswith(".html")]) > 1500, "enough pages for the worker pool"
    assert project.build("--clean", "--jobs", "2").status == 0
    assert tree(project.site) == serial
    assert project.build("--jobs", "2").status == 0  # warm, nothing changed
    assert tree(project.site) == serial
    victim = sorted(content.glob("*.md"))[10]
    original = victim.read_text(encoding="utf-8")
    victim.write_text(original.replace("## Summary\n\n", "## Summary\n\nEdited. "), encoding="utf-8")
    assert project.build("--jobs", "2").status == 0  # incremental
    victim.write_text(original, encoding="utf-8")
    assert project.build("--jobs", "2").status == 0  # and back
    assert tree(project.site) == serial


def test_notes_read_by_worker_processes_give_the_same_site_and_messages(tmp_path: Path) -> None:
    """Many notes to read are parsed by forked workers, in order: the same site, the same diagnostics."""
    project, serial, messages = _generated(tmp_path)
    assert messages, "the generated notes give warnings (titles used twice) to compare"
    with (
        mock.patch.object(workers, "READ_POOL_THRESHOLD", 100),
        mock.patch.object(workers, "_pooled", wraps=workers._pooled) as pools,
    ):
        run = project.build("--clean", "--jobs", "2")
    assert run.status == 0
    read = [call.args for call in pools.call_args_list if call.args[2] is workers._read_worker]
    assert read and all(args[0] == "fork" for args in read), "notes read by forked workers"
    assert run.messages == messages
    assert tree(project.site) == serial
    victim = sorted(project.content.glob("*.md"))[10]
    original = victim.read_text(encoding="utf-8")
    victim.write_text(original.replace("## Summary\n\n", "## Summary\n\nEdited. "), encoding="utf-8")
    assert project.build("--jobs", "1").status == 0  # the other notes come from the cache the workers filled
    victim.write_text(original, encoding="utf-8")
    assert project.build("--jobs", "1").status == 0
    assert tree(project.site) == serial


def test_the_preview_s_workers_come_from_a_fork_server_and_give_the_same_site(tmp_path: Path) -> None:
    """The preview has threads, so its builds do not fork workers: they plan the pages again from a pickle."""
    project, serial, _ = _generated(tmp_path)
    shutil.rmtree(project.site)
    shutil.rmtree(project.root / ".signalkb-cache")  # a cold build: every page rendered by the workers
    started = threading.Event()
    stop = threading.Event()
    other = threading.Thread(target=lambda: (started.set(), stop.wait(60)), daemon=True)
    other.start()
    started.wait(5)
    old = Path.cwd()
    os.chdir(project.root)
    try:
        config, problems = load_config(None, {"content_dir": "content", "out_dir": "site"})
        assert problems == []
        with mock.patch.object(
            workers.multiprocessing, "get_context", wraps=workers.multiprocessing.get_context
        ) as ctx:
            report = pipeline.preview_build(config, Session(), jobs=2)
        assert report.written and not report.failed
        assert [call.args for call in ctx.call_args_list] == [("forkserver",)]
    finally:
        os.chdir(old)
        stop.set()
        other.join(5)
    assert tree(project.site) == serial


def test_deleting_the_cache_gives_the_same_site(bundled: Project) -> None:
    before = tree(bundled.site)
    for folder in bundled.root.glob(".signalkb-cache"):
        shutil.rmtree(folder)
    assert bundled.build().status == 0
    assert tree(bundled.site) == before
    assert not any(p.name.startswith(".site.") for p in bundled.root.iterdir() if p.is_dir() and os.name != "nt")


def test_a_build_with_the_inputs_of_the_published_site_says_nothing_changed_and_repeats_its_warnings(
    bundled: Project,
) -> None:
    first = bundled.build()  # the fixture's cold build wrote permalinks.json; this one reads it back
    second = bundled.build()
    assert (first.status, second.status) == (0, 0)
    assert "nothing changed" in second.out and "up to date" in second.out, second.out
    assert second.messages == first.messages, "the warnings of the build that made the site are shown again"
    assert second.messages, "the bundled content has warnings (the seed export's doubtful rows)"
    strict = bundled.build("--strict")
    assert strict.status == 1, "--strict still fails on those warnings"
    assert strict.messages[:-1] == first.messages


@pytest.mark.parametrize("change", ["note", "new note", "forces", "ledger", "template", "config", "site deleted"])
def test_any_changed_input_is_built(bundled: Project, tmp_path: Path, change: str) -> None:
    """Every input the site is made from, changed, gives a real build whose site equals a cold build's."""
    assert "nothing changed" in bundled.build().out
    note = sorted(bundled.content.glob("*.md"))[2]
    if change == "note":
        note.write_text(note.read_text(encoding="utf-8").replace("## Summary\n\n", "## Summary\n\nNew words. "))
    elif change == "new note":
        shutil.copy(note, bundled.content / "sub-copy.md")
    elif change == "forces":
        forces = bundled.content / "forces.yaml"
        forces.write_text(forces.read_text(encoding="utf-8").replace("description:", "description: Now.", 1))
    elif change == "ledger":
        (bundled.content / "permalinks.json").unlink()
    elif change == "template":
        templates = tmp_path / "templates"
        shutil.copytree(ROOT / "templates", templates)
        (bundled.root / "site.yaml").write_text(f"templates_dir: {templates}\n", encoding="utf-8")
        assert bundled.build().status == 0
        assert "nothing changed" in bundled.build().out
        base = templates / "base.html"
        base.write_text(base.read_text(encoding="utf-8").replace("built with signalkb", "built with care"))
    elif change == "config":
        (bundled.root / "site.yaml").write_text("title: Another title\n", encoding="utf-8")
    else:
        shutil.rmtree(bundled.site)
    run = bundled.build()
    assert run.status == 0, run.err
    assert "nothing changed" not in run.out and run.out.startswith("built "), run.out
    cold = Project(tmp_path / "cold")
    shutil.copytree(bundled.content, cold.content)
    if (bundled.root / "site.yaml").exists():
        shutil.copy(bundled.root / "site.yaml", cold.root / "site.yaml")
    assert cold.build("--clean").status == 0
    assert tree(bundled.site) == tree(cold.site)
    assert "nothing changed" in bundled.build().out
