"""Faults: a build killed midway, a full disk, a read-only output folder, a note deleted during a build.

What publish.py promises, and what is tested here:
- a cold build writes a new site beside the old one and swaps it in: killed at any point, `site/` is the old site
  or the new one, byte for byte;
- an incremental build replaces changed files one atomic rename each, after telling the cache: killed midway,
  every file of `site/` is complete, and the next build (a full one) repairs the rest;
- a build that cannot write (disk full, read-only folder) fails with a message and leaves `site/` as it was;
- either way no staging folder or temp file is left once the next build is done, and the next build succeeds.

A kill counts only if it landed while the build was running (the build died of SIGKILL): the moments are drawn
within the measured length of the kind of build killed (cold or incremental), and drawn again within a quicker
build's length when one ended first; the test fails unless every kill it meant to make landed.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from signalkb.core.config import load_config
from signalkb.engine import pipeline
from signalkb.notes import sources
from signalkb.publishing.staging import BACKGROUND_DELETE

from .conftest import ROOT, SHARED, Project, native_note, run_cli, shared_path, tree_bytes, tree_digests

GEN = SHARED / "bench" / "gen_corpus.py"
SEED = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
KILLS = int(os.environ.get("FAULT_KILLS", "2"))
"""Cold builds killed at a random moment, and half as many incremental builds (`make hardening` kills more)."""
NOTES = int(os.environ.get("FAULT_NOTES", "800"))
"""Generated notes of the knowledge base whose builds are killed (`make hardening` builds 2,000): enough for a
site past BACKGROUND_DELETE files (800 notes publish about 6,300)."""
ATTEMPTS = 4
"""Builds started at most for one kill: when a build ends before its kill, the next is killed within its length."""
LEFTOVER = (".site.new-", ".site.old-", ".state-")


def _start_build(project: Project, *extra: str, stderr: IO[bytes] | int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """`build.py build` in a process group of its own (its render workers are in it too)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "build", "--content", "content", "--out", "site", "-q", *extra],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )


def _build(project: Project, *extra: str) -> float:
    started = time.monotonic()
    process = _start_build(project, *extra)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()[-3000:]
    return time.monotonic() - started


@dataclass(frozen=True)
class Kill:
    """A build started and sent SIGKILL (with its workers) `delay` seconds later."""

    delay: float
    landed: bool
    """The build was still running and died of the kill; False when it had ended (successfully) before."""
    seconds: float
    """How long the build ran: to its kill, or to its own end."""


def _kill_after(project: Project, delay: float, *extra: str) -> Kill:
    """Start a build and SIGKILL its process group (it and its render workers) after `delay` seconds.

    Whether the kill landed is read from the build's exit status, not from the timing: a build that exited just
    before the kill (a zombie not yet reaped) keeps its own status, 0, and does not count as killed."""
    with tempfile.TemporaryFile() as log:
        started = time.monotonic()
        process = _start_build(project, *extra, stderr=log)  # a file: a pipe nobody reads could stall the build
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
        seconds = time.monotonic() - started
        landed = process.returncode == -signal.SIGKILL
        if not landed:
            log.seek(0)
            assert process.returncode == 0, log.read().decode(errors="replace")[-3000:]
    return Kill(delay, landed, seconds)


def _moment(rng: random.Random, k: int, kills: int, seconds: float) -> float:
    """When to kill the k-th of `kills` builds that take `seconds`: at random within the k-th of `kills` equal
    parts of that time, so that early and late moments are both tried."""
    return seconds * (k + rng.random()) / kills


def _missed(kind: str, tries: list[Kill]) -> str:
    return f"seed {SEED}: no {kind} build was killed while it ran: " + ", ".join(
        f"meant to be killed after {t.delay:.2f} s, it ended after {t.seconds:.2f} s" for t in tries
    )


def _retitle(paths: list[Path], label: str) -> None:
    """Give the notes' titles the prefix `Changed LABEL: ` (in place of an earlier one)."""
    for path in paths:
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\A# __(Changed \w+: )?", f"# __Changed {label}: ", text, count=1), encoding="utf-8")


def _leftovers(root: Path) -> list[str]:
    """Staging folders and temp files anywhere under the project folder (the content and cache folders too)."""
    found = []
    for directory, dirs, files in os.walk(root):  # never into a staging folder: it may be being deleted
        for name in [*dirs, *files]:
            if name.startswith(LEFTOVER) or (name.startswith(".") and name.endswith(".tmp")):
                found.append(Path(directory, name).relative_to(root).as_posix())
        dirs[:] = [d for d in dirs if not d.startswith(LEFTOVER) and d != "site"]
    return sorted(found)


