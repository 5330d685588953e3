"""publish.py: the site is built beside the output folder and swapped in; a failed build never touches it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signalkb.core.config import PACKAGE_ROOT
from signalkb.publishing.staging import DELETING, OutputRefused, Staging, discard

from .conftest import Project, native_note, tree_bytes

CACHE = ".signalkb-cache"
GOOD = {
    "a.md": native_note("First note", "20240101", rows=[("Signal one", "c", "h", "Force one")]),
    "b.md": native_note("Second note", "20230101", rows=[("Signal two", "c", "h", "Force one")]),
}


def built(project: Project) -> dict[str, bytes]:
    project.write(GOOD)
    run = project.build()
    assert run.status == 0, run.err
    before = tree_bytes(project.site)
    assert "index.html" in before
    assert "notes/a/index.html" in before
    return before


def test_content_error_leaves_the_previous_site_byte_identical(project: Project) -> None:
    before = built(project)
    project.write({"a.md": "---\ntitle: [broken\n---\n", "c.md": native_note("New note")})
    run = project.build()
    assert run.status == 1
    assert tree_bytes(project.site) == before
    assert any("was left as it was" in line for line in run.messages)


def test_template_error_leaves_the_previous_site_byte_identical(project: Project) -> None:
    before = built(project)
    theme = project.root / "theme"
    shutil.copytree(PACKAGE_ROOT / "templates", theme)
    note_html = theme / "note.html"
    lines = note_html.read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines) if "{% block main %}" in text) + 1  # inside the block: rendered
    lines.insert(line, "{{ no_such_variable.anything }}")
    note_html.write_text("\n".join(lines), encoding="utf-8")
    (project.root / "site.yaml").write_text("templates_dir: theme\n", encoding="utf-8")
    run = project.build()
    assert run.status == 1
    assert tree_bytes(project.site) == before
    errors = [line for line in run.messages if ": error: " in line]
    assert errors
    assert any(f"note.html:{line + 1}: error: template error" in text for text in errors), errors
    assert "Traceback" not in run.err


def test_template_syntax_error_names_the_template(project: Project) -> None:
    before = built(project)
    theme = project.root / "theme"
    shutil.copytree(PACKAGE_ROOT / "templates", theme)
    (theme / "force.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n", encoding="utf-8")
    (project.root / "site.yaml").write_text("templates_dir: theme\n", encoding="utf-8")
    run = project.build()
    assert run.status == 1
    assert tree_bytes(project.site) == before
    assert any("force.html:3: error: " in line for line in run.messages), run.messages


def test_strict_build_with_warnings_leaves_the_previous_site(project: Project) -> None:
    before = built(project)
    project.write({"c.md": "# A note without signals\n"})
    run = project.build("--strict")
    assert run.status == 1
    assert any(": warning: " in line for line in run.messages)
    assert tree_bytes(project.site) == before


def test_a_good_build_replaces_the_whole_site(project: Project) -> None:
    built(project)
    (project.content / "a.md").unlink()
    run = project.build()
    assert run.status == 0
    files = tree_bytes(project.site)
    # a published URL keeps working (permalinks.json): the removed note's page now says it was removed
    assert b"This note was removed" in files["notes/a/index.html"]
    assert "notes/a/index.json" not in files and "notes/b/index.json" in files
    assert "notes/b/index.html" in files
    assert not [p for p in project.site.rglob("*") if p.is_dir() and not any(p.iterdir())]  # no empty folders left


def test_foreign_output_folder_is_refused_and_left_untouched(project: Project) -> None:
    project.write(GOOD)
    project.site.mkdir()
    (project.site / "thesis.docx").write_bytes(b"precious")
    (project.site / "notes").mkdir()
    (project.site / "notes" / "todo.txt").write_text("mine", encoding="utf-8")
    before = tree_bytes(project.site)
    run = project.build()
    assert run.status == 1
    assert tree_bytes(project.site) == before
    refused = [line for line in run.messages if "not made by signalkb" in line]
    assert refused
    assert refused[0].startswith("signalkb: error: ")
    assert [p.name for p in project.root.iterdir() if p.name.startswith(".site")] == []


def test_empty_foreign_folder_is_used(project: Project) -> None:
    project.write(GOOD)
    project.site.mkdir()
    assert project.build().status == 0
    assert (project.site / "index.html").is_file()


def test_output_path_that_is_a_file_is_refused(project: Project) -> None:
    project.write(GOOD)
    project.site.write_bytes(b"a file")
    run = project.build()
    assert run.status == 1
    assert project.site.read_bytes() == b"a file"
    assert any("not a folder" in line for line in run.messages)


def test_leftover_staging_folders_are_removed(project: Project) -> None:
    built(project)
    for name in (".site.new-abc123", ".site.old-def456"):
        (project.root / name / "notes").mkdir(parents=True)
        (project.root / name / "notes" / "index.html").write_text("stale", encoding="utf-8")
    (project.root / ".sitemap.new-keep").mkdir()  # not ours: another folder's name
    assert project.build().status == 0
    leftovers = sorted(p.name for p in project.root.iterdir() if p.name.startswith(".site"))
    assert leftovers == [".sitemap.new-keep"]


def test_cname_of_the_previous_site_is_kept(project: Project) -> None:
    built(project)
    (project.site / "CNAME").write_text("signals.example.org\n", encoding="utf-8")
    project.write({"c.md": native_note("Third")})
    assert project.build().status == 0
    assert (project.site / "CNAME").read_text(encoding="utf-8") == "signals.example.org\n"
    assert (project.site / "notes" / "c" / "index.html").is_file()
    assert (project.site / ".nojekyll").is_file()


def test_nothing_is_written_outside_the_output_folder(project: Project) -> None:
    built(project)
    project.write({"c.md": native_note("Third")})
    assert project.build().status == 0
    # the build cache (.signalkb-cache, beside the output folder) is the only other thing a build makes,
    # and the permalink ledger the only file it writes into the content folder
    assert sorted(p.name for p in project.root.iterdir() if p.name != CACHE) == ["content", "site"]
    assert sorted(p.name for p in project.content.iterdir()) == ["a.md", "b.md", "c.md", "permalinks.json"]


@pytest.mark.parametrize("rel", ["../x", "../../x", "a/../../x", "/tmp/signalkb-escape", "notes/../../x"])
def test_staging_refuses_paths_outside_the_folder(tmp_path: Path, rel: str) -> None:
    staging = Staging(tmp_path / "out")
    try:
        with pytest.raises(ValueError, match="outside the output folder"):
            staging.write(rel, b"escaped")
    finally:
        staging.abort()
    assert not (tmp_path / "x").exists()
    assert not Path("/tmp/signalkb-escape").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_staging_writes_inside_and_commits(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "out")
    staging.write("notes/a/index.html", b"<p>a</p>")
    staging.write("x/../y.txt", b"y")  # stays inside, so it is allowed
    staging.commit()
    assert (tmp_path / "out" / "notes" / "a" / "index.html").read_bytes() == b"<p>a</p>"
    assert (tmp_path / "out" / "y.txt").read_bytes() == b"y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staging_refuses_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputRefused):
        Staging(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_an_old_site_being_deleted_in_the_background_is_left_to_its_process(project: Project) -> None:
    """The next build neither waits for nor races a detached deletion; a killed deleter's rest is removed."""
    built(project)
    busy, killed = project.root / ".site.old-busy", project.root / ".site.old-dead"
    for folder in (busy, killed):
        (folder / "site").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (project.root / (busy.name + DELETING)).write_text(str(os.getpid()), encoding="ascii")  # alive: this process
    (project.root / (killed.name + DELETING)).write_text(dead.stdout.strip(), encoding="ascii")
    (project.root / (".site.old-gone" + DELETING)).write_text(dead.stdout.strip(), encoding="ascii")
    project.write({"a.md": native_note("First note, edited", "20240101", rows=[("Signal one", "c", "h", "F")])})
    assert project.build().status == 0
    left = sorted(p.name for p in project.root.iterdir() if p.name.startswith(".site."))
    assert left == [busy.name, busy.name + DELETING]


