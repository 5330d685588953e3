"""The preview: which changes count, the debounced rebuild loop, and a real server on port 0."""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.events import (
    DirModifiedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from signalkb.core.config import PACKAGE_ROOT, SiteConfig, load_config
from signalkb.engine import pipeline
from signalkb.notes.sources import is_temp_file
from signalkb.preview.livereload import (
    HISTORY,
    PreviewState,
    Redirect,
    ServeError,
    Snapshot,
    bind_server,
    content_type,
    inject,
    is_loopback,
    locate,
    output_file,
    overlay,
    site_url,
)
from signalkb.preview.serve import Preview, PreviewOptions
from signalkb.preview.watch import (
    ChangeFilter,
    RebuildLoop,
    WatchedPath,
    event_paths,
    start_watching,
    stop_watching,
)
from tests.conftest import ROOT, Project, native_note
from tests.waiting import WAIT, wait_until

# --- which changes count --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("note.md", False),
        ("forces.yaml", False),
        ("4913.md", False),
        (".note.md.swp", True),
        ("note.md.swp", True),
        ("note.md~", True),
        (".#note.md", True),
        ("#note.md#", True),
        ("4913", True),
        ("note.md.tmp", True),
        ("note.md___jb_tmp___", True),
        ("note.md___jb_old___", True),
        (".DS_Store", True),
        (".git", True),
    ],
)
def test_is_temp_file(name: str, ignored: bool) -> None:
    assert is_temp_file(name) is ignored


@pytest.mark.parametrize(
    ("rel", "relevant"),
    [
        ("content/a.md", True),
        ("content/sub/b.md", True),
        ("content/forces.yaml", True),
        ("content/sub", True),  # a folder of notes deleted or renamed
        ("content/.a.md.swp", False),
        ("content/a.md~", False),
        ("content/.#a.md", False),
        ("content/4913", False),
        ("content/a.md.tmp", False),
        ("content/a.md___jb_tmp___", False),
        ("content/.git/index", False),
        ("content/.hidden/x.md", False),
        ("templates/base.html", True),
        ("templates/assets/style.css", True),
        ("templates/.base.html.swp", False),
        ("site.yaml", True),
        ("other.yaml", False),
        ("site/index.html", False),
        ("site", False),
        (".site.new-abc/index.html", False),
        (".signalkb-cache/x/state.json", False),
        ("elsewhere/x.md", False),
    ],
)
def test_change_filter(tmp_path: Path, rel: str, relevant: bool) -> None:
    changes = ChangeFilter(
        [
            WatchedPath(tmp_path / "content"),
            WatchedPath(tmp_path / "templates"),
            WatchedPath(tmp_path / "site.yaml", is_file=True),
        ],
        tmp_path / "site",
    )
    assert changes.relevant(str(tmp_path / rel)) is relevant


def test_output_folder_inside_a_watched_folder_is_ignored(tmp_path: Path) -> None:
    changes = ChangeFilter([WatchedPath(tmp_path)], tmp_path / "public")
    assert changes.relevant(tmp_path / "notes" / "a.md")
    assert not changes.relevant(tmp_path / "public" / "notes" / "index.html")


def test_event_kinds() -> None:
    assert event_paths(FileCreatedEvent("/c/a.md")) == ["/c/a.md"]
    assert event_paths(FileMovedEvent("/c/.a.md.tmp", "/c/a.md")) == ["/c/.a.md.tmp", "/c/a.md"]
    assert event_paths(FileOpenedEvent("/c/a.md")) == []  # the build reads every note
    assert event_paths(FileClosedEvent("/c/a.md")) == []
    assert event_paths(DirModifiedEvent("/c")) == []


# --- the rebuild loop, with real threads ---------------------------------------------------------------------