def _no_leftovers_soon(root: Path, seconds: float = 120.0) -> None:
    """Fail if anything is left; a big old site is deleted by a detached process after the build, so wait for it."""
    deadline = time.monotonic() + seconds
    while _leftovers(root) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _leftovers(root) == [], f"left behind: {_leftovers(root)[:5]}"


def _complete(site: Path) -> list[str]:
    """Files of a site that are not whole: HTML that does not end its document, JSON that does not parse."""
    broken = []
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".html" and not data.rstrip().endswith(b"</html>"):
            broken.append(path.relative_to(site).as_posix())
        elif path.suffix == ".json":
            try:
                json.loads(data)
            except ValueError:
                broken.append(path.relative_to(site).as_posix())
    return broken


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A generated knowledge base of NOTES native notes (600: about 3,200 signals, 7,300 published files, more than
    the 5,000 past which an old site is deleted by a detached process). CI time is watched: 2,000 took 6 min."""
    root = tmp_path_factory.mktemp("big")
    subprocess.run(
        [
            sys.executable,
            str(shared_path(GEN)),
            "--notes",
            str(NOTES),
            "--out",
            str(root / "content"),
            "--flavor",
            "native",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Project(root)


def test_a_build_killed_at_random_moments_never_breaks_the_site(big: Project) -> None:
    rng = random.Random(SEED)
    cold = _build(big)  # how long a cold build takes (the measure for the cold builds killed)
    old = tree_digests(big.site)
    assert len(old) > BACKGROUND_DELETE  # the old site is deleted by a detached process: that path is tested too

    # Cold builds (a whole new site swapped in), killed: site/ is the old site or the new one, never a mix.
    notes = sorted(big.content.glob("*.md"))
    first = notes[0].read_text(encoding="utf-8")
    edited_first = first.replace("# __", "# __Edited: ", 1)
    seen: list[tuple[Kill, dict[str, str] | None]] = []
    current: dict[str, str] | None = old
    for k in range(KILLS):
        tries: list[Kill] = []
        while not (tries and tries[-1].landed):
            assert len(tries) < ATTEMPTS, _missed("cold", tries)
            # the notes always say something else than site/ does, so a killed build has a site to swap in
            notes[0].write_text(first if current != old else edited_first, encoding="utf-8")
            tries.append(_kill_after(big, _moment(rng, k, KILLS, cold), "--clean"))
            current = tree_digests(big.site) if big.site.is_dir() else None
            seen.append((tries[-1], current))
            if not tries[-1].landed:
                cold = tries[-1].seconds  # a quicker build than measured: kill the next within its length
    notes[0].write_text(edited_first, encoding="utf-8")
    _build(big, "--clean")
    new = tree_digests(big.site)
    assert new != old
    for kill, found in seen:
        assert found in (old, new), f"seed {SEED}: killed after {kill.delay:.2f} s (landed: {kill.landed}), a mix"
    assert sum(kill.landed for kill, _ in seen) == KILLS
    shown = [f"{k.delay:.1f} s: {'old' if f == old else 'new'}{'' if k.landed else ' (ended first)'}" for k, f in seen]
    print(f"seed {SEED}: cold builds killed after {shown}")
    _no_leftovers_soon(big.root)

    # An incremental build (files replaced one by one), killed: every file whole; the next build repairs the rest.
    # Each kill is of a build of its own edit of 200 notes, killed within the measured length of such a build.
    edited = notes[1:201]
    _retitle(edited, "0")
    incremental = _build(big)
    kills = max(1, KILLS // 2)
    landed: list[Kill] = []
    for k in range(kills):
        tries = []
        while not (tries and tries[-1].landed):
            assert len(tries) < ATTEMPTS, _missed("incremental", tries)
            label = f"{k}x{len(tries)}"
            _retitle(edited, label)
            tries.append(_kill_after(big, _moment(rng, k, kills, incremental)))
            assert big.site.is_dir()
            assert _complete(big.site) == [], f"seed {SEED}: killed after {tries[-1].delay:.2f} s, half-written files"
            if not tries[-1].landed:
                incremental = tries[-1].seconds
        landed.append(tries[-1])
        _build(big)  # the next build repairs the rest
        _no_leftovers_soon(big.root)
        assert _complete(big.site) == []
        data = json.loads((big.site / "signals.json").read_text(encoding="utf-8"))
        titles = {n["path"]: n["title"] for n in data["notes"]}
        stale = [path.name for path in edited if not titles[path.name].startswith(f"Changed {label}: ")]
        assert stale == [], f"seed {SEED}: killed after {tries[-1].delay:.2f} s, not repaired: {stale[:5]}"
    print(f"seed {SEED}: incremental builds killed after {[f'{k.delay:.1f} s' for k in landed]}")
    assert len(landed) == kills and all(kill.landed for kill in landed)
    data = json.loads((big.site / "signals.json").read_text(encoding="utf-8"))
    titles = {n["path"]: n["title"] for n in data["notes"]}
    assert len(titles) == len(notes)
    for path in edited:
        assert titles[path.name].startswith(f"Changed {label}: "), path.name
        note_id = next(n["id"] for n in data["notes"] if n["path"] == path.name)
        assert f"Changed {label}: " in big.page(f"notes/{note_id}")
    assert titles[notes[0].name].startswith("Edited: ")
    pages = {p.name for p in (big.site / "notes").iterdir() if p.is_dir()}
    assert pages == {n["id"] for n in data["notes"]}, "stale or missing note pages after the repair"


# --- a full disk, a read-only folder ---------------------------------------------------------------------------------


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def _small(project: Project) -> None:
    project.write(
        {
            "a.md": native_note("First note", "20240101", rows=[("Signal one", "c", "h", "Force one")]),
            "b.md": native_note("Second note", "20230101", rows=[("Signal two", "c", "h", "Force one")]),
        }
    )


def _many(count: int) -> dict[str, str]:
    rows = [(f"Signal {i} " + "long words " * 40, "c", "h", f"Force {i % 5}") for i in range(5)]
    return {f"many/n{i}.md": native_note(f"Many note {i}", rows=rows) for i in range(count)}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Project, str]]:
    """A project whose output folder (and the cache beside it) is on a 3 MB file system: a tmpfs when this user
    may mount one, else a file-size limit for the build process (`ulimit -f`). Neither: the test fails."""
    (tmp_path / "content").mkdir()
    disk = tmp_path / "disk"
    if _mount_tmpfs(disk, "3m"):
        try:
            yield Project(tmp_path), "tmpfs"
        finally:
            _umount(disk)
        return
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    if (limit[0] != resource.RLIM_INFINITY and limit[0] < 3_000_000) or not hasattr(signal, "SIGXFSZ"):
        pytest.fail("cannot make a small disk: no tmpfs (needs root) and no RLIMIT_FSIZE; run as root or on Linux")
    yield Project(tmp_path), "ulimit"


def _build_on(project: Project, how: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """A build whose output goes to disk/site; with `ulimit`, any file over 3 MB fails as a full disk would."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))

    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", "--content", "content", "--out", "disk/site", *extra],
        cwd=project.root,
        capture_output=True,
        text=True,
        preexec_fn=limit if how == "ulimit" else None,
        timeout=300,
    )


