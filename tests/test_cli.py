"""cli.py: exit statuses, message format on stderr, the summary line, and clear messages for bad input."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from signalkb.cli import main

from .conftest import ROOT, Project, Run, native_note, run_cli, tree_bytes

DIAGNOSTIC = re.compile(r"^[^\s:][^:]*(:\d+)?: (error|warning): .+")
FAILURE = re.compile(r"^build failed: \d+ (errors?|warnings? \(--strict\)); \S+/ was left as it was$")
SUMMARY = re.compile(r"^built (\d+) notes, (\d+) signals, (\d+) forces → site/ \((\d+) pages\) in \d+\.\d s$")
CACHE = ".signalkb-cache"


def assert_clean_output(run: Run) -> None:
    """No traceback anywhere; every stderr line is a diagnostic, a usage error or the failure line."""
    assert "Traceback" not in run.out + run.err
    for line in run.messages:
        assert DIAGNOSTIC.match(line) or line.startswith("signalkb: ") or FAILURE.match(line), line


def good(project: Project) -> None:
    project.write(
        {
            "a.md": native_note("One", "20240101", rows=[("S1", "c", "h", "F1"), ("S2", "c", "h", "F1; F2")]),
            "b.md": native_note("Two", "20230101", rows=[("S3", "c", "h", "f1")]),
        }
    )


# --- exit statuses --------------------------------------------------------------------------------------


def test_successful_build_prints_the_summary(project: Project) -> None:
    good(project)
    run = project.build("--base-url", "https://example.org/kb/")
    assert run.status == 0
    assert run.err == ""
    lines = run.out.splitlines()
    assert len(lines) == 1
    m = SUMMARY.match(lines[0])
    assert m, lines[0]
    notes, signals, forces, pages = map(int, m.groups())
    assert (notes, signals, forces) == (2, 3, 2)
    assert pages == len(list(project.pages()))
    assert_clean_output(run)


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["build", "--bogus"],
        ["check", "--no-such-option"],
        ["frobnicate"],
        ["build", "--content"],
    ],
)
def test_usage_errors_exit_2(project: Project, args: list[str]) -> None:
    good(project)
    run = run_cli(*args, cwd=project.root)
    assert run.status == 2
    assert run.out == ""
    assert "error" in run.err
    assert "usage: build.py" in run.err  # the usage line tells what would have been right
    assert not project.site.exists()
    assert "Traceback" not in run.err


def test_unknown_option_is_named(project: Project) -> None:
    run = run_cli("--bogus", cwd=project.root)
    assert "--bogus" in run.err


def test_content_error_exits_1(project: Project) -> None:
    good(project)
    project.write({"bad.md": "---\ntitle: [unclosed\n---\n"})
    run = project.build()
    assert run.status == 1
    assert run.out == ""
    assert any(line.startswith("content/bad.md:") and ": error: " in line for line in run.messages)
    assert run.messages[-1] == "build failed: 1 error; site/ was left as it was"
    assert not project.site.exists()
    assert_clean_output(run)


def test_warnings_exit_0_and_1_with_strict(project: Project) -> None:
    good(project)
    project.write({"c.md": "# No signals here\n"})
    (project.root / "site.yaml").write_text("base_url: https://example.org/kb/\n", encoding="utf-8")
    run = project.build()
    assert run.status == 0
    assert any(line.startswith("content/c.md: warning: ") for line in run.messages)
    assert SUMMARY.match(run.out.strip())
    assert_clean_output(run)

    strict = project.build("--strict")
    assert strict.status == 1
    assert strict.out == ""
    assert strict.messages[-1] == "build failed: 1 warning (--strict); site/ was left as it was"
    assert_clean_output(strict)


def test_quiet_prints_errors_only(project: Project) -> None:
    good(project)
    project.write({"c.md": "# No signals here\n"})
    run = project.build("--quiet")
    assert run.status == 0
    assert run.out == ""
    assert run.err == ""


def test_version_and_help_exit_0() -> None:
    for args in (["--version"], ["--help"], ["build", "--help"]):
        run = run_cli(*args)
        assert run.status == 0, args


# --- check ----------------------------------------------------------------------------------------------


def test_check_writes_nothing(project: Project) -> None:
    good(project)
    before = sorted(p.relative_to(project.root).as_posix() for p in project.root.rglob("*"))
    run = project.check()
    assert run.status == 0
    assert run.out.startswith("checked 2 notes, 3 signals, 2 forces")
    after = sorted(p.relative_to(project.root).as_posix() for p in project.root.rglob("*"))
    assert after == before
    assert_clean_output(run)


def test_check_leaves_an_existing_site_alone(project: Project) -> None:
    good(project)
    assert project.build().status == 0
    site = tree_bytes(project.site)
    project.write({"c.md": native_note("Three")})
    assert project.check().status == 0
    assert tree_bytes(project.site) == site


def test_check_does_not_create_the_output_parent(project: Project) -> None:
    good(project)
    run = run_cli("check", "--content", "content", "--out", "public/site", cwd=project.root)
    assert run.status == 0, run.err
    assert not (project.root / "public").exists()


def test_check_does_not_care_about_a_foreign_output_folder(project: Project) -> None:
    """`check` writes nothing, so an output folder it could not replace is no reason to fail."""
    good(project)
    project.site.mkdir()
    (project.site / "mine.txt").write_text("keep", encoding="utf-8")
    run = project.check()
    assert run.status == 0, run.err
    assert tree_bytes(project.site) == {"mine.txt": b"keep"}


def test_check_reports_content_errors(project: Project) -> None:
    good(project)
    project.write({"bad.md": "---\n- a list\n---\n"})
    run = project.check()
    assert run.status == 1
    assert any(line.startswith("content/bad.md:") for line in run.messages)
    assert not project.site.exists()
    assert_clean_output(run)


# --- defaults ---------------------------------------------------------------------------------------------


def test_no_verb_builds_with_the_defaults(project: Project) -> None:
    good(project)
    run = run_cli(cwd=project.root)
    assert run.status == 0, run.err
    assert SUMMARY.match(run.out.strip())
    assert (project.site / "index.html").is_file()


def test_options_without_a_verb_build(project: Project) -> None:
    good(project)
    run = run_cli("--strict", "--base-url", "https://example.org/", cwd=project.root)
    assert run.status == 0, run.err
    assert (project.site / "signals.json").is_file()


def test_build_py_script_runs(project: Project) -> None:
    good(project)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "build.py")], cwd=project.root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert SUMMARY.match(proc.stdout.strip()), proc.stdout
    assert (project.site / "notes" / "a" / "index.html").is_file()


# --- bad input gets a clear message ---------------------------------------------------------------------


def test_empty_content_folder(project: Project) -> None:
    run = project.build()
    assert run.status == 1
    assert any("no notes found in content" in line and ": error: " in line for line in run.messages)
    assert not project.site.exists()
    assert_clean_output(run)


def test_missing_content_folder(tmp_path: Path) -> None:
    run = run_cli("build", "--content", "nowhere", "--out", "site", cwd=tmp_path)
    assert run.status == 1
    assert any(line.startswith("signalkb: error: content folder nowhere does not exist") for line in run.messages)
    assert not (tmp_path / "site").exists()
    assert_clean_output(run)


def test_non_utf8_file_is_an_error_naming_the_file(project: Project) -> None:
    good(project)
    project.write({"latin1.md": "# Café\n\nline two\nna\xefve\n".encode("latin-1")})
    run = project.build()
    assert run.status == 1
    found = [line for line in run.messages if line.startswith("content/latin1.md:")]
    assert found
    assert "content/latin1.md:1: error: not valid UTF-8" in found[0]
    assert_clean_output(run)


def test_binary_file_is_an_error(project: Project) -> None:
    good(project)
    project.write({"image.md": b"\x00\x01\x02PNG-ish\x00"})
    run = project.build()
    assert run.status == 1
    assert any(line.startswith("content/image.md:") and "binary" in line for line in run.messages)
    assert_clean_output(run)


def test_other_files_in_content_are_ignored(project: Project) -> None:
    good(project)
    project.write(
        {
            "picture.png": b"\x89PNG\r\n\x1a\n\x00\x00",
            ".hidden.md": "# hidden",
            "draft.md~": "# backup",
            ".#lock.md": "x",
            "notes.md.swp": b"\x00",
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    assert len(project.data()["notes"]) == 2


@pytest.mark.parametrize("out", ["content", "content/site", "."])
def test_output_overlapping_content_is_a_usage_error(project: Project, out: str) -> None:
    good(project)
    before = tree_bytes(project.content)
    run = run_cli("build", "--content", "content", "--out", out, cwd=project.root)
    assert run.status == 2
    assert "overlaps the content folder" in run.err
    assert tree_bytes(project.content) == before
    assert "Traceback" not in run.err


def test_missing_config_file_is_a_usage_error(project: Project) -> None:
    good(project)
    run = run_cli("build", "--config", "nope.yaml", cwd=project.root)
    assert run.status == 2
    assert "nope.yaml" in run.err


def test_broken_site_yaml_is_an_error_with_its_line(project: Project) -> None:
    good(project)
    (project.root / "site.yaml").write_text("title: ok\nhome_notes: [1\n", encoding="utf-8")
    run = project.build()
    assert run.status == 1
    assert any(line.startswith("site.yaml:") and ": error: " in line for line in run.messages), run.messages
    assert not project.site.exists()
    assert_clean_output(run)


def test_unknown_site_setting_is_a_warning(project: Project) -> None:
    good(project)
    (project.root / "site.yaml").write_text("title: My signals\ncolour: red\n", encoding="utf-8")
    run = project.build()
    assert run.status == 0
    assert any(line.startswith("site.yaml:2: warning: unknown setting `colour`") for line in run.messages)
    assert "<title>My signals</title>" in project.page("")


class _Terminal(io.StringIO):
    """Standard error as a terminal shows it."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_a_progress_bar_of_the_pages_shows_on_a_terminal_only(project: Project, terminal: bool) -> None:
    project.write({f"n{i}.md": native_note(f"Note {i}") for i in range(3)})
    out, err = io.StringIO(), _Terminal() if terminal else io.StringIO()
    old = Path.cwd()
    os.chdir(project.root)
    try:
        assert main(["build", "--content", "content", "--out", "site"], out, err) == 0
    finally:
        os.chdir(old)
    pages = len(list(project.pages()))
    done = re.findall(r"(\d+)/(\d+)", err.getvalue())
    if terminal:
        assert "pages" in err.getvalue() and done, err.getvalue()
        assert int(done[-1][0]) == int(done[-1][1]) >= pages, "the bar ends full: every page and file"
    else:
        assert "━" not in err.getvalue() and not done
    assert out.getvalue().startswith("built ")