class Recorder:
    """A build function that records its calls; can be told to block or fail."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self.fail_next = False

    def __call__(self, changed: list[str]) -> None:
        self.calls.append(changed)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(WAIT)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("boom")


class ManualClock:
    """The rebuild loop's clock, moved only by the test: whether changes came within the debounce of each other is
    then decided by the test, not by how promptly a busy machine runs its threads. While a change is pending the
    loop looks at the clock again at least every `debounce` seconds (of real time) to see whether a build is due."""

    def __init__(self) -> None:
        self.now = 0.0
        self._test = threading.get_ident()
        self._looks = 0
        self._cond = threading.Condition()

    def __call__(self) -> float:
        if threading.get_ident() != self._test:
            with self._cond:
                self._looks += 1
                self._cond.notify_all()
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def looked(self, times: int = 2) -> bool:
        """Wait until the loop has looked at the clock `times` more times. The first look sees every change
        requested before this call and decides whether a build is due; a build it started has been recorded by
        the next look. False if that did not happen within WAIT seconds."""
        with self._cond:
            target = self._looks + times
            return self._cond.wait_for(lambda: self._looks >= target, WAIT)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def loop(recorder: Recorder, clock: ManualClock) -> Iterator[RebuildLoop]:
    rebuild = RebuildLoop(recorder, debounce=0.05, clock=clock)
    rebuild.start()
    yield rebuild
    assert rebuild.stop(timeout=WAIT)


def _build_after(loop: RebuildLoop, recorder: Recorder, clock: ManualClock, builds: int, *paths: str) -> None:
    """Request `paths` at one moment: no build starts while the clock stands still (the debounce has not passed);
    once it has passed, one does, and this waits until `builds` builds have finished."""
    for path in paths:
        loop.request(path)
    looked = clock.looked()
    assert len(recorder.calls) == builds - 1, "a build started before the debounce passed"
    assert looked, "the loop stopped looking at the clock with changes pending"
    clock.advance(1.0)
    assert loop.wait_for_builds(builds, WAIT), f"expected {builds} builds, saw {loop.builds}"


def test_burst_gives_one_build(loop: RebuildLoop, recorder: Recorder, clock: ManualClock) -> None:
    burst = [f"content/{i}.md" for i in range(500)]  # a `git checkout` touching 500 files
    _build_after(loop, recorder, clock, 1, *burst)
    # a later change: its build comes after anything the burst left pending, so the burst was one build if
    # the builds are exactly these two
    _build_after(loop, recorder, clock, 2, "content/later.md")
    assert recorder.calls == [burst, ["content/later.md"]]
    assert loop.builds == 2


def test_changes_during_a_build_give_exactly_one_follow_up(
    loop: RebuildLoop, recorder: Recorder, clock: ManualClock
) -> None:
    recorder.gate = threading.Event()
    loop.request("content/a.md")
    clock.advance(1.0)
    assert recorder.started.wait(WAIT)
    for name in ("b", "c", "d", "b"):
        loop.request(f"content/{name}.md")
        clock.advance(1.0)  # past the debounce: each would be a build of its own if they were not queued
    recorder.gate.set()
    assert loop.wait_for_builds(2, WAIT)
    _build_after(loop, recorder, clock, 3, "content/later.md")  # handled after anything still queued
    assert recorder.calls == [
        ["content/a.md"],
        ["content/b.md", "content/c.md", "content/d.md"],
        ["content/later.md"],
    ]
    assert loop.builds == 3


def test_recovers_from_a_build_error(loop: RebuildLoop, recorder: Recorder, clock: ManualClock) -> None:
    recorder.fail_next = True
    _build_after(loop, recorder, clock, 1, "content/a.md")
    _build_after(loop, recorder, clock, 2, "content/a.md")
    assert recorder.calls == [["content/a.md"], ["content/a.md"]]


def test_keeps_building_while_changes_never_pause(recorder: Recorder, clock: ManualClock) -> None:
    rebuild = RebuildLoop(recorder, debounce=0.2, max_delay=0.3, clock=clock)
    rebuild.start()
    try:
        rebuild.request("content/log.md")
        for _ in range(2):  # a change every 0.1 s: never 0.2 s without one
            clock.advance(0.1)
            rebuild.request("content/log.md")
        looked = clock.looked()
        assert recorder.calls == [], "0.2 s after the first change: neither the debounce nor max_delay passed"
        assert looked, "the loop stopped looking at the clock with changes pending"
        for _ in range(2):
            clock.advance(0.1)
            rebuild.request("content/log.md")
        # the clock stands still 0.4 s after the first change and 0 s after the last: the debounce never passes,
        # so only `max_delay` can start this build
        assert rebuild.wait_for_builds(1, WAIT)
        assert recorder.calls == [["content/log.md"]]
    finally:
        assert rebuild.stop(timeout=WAIT)


def test_stop_is_prompt_when_idle(recorder: Recorder) -> None:
    rebuild = RebuildLoop(recorder, debounce=0.05)
    rebuild.start()
    started = time.monotonic()
    assert rebuild.stop(timeout=WAIT)
    assert time.monotonic() - started < 5
    assert recorder.calls == []


# --- the watcher feeding the loop (real file events) ---------------------------------------------------------


class Watched:
    """A content folder watched (natively or by polling) and feeding a rebuild loop whose builds are recorded."""

    def __init__(self, content: Path, loop: RebuildLoop, recorder: Recorder) -> None:
        self.content = content
        self.loop = loop
        self.recorder = recorder
        self.checked = 0
        """Builds already checked by `builds_since`."""
        self.probes = 0

    def _probe(self) -> str:
        """Save a new note atomically (written under an ignored temp name, then renamed: one event) and return
        its path. Its build comes after every event the watcher saw before it, whichever observer is used."""
        self.probes += 1
        probe = self.content / f"probe-{self.probes}.md"
        temp = self.content / f"probe-{self.probes}.md.tmp"
        temp.write_text("probe\n", encoding="utf-8")
        os.replace(temp, probe)
        return str(probe)

    def builds_since(self, at_least: int) -> list[set[str]]:
        """The changed paths (relative to the content folder) of each build since the last check.

        Waits for `at_least` new builds, then saves a probe note and waits for its build: whatever the changes
        made before the probe were going to cause has happened by then (a second build of one save, a build for
        a file that must be ignored), and is in the answer. The probe's build, checked to hold the probe only,
        is left out of the answer."""
        assert self.loop.wait_for_builds(self.checked + at_least, WAIT), f"no build after {self.checked} builds"
        probe = self._probe()

        def probe_build() -> int | None:
            """The probe's build, counted from the first unchecked one, once it has started."""
            calls = self.recorder.calls[self.checked :]
            return next((i for i, call in enumerate(calls) if probe in call), None)

        wait_until(lambda: probe_build() is not None, what=f"a build of {probe}")
        at = probe_build()
        assert at is not None
        calls = self.recorder.calls[self.checked : self.checked + at + 1]
        assert calls[-1] == [probe], f"the probe's build also had other changes: {calls[-1]}"
        self.checked += at + 1
        return [{Path(path).relative_to(self.content).as_posix() for path in call} for call in calls[:-1]]