def test_a_full_disk_fails_the_build_and_keeps_the_site(small_disk: tuple[Project, str]) -> None:
    project, how = small_disk
    _small(project)
    assert _build_on(project, how).returncode == 0
    site = project.root / "disk" / "site"
    before = tree_bytes(site)
    project.write(
        _many(400 if how == "tmpfs" else 40) | {"big.md": native_note("Big", rows=[("x " * 2_000_000, "c", "h", "f")])}
    )
    for extra in ((), ("--clean",)):
        run = _build_on(project, how, *extra)
        assert run.returncode == 1, run.stderr[-2000:]
        assert "Traceback" not in run.stderr
        problem = "No space left on device" if how == "tmpfs" else "File too large"
        assert any("error: cannot write the site" in line and problem in line for line in run.stderr.splitlines()), (
            run.stderr[-2000:]
        )
        assert tree_bytes(site) == before
        assert _leftovers(project.root) == []
    shutil.rmtree(project.content / "many")
    (project.content / "big.md").unlink()
    project.write({"c.md": native_note("Third note")})
    run = _build_on(project, how)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (site / "notes" / "c" / "index.html").is_file()
    assert _leftovers(project.root) == []


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[str]:
    """`folder` read-only for this process: a read-only bind mount as root (root ignores permissions), else chmod."""
    if os.geteuid() == 0:
        bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if bound.returncode != 0:
            pytest.fail(f"cannot bind-mount {folder} read-only as root: {bound.stderr.decode()}")
        try:
            ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True)
            assert ro.returncode == 0, ro.stderr.decode()
            yield "mount"
        finally:
            _umount(folder)
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
    for path in modes:
        path.chmod(modes[path] & ~0o222)
    try:
        yield "chmod"
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@pytest.mark.parametrize("extra", [(), ("--clean",)], ids=["incremental", "cold"])
def test_a_read_only_output_folder_fails_the_build_and_keeps_the_site(project: Project, extra: tuple[str, ...]) -> None:
    _small(project)
    assert project.build().status == 0
    before = tree_bytes(project.site)
    project.write({"c.md": native_note("Third note")})
    with _read_only(project.site):
        run = project.build(*extra)
        assert run.status == 1
        assert "Traceback" not in run.err
        assert any("error: cannot write the site" in line or "Read-only" in line for line in run.messages), run.err
        assert tree_bytes(project.site) == before
    assert _leftovers(project.root) == []
    assert project.build().status == 0
    assert (project.site / "notes" / "c" / "index.html").is_file()