def test_discard_in_the_background_deletes_the_folder_and_its_marker(tmp_path: Path) -> None:
    folder = tmp_path / ".site.old-x"
    (folder / "site" / "notes").mkdir(parents=True)
    (folder / "site" / "notes" / "index.html").write_text("old", encoding="utf-8")
    discard(folder, background=True)
    marker = tmp_path / (folder.name + DELETING)
    for _ in range(200):
        if not folder.exists() and not marker.exists():
            break
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.05)"], check=True)
    assert not folder.exists() and not marker.exists()


# --- a build cache that cannot be written -----------------------------------------------------------------------------
# The search records live in the cache folder too: with search on, the site is still built, with a second warning
# that search will not find what changed.


def _cache_warnings(messages: list[str]) -> list[str]:
    return [line for line in messages if "warning: the build cache cannot be written" in line]


def test_a_cache_path_taken_by_a_file_is_one_warning_and_the_site_is_built(project: Project) -> None:
    project.write(GOOD)
    (project.root / CACHE).write_text("not a folder", encoding="utf-8")
    for _ in range(2):  # and the next build, which finds no cache either
        run = project.build("--no-search")
        assert run.status == 0, run.err
        warnings = _cache_warnings(run.messages)
        assert len(warnings) == 1, run.err
        assert warnings[0].startswith(f"{CACHE}: warning: the build cache cannot be written: this is a file")
        assert "move or delete the file" in warnings[0]
        assert "notes/a/index.html" in tree_bytes(project.site)
    assert (project.root / CACHE).read_text(encoding="utf-8") == "not a folder"
    (project.root / CACHE).unlink()
    run = project.build("--no-search")
    assert run.status == 0 and _cache_warnings(run.messages) == [], run.err