@pytest.fixture(params=[False, True], ids=["native", "poll"])
def watched(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Watched]:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("a\n", encoding="utf-8")
    (tmp_path / "site").mkdir()
    recorder = Recorder()
    rebuild = RebuildLoop(recorder, debounce=0.05)
    observer, missing = start_watching([WatchedPath(content)], tmp_path / "site", rebuild.request, poll=request.param)
    assert missing == []
    rebuild.start()
    yield Watched(content, rebuild, recorder)
    assert all(path.startswith(str(content)) for call in recorder.calls for path in call)
    stop_watching(observer)
    assert rebuild.stop(timeout=WAIT)


def test_watcher_save_rename_delete(watched: Watched) -> None:
    content = watched.content
    (content / "a.md").write_text("a, edited\n", encoding="utf-8")
    assert watched.builds_since(1) == [{"a.md"}]
    (content / "a.md").rename(content / "b.md")
    assert watched.builds_since(1) == [{"a.md", "b.md"}]
    (content / "b.md").unlink()
    (content / "sub").mkdir()
    assert watched.builds_since(1) == [{"b.md", "sub"}]
    (content / "sub" / "c.md").write_text("c\n", encoding="utf-8")
    assert watched.builds_since(1) == [{"sub/c.md"}]
    shutil.rmtree(content / "sub")
    assert watched.builds_since(1) == [{"sub/c.md", "sub"}]