# --- a note deleted during a build ------------------------------------------------------------------------------------


def _gone(project: Project, note_id: str) -> None:
    """The note is no longer in the site (its old address may say that it was removed)."""
    assert note_id not in {n["id"] for n in project.data()["notes"]}
    page = project.site / "notes" / note_id / "index.html"
    assert not page.exists() or "was removed" in page.read_text(encoding="utf-8")


def test_a_note_deleted_while_the_notes_are_read(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listed, then gone before it is read: the build stops with a message naming it, site/ stays as it was."""
    _small(project)
    project.write({"c.md": native_note("Third note")})
    assert project.build().status == 0
    before = tree_bytes(project.site)
    walk = sources._walk

    def walk_and_delete(root: Path) -> Iterator[tuple[str, str]]:
        for path, rel in walk(root):
            if rel == "a.md":
                (root / "c.md").unlink()  # deleted by someone else between listing and reading
            yield path, rel

    monkeypatch.setattr(sources, "_walk", walk_and_delete)
    run = project.build()
    assert run.status == 1
    assert any(line.startswith("content/c.md: error: cannot read file") for line in run.messages), run.err
    assert tree_bytes(project.site) == before
    monkeypatch.undo()
    assert project.build().status == 0
    _gone(project, "c")
    assert (project.site / "notes" / "a" / "index.html").is_file()


def test_a_note_deleted_while_pages_are_written(project: Project) -> None:
    """Read, then deleted while its pages are rendered: this build publishes it whole; the next one removes it."""
    _small(project)
    project.write({"c.md": native_note("Third note", rows=[("Third signal", "c", "h", "Force one")])})
    config, _ = load_config(None, {"content_dir": str(project.content), "out_dir": str(project.site)})
    gone = pipeline.BuildOptions(progress=lambda *_: (project.content / "c.md").unlink(missing_ok=True))
    report = pipeline.build(config, gone)
    assert not report.failed and report.written
    assert not (project.content / "c.md").exists()
    assert "Third note" in project.page("notes/c")
    assert _complete(project.site) == []
    assert project.build().status == 0
    _gone(project, "c")
    assert "Third signal" not in (project.site / "signals.json").read_text(encoding="utf-8")


# --- --out that signalkb did not make ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dotfiles", "empty-subfolder", "symlink-to-foreign", "git-checkout"])
def test_an_output_folder_signalkb_did_not_make_is_refused(project: Project, kind: str) -> None:
    _small(project)
    foreign = project.root / "foreign"
    foreign.mkdir()
    if kind == "dotfiles":
        (foreign / ".env").write_text("SECRET=1\n", encoding="utf-8")
    elif kind == "empty-subfolder":
        (foreign / "drafts").mkdir()
    elif kind == "git-checkout":
        (foreign / ".git").mkdir()
        (foreign / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
        (foreign / "index.html").write_text("<p>my own site</p>", encoding="utf-8")
    else:
        (foreign / "thesis.docx").write_bytes(b"precious")
    out = foreign
    if kind == "symlink-to-foreign":
        out = project.root / "link"
        out.symlink_to(foreign, target_is_directory=True)
    before = tree_bytes(foreign)
    result = run_cli("build", "--content", "content", "--out", str(out), cwd=project.root)
    assert result.status == 1
    assert any("not made by signalkb" in line for line in result.messages), result.err
    assert tree_bytes(foreign) == before
    assert _leftovers(project.root) == []


def test_the_next_build_removes_what_a_killed_build_left(project: Project) -> None:
    """Deterministic version of the leftovers of a kill: a half-written cache file and a half-made staging folder."""
    _small(project)
    assert project.build().status == 0
    (cache,) = (project.root / ".signalkb-cache").iterdir()
    (cache / ".state-k1ll3d").write_bytes(b"\x80half a pickle")
    (project.root / ".site.new-k1ll3d" / "notes").mkdir(parents=True)
    (project.root / ".site.new-k1ll3d" / "notes" / "index.html").write_bytes(b"<!doctype html><p>half")
    assert len(_leftovers(project.root)) == 2
    assert project.build().status == 0
    assert _leftovers(project.root) == []