def test_a_cache_file_that_cannot_be_replaced_is_one_warning_naming_the_cache_folder(project: Project) -> None:
    built(project)
    (folder,) = (project.root / CACHE).iterdir()
    (folder / "pages.pickle").unlink()
    (folder / "pages.pickle").mkdir()  # a folder where a cache file goes: the rename over it fails
    (folder / "pages.pickle" / "x").write_text("keep", encoding="utf-8")
    project.write({"c.md": native_note("Third note")})
    run = project.build("--no-search")
    assert run.status == 0, run.err
    warnings = _cache_warnings(run.messages)
    assert len(warnings) == 1, run.err
    assert warnings[0].startswith(f"{CACHE}/{folder.name}: warning: the build cache cannot be written: ")
    assert "delete the folder" in warnings[0]
    assert "notes/c/index.html" in tree_bytes(project.site)
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == [], "a temp file was left behind"


def test_with_search_on_an_unwritable_cache_still_builds_the_site_and_says_search_is_stale(project: Project) -> None:
    project.write(GOOD)
    (project.root / CACHE).write_text("not a folder", encoding="utf-8")
    run = project.build()
    assert run.status == 0, run.err
    assert len(_cache_warnings(run.messages)) == 1, run.err
    search = [line for line in run.messages if "warning: the search records cannot be written" in line]
    assert len(search) == 1 and search[0].startswith(f"{CACHE}: warning: "), run.err
    assert "search on the site does not find what changed" in search[0]
    assert "notes/a/index.html" in tree_bytes(project.site)
    assert project.build("--strict").status == 1  # --strict fails on it, and leaves the site as it was
    assert "notes/a/index.html" in tree_bytes(project.site)