def test_watcher_atomic_save_is_one_build_and_temp_files_none(watched: Watched) -> None:
    content = watched.content
    for name in (".a.md.swp", "a.md~", "4913", ".#a.md", "a.md___jb_tmp___"):
        (content / name).write_text("x", encoding="utf-8")
        (content / name).unlink()
    (content / ".git").mkdir()
    (content / ".git" / "index").write_text("x", encoding="utf-8")
    # nothing to build yet: the probe's build is the first, so the temp files caused none of their own
    assert watched.builds_since(0) == []
    temp = content / "a.md.tmp"
    temp.write_text("a, saved atomically\n", encoding="utf-8")
    os.replace(temp, content / "a.md")
    assert watched.builds_since(1) == [{"a.md"}]


# --- pure helpers of the server --------------------------------------------------------------------------------


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "notes" / "a").mkdir(parents=True)
    (root / "index.html").write_text("<html><body>home</body></html>", encoding="utf-8")
    (root / "notes" / "a" / "index.html").write_text("<p>a</p>", encoding="utf-8")
    (root / "assets").mkdir()
    (root / "assets" / "style.css").write_text("body{}", encoding="utf-8")
    (root / ".signalkb").write_text("marker", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "leakdir").symlink_to(tmp_path)
    return root


@pytest.mark.parametrize(
    ("request_path", "expected"),
    [
        ("/", "index.html"),
        ("/index.html", "index.html"),
        ("/notes/a/", "notes/a/index.html"),
        ("/notes/a/?x=1", "notes/a/index.html"),
        ("/notes/%61/", "notes/a/index.html"),
        ("/assets/style.css", "assets/style.css"),
        ("/notes//a/", "notes/a/index.html"),
    ],
)
def test_locate_finds_files_inside(site_root: Path, request_path: str, expected: str) -> None:
    assert locate(site_root, request_path) == (site_root / expected).resolve()


def test_locate_redirects_folders_to_a_trailing_slash(site_root: Path) -> None:
    assert locate(site_root, "/notes/a") == Redirect("/notes/a/")
    assert locate(site_root, "/notes/a?x=1") == Redirect("/notes/a/?x=1")


TRAVERSALS = [
    "/../secret.txt",
    "/notes/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/etc/passwd",
    "/notes/..%2f..%2fsecret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "//etc/passwd",
    "/etc/passwd",
    "/leak.txt",
    "/leakdir/secret.txt",
    "/.signalkb",
    "/index.html%00.css",
    "/%ff",
    "notes/a/",
    "http://example.org/secret.txt",
    "/assets/",  # a folder without index.html: no listing
    "/missing/",
]


@pytest.mark.parametrize("request_path", TRAVERSALS)
def test_locate_refuses_anything_outside_or_hidden(site_root: Path, request_path: str) -> None:
    assert locate(site_root, request_path) is None


def test_content_types() -> None:
    assert content_type(Path("a/index.html")) == "text/html; charset=utf-8"
    assert content_type(Path("assets/style.css")) == "text/css; charset=utf-8"
    assert content_type(Path("app.js")) == "text/javascript; charset=utf-8"
    assert content_type(Path("signals.json")) == "application/json; charset=utf-8"
    assert content_type(Path("feed.xml")) == "application/xml; charset=utf-8"
    assert content_type(Path("logo.png")) == "image/png"
    assert content_type(Path("blob.unknownext")) == "application/octet-stream"


def test_inject_adds_script_before_body_end_and_escapes_the_overlay() -> None:
    page = b"<html><BODY><p>x</p></BODY></html>"
    snapshot = Snapshot("e-1", ("content/a.md:3: error: bad <script>alert(1)</script> & more",), warnings=2)
    out = inject(page, snapshot).decode("utf-8")
    assert out.startswith("<html><BODY><p>x</p>")
    assert out.endswith("</BODY></html>")
    assert out.index("signalkb-overlay") < out.index("signalkb-live-reload") < out.index("</BODY>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in out
    assert "<script>alert(1)" not in out
    assert "content/a.md:3: error:" in out
    assert "2 warnings" in out
    assert '"e-1"' in out
    assert inject(b"no body", Snapshot("e-2")).startswith(b"no body<script")
    assert overlay(Snapshot("e-3")) == ""


def test_long_poll_state_waits_for_a_new_epoch() -> None:
    state = PreviewState()
    first = state.publish()
    assert state.wait_for_change(first, 0.05) == first  # timed out
    assert state.wait_for_change("stale", 5) == first  # a page from an older build: answers at once
    threading.Timer(0.05, state.publish, args=(["x:1: error: y"], 1)).start()
    second = state.wait_for_change(first, WAIT)
    assert second != first
    assert state.snapshot().errors == ("x:1: error: y",)
    assert state.snapshot().warnings == 1


def test_long_poll_wakes_only_the_pages_a_build_changed() -> None:
    state = PreviewState()
    start = state.publish()
    state.publish(changed=["notes/b/index.html"])
    assert state.wait_for_change(start, 0.05, "notes/a/index.html") == start, "not this page: no reload"
    assert state.wait_for_change(start, 0.05, "notes/b/index.html") != start
    assert state.wait_for_change(start, 0.05) != start, "a page that does not say which it is reloads"
    shown = state.snapshot().epoch
    threading.Timer(0.05, state.publish, kwargs={"changed": ["notes/a/index.html"]}).start()
    assert state.wait_for_change(start, WAIT, "notes/a/index.html") != start
    assert state.wait_for_change(shown, 0.05, "index.html") == shown
    state.publish(changed=None)  # a whole build
    assert state.wait_for_change(shown, 0.05, "index.html") != shown
    latest = state.snapshot().epoch
    state.publish(["x:1: error: y"], 0, ["notes/b/index.html"])  # a failed build shows the overlay everywhere
    assert state.wait_for_change(latest, 0.05, "index.html") != latest


def test_long_poll_reloads_a_page_older_than_what_it_remembers() -> None:
    state = PreviewState()
    old = state.publish()
    for _ in range(HISTORY + 5):
        state.publish(changed=["notes/b/index.html"])
    assert state.wait_for_change(old, 0.05, "notes/a/index.html") != old


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/", "index.html"),
        ("/notes/a/", "notes/a/index.html"),
        ("/signals.json", "signals.json"),
        ("/notes/%C3%A9t%C3%A9/", "notes/été/index.html"),
        (None, None),
    ],
)
def test_output_file_of_a_page(path: str | None, file: str | None) -> None:
    assert output_file(path) == file


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True), ("0.0.0.0", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_site_url() -> None:
    assert site_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert site_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert site_url("::1", 8000) == "http://[::1]:8000/"


def test_port_in_use_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=r"already in use.*--port 0"):
            bind_server("127.0.0.1", port, tmp_path, PreviewState(), 1.0)


# --- a real preview on port 0 ----------------------------------------------------------------------------------


def _get(url: str, timeout: float = WAIT) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def _raw(port: int, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _epoch(preview: Preview) -> str:
    return preview.state.snapshot().epoch


def _wait_for_new_epoch(preview: Preview, old: str) -> str:
    """Ask the long-poll endpoint until the epoch is not `old` (as a browser does)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        _, _, body = _get(f"{preview.url}__reload?epoch={old}")
        epoch = str(json.loads(body)["epoch"])
        if epoch != old:
            return epoch
    raise AssertionError("no new build was published")


def _config(project: Project, **extra: object) -> SiteConfig:
    overrides: dict[str, object] = {"content_dir": str(project.content), "out_dir": str(project.site), **extra}
    config, problems = load_config(None, overrides)
    assert problems == []
    return config


@pytest.fixture
def started(project: Project) -> Iterator[Callable[..., Preview]]:
    """Start a preview of `project` on a free port; stopped at the end of the test."""
    previews: list[Preview] = []

    def start(config: SiteConfig | None = None, **kwargs: object) -> Preview:
        preview = Preview(
            config or _config(project),
            PreviewOptions(port=0, debounce=0.05, poll_timeout=2.0),
            out=io.StringIO(),
            err=io.StringIO(),
            **kwargs,  # type: ignore[arg-type]
        )
        previews.append(preview)
        preview.start()
        return preview

    yield start
    for preview in previews:
        preview.close()


def _stream(preview: Preview, name: str) -> str:
    stream = getattr(preview.rebuilder, name)
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def test_serves_the_site_with_the_reload_script_only_in_responses(
    project: Project, started: Callable[..., Preview]
) -> None:
    project.write({"a1.md": native_note("First title")})
    preview = started()
    status, headers, body = _get(preview.url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert "signalkb-live-reload" in body
    assert "__reload" in body
    for page in project.site.rglob("*.html"):
        assert "__reload" not in page.read_text(encoding="utf-8"), page
    status, headers, _ = _get(f"{preview.url}assets/style.css")
    assert (status, headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    status, headers, body = _get(f"{preview.url}signals.json")
    assert (status, headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert json.loads(body)["notes"][0]["title"] == "First title"
    status, headers, _ = _get(f"{preview.url}notes")  # urllib follows the redirect to notes/
    assert status == 200
    status, headers, data = _raw(preview.server.port if preview.server else 0, "HEAD", "/")
    assert status == 200 and data == b"" and int(headers["Content-Length"]) > 0
    assert "serving" in _stream(preview, "out") and preview.url in _stream(preview, "out")


def test_edit_a_note_reloads_with_the_new_text(project: Project, started: Callable[..., Preview]) -> None:
    project.write({"a1.md": native_note("Old title")})
    preview = started()
    assert "Old title" in _get(f"{preview.url}notes/a1/")[2]
    before = _epoch(preview)
    project.write({"a1.md": native_note("New title")})
    _wait_for_new_epoch(preview, before)
    status, _, body = _get(f"{preview.url}notes/a1/")
    assert status == 200 and "New title" in body and "Old title" not in body
    assert "signalkb-overlay" not in body


def test_a_prose_edit_is_published_by_the_fast_path_and_a_force_edit_by_a_full_build(
    project: Project, started: Callable[..., Preview]
) -> None:
    text = native_note("A title", rows=[("A signal", "A change", "A horizon", "A force")])
    project.write({"a1.md": text, "b2.md": native_note("Other", rows=[("B signal", "c", "h", "A force")])})
    preview = started()
    before = _epoch(preview)
    project.write({"a1.md": text.replace("Summary of A title.", "A summary, rewritten.")})
    before = _wait_for_new_epoch(preview, before)
    assert "A summary, rewritten." in _get(f"{preview.url}notes/a1/")[2]
    assert preview.loop.wait_idle(WAIT)
    assert "updated the pages of 1 note" in _stream(preview, "out")
    shown = len(_stream(preview, "out"))
    project.write({"a1.md": text.replace("| A force |", "| Energy transition |")})
    _wait_for_new_epoch(preview, before)
    assert "Energy transition" in _get(f"{preview.url}signals/")[2], "the signal index shows the new force"
    assert preview.loop.wait_idle(WAIT)
    reports = [
        line.split(" ", 1)[1] for line in _stream(preview, "out")[shown:].splitlines() if " changed: " not in line
    ]
    assert any(r.startswith("rebuilt ") for r in reports), reports
    assert not any(r.startswith("updated the pages") for r in reports), reports


def _number(epoch: str) -> int:
    """How many builds the preview had published at `epoch` (`token-N`)."""
    return int(epoch.rpartition("-")[2])


def test_a_note_saved_unchanged_publishes_nothing(project: Project, started: Callable[..., Preview]) -> None:
    text = native_note("A title")
    project.write({"a1.md": text, "b2.md": native_note("Other")})
    preview = started()
    before = _epoch(preview)
    project.write({"a1.md": text})  # saved again as it was
    assert preview.loop.wait_for_builds(1, WAIT), "the save was not noticed"
    assert preview.loop.wait_idle(WAIT)
    assert "nothing changed" in _stream(preview, "out")
    assert _epoch(preview) == before, "a save that changed nothing told the open pages to reload"
    # a real change afterwards is handled after anything the unchanged save still had coming; it is published as
    # the very next epoch, so the unchanged save published none of its own
    project.write({"b2.md": native_note("Other, edited")})
    after = _wait_for_new_epoch(preview, before)
    assert _number(after) == _number(before) + 1, (before, after)
    assert "Other, edited" in _get(f"{preview.url}notes/b2/")[2]


def test_rename_and_delete_notes(project: Project, started: Callable[..., Preview]) -> None:
    project.write({"a1.md": native_note("Kept"), "b2.md": native_note("Moving")})
    preview = started()
    before = _epoch(preview)
    (project.content / "b2.md").rename(project.content / "c3.md")
    before = _wait_for_new_epoch(preview, before)
    assert _get(f"{preview.url}notes/b2/")[0] == 404
    assert "Moving" in _get(f"{preview.url}notes/c3/")[2]
    (project.content / "c3.md").unlink()
    _wait_for_new_epoch(preview, before)
    assert _get(f"{preview.url}notes/c3/")[0] == 404


def test_failed_build_keeps_the_last_good_site_and_shows_the_errors(
    project: Project, started: Callable[..., Preview]
) -> None:
    project.write({"a1.md": native_note("Good title")})
    preview = started()
    good = (project.site / "notes" / "a1" / "index.html").read_bytes()
    before = _epoch(preview)
    broken = native_note("Broken <b>title</b>", header="| Signal | Change | 10y horizon |")
    project.write({"a1.md": broken})
    before = _wait_for_new_epoch(preview, before)
    assert (project.site / "notes" / "a1" / "index.html").read_bytes() == good
    for url in (f"{preview.url}notes/a1/", preview.url, f"{preview.url}no/such/page/"):
        body = _get(url)[2]
        assert "signalkb-overlay" in body, url
        assert "content/a1.md:" in body and "error" in body
    body = _get(f"{preview.url}notes/a1/")[2]
    assert "Good title" in body  # the last good page, under the overlay
    assert "<b>title</b>" not in body
    assert "content/a1.md:" in _stream(preview, "err")
    assert "build failed" in _stream(preview, "err")
    project.write({"a1.md": native_note("Fixed title")})
    _wait_for_new_epoch(preview, before)
    body = _get(f"{preview.url}notes/a1/")[2]
    assert "Fixed title" in body and "signalkb-overlay" not in body


def test_first_build_failing_still_serves_and_recovers(project: Project, started: Callable[..., Preview]) -> None:
    project.write({"a1.md": native_note("T", header="| Signal | Change |")})
    preview = started()
    status, _, body = _get(preview.url)
    assert status == 404 and "signalkb-overlay" in body and "signalkb-live-reload" in body
    before = _epoch(preview)
    project.write({"a1.md": native_note("Now fine")})
    _wait_for_new_epoch(preview, before)
    status, _, body = _get(preview.url)
    assert status == 200 and "signalkb-overlay" not in body


def test_template_and_site_yaml_changes_rebuild(project: Project, started: Callable[..., Preview]) -> None:
    templates = project.root / "templates"
    shutil.copytree(PACKAGE_ROOT / "templates", templates)
    config_file = project.root / "site.yaml"
    config_file.write_text("title: First site title\ntemplates_dir: templates\n", encoding="utf-8")
    project.write({"a1.md": native_note("A note")})

    def reload_config() -> tuple[SiteConfig, list[object]]:
        return load_config(config_file, {"content_dir": str(project.content), "out_dir": str(project.site)})  # type: ignore[return-value]

    config, _ = reload_config()
    preview = started(config, config_file=config_file, reload_config=reload_config)
    assert "First site title" in _get(preview.url)[2]
    before = _epoch(preview)
    config_file.write_text("title: Second site title\ntemplates_dir: templates\n", encoding="utf-8")
    before = _wait_for_new_epoch(preview, before)
    assert "Second site title" in _get(preview.url)[2]
    base = templates / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("built with signalkb", "made by hand"), encoding="utf-8")
    _wait_for_new_epoch(preview, before)
    for url in ("", "notes/a1/", "forces/"):
        assert "made by hand" in _get(preview.url + url)[2], url


def test_server_refuses_traversal(project: Project, started: Callable[..., Preview]) -> None:
    project.write({"a1.md": native_note("A note")})
    (project.root / "secret.txt").write_text("secret", encoding="utf-8")
    preview = started()
    assert preview.server is not None
    (project.site / "leak.txt").symlink_to(project.root / "secret.txt")
    (project.site / "leakdir").symlink_to(project.root)
    served = {}
    for request_path in [*(p for p in TRAVERSALS if p.startswith("/")), "/signals.json/../../x", "/leakdir/"]:
        status, _, body = _raw(preview.server.port, "GET", request_path)
        if status != 404 or b"secret" in body:
            served[request_path] = status
    assert served == {}
    assert _raw(preview.server.port, "GET", "/notes/a1/")[0] == 200


def test_requests_never_see_a_half_published_site(project: Project, started: Callable[..., Preview]) -> None:
    project.write({f"n{i}.md": native_note(f"Note {i}") for i in range(20)})
    preview = started()
    assert preview.server is not None
    port = preview.server.port
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        while not stop.is_set():
            connection.request("GET", "/notes/n0/")
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or not body.rstrip().endswith(b"</html>"):
                failures.append(f"{response.status} {body[-40:]!r}")
        connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        epoch = _epoch(preview)
        for round_ in range(4):
            project.write({"n0.md": native_note(f"Note 0, version {round_}")})
            epoch = _wait_for_new_epoch(preview, epoch)
    finally:
        stop.set()
        for thread in threads:
            thread.join(WAIT)
    assert failures == []
    assert "version 3" in _get(f"{preview.url}notes/n0/")[2]


class _SeenLock:
    """The preview's publish lock, telling the test when a request has come to take it."""

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.asked = threading.Event()

    def __enter__(self) -> None:
        self.asked.set()
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_requests_wait_while_a_build_publishes(
    project: Project, started: Callable[..., Preview], monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write({"a1.md": native_note("A note")})
    preview = started()
    lock = preview.state.publish_lock
    seen = _SeenLock(lock)
    monkeypatch.setattr(preview.state, "publish_lock", seen)  # what each request takes before it reads a file
    answers: list[int] = []
    with lock:  # what the build holds while it swaps the new site in
        reader = threading.Thread(target=lambda: answers.append(_get(preview.url)[0]))
        reader.start()
        assert seen.asked.wait(WAIT), "the request did not take the publish lock"
        assert answers == [] and reader.is_alive(), "a request was answered while the site was being published"
    reader.join(WAIT)
    assert answers == [200]


def test_a_crashing_build_shows_an_error_and_the_preview_lives_on(
    project: Project, started: Callable[..., Preview], monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write({"a1.md": native_note("Before the crash")})
    preview = started()

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput <x>")

    real = pipeline.preview_build
    monkeypatch.setattr(pipeline, "preview_build", crash)
    epoch = _epoch(preview)
    project.write({"a1.md": native_note("During the crash")})
    epoch = _wait_for_new_epoch(preview, epoch)
    body = _get(f"{preview.url}notes/a1/")[2]
    assert "the build crashed" in body and "kaput &lt;x&gt;" in body and "Before the crash" in body
    monkeypatch.setattr(pipeline, "preview_build", real)
    project.write({"a1.md": native_note("After the crash")})
    _wait_for_new_epoch(preview, epoch)
    body = _get(f"{preview.url}notes/a1/")[2]
    assert "After the crash" in body and "signalkb-overlay" not in body


def test_refuses_to_serve_a_folder_signalkb_did_not_make(project: Project, started: Callable[..., Preview]) -> None:
    project.write({"a1.md": native_note("A note")})
    project.site.mkdir()
    (project.site / "private.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ServeError, match="not made by signalkb"):
        started()


def test_cli_rejects_a_bad_port() -> None:
    from tests.conftest import run_cli

    run = run_cli("serve", "--port", "70000")
    assert run.status == 2
    assert "--port" in run.err


def test_ctrl_c_stops_cleanly(project: Project) -> None:
    project.write({"a1.md": native_note("A note")})
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", "--content", "content", "--out", "site"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = ""
        deadline = time.monotonic() + WAIT
        while "serving" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        url = line.split(" at ")[1].split()[0]
        assert _get(url)[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode in (0, 130), err
    assert "Traceback" not in err
    assert "stopped" in out
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
