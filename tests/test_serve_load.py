"""The preview server under load: 50 clients for 10 seconds while notes are edited, on loopback.

`python build.py serve --port 0` runs as a user starts it. Every request must be answered 200, 302 (a folder
without its slash), 304 or 404, never 5xx; every HTML page must be whole (a page swapped in by a rebuild is never
seen half-written); paths that try to leave the output folder get 404 and nothing outside it is ever served.
The clients keep going past the 10 seconds until they have seen the preview publish rebuilds while they ran (the
live-reload epoch it serves), so a slow machine cannot pass the test without rebuilds under load.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import ROOT, Project, native_note

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "10"))
MAX_REQUESTS = 4000
"""Most requests one client makes (the test is bounded in count as well as in time)."""
EPOCHS = 3
"""Builds the clients must see published (the first one and two rebuilds at least) before they stop."""
OVERTIME = 120.0
"""Seconds the clients may go on past SECONDS waiting for those rebuilds before the test fails."""
SECRET = "secret-token-7f3a9c"
TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/notes/..%2f..%2fsecret.txt",
    "/notes/../../secret.txt",
    "//secret.txt",
    "/%00/../secret.txt",
    "/etc/passwd",
    "/../../../../../../etc/passwd",
    "/content/a00.md",
    "/../content/a00.md",
    "/.signalkb",
    "/.nojekyll/../../secret.txt",
    "http://127.0.0.1/../secret.txt",
    "file:///etc/passwd",
    "/%c0%ae%c0%ae/secret.txt",
    "/\\..\\secret.txt",
]


@dataclass
class Tally:
    """What the clients saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    epochs: set[str] = field(default_factory=set)
    """The published builds (live-reload epochs) the clients were told of while they ran."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, problem: str | None = None, epoch: str | None = None) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            if problem is not None and len(self.problems) < 50:
                self.problems.append(problem)
            if epoch is not None:
                self.epochs.add(epoch)

    def seen(self) -> int:
        with self.lock:
            return len(self.epochs)


def _notes(project: Project, version: int) -> None:
    project.write(
        {
            f"a{i:02d}.md": native_note(
                f"Note {i} version {version}",
                f"2024{1 + i % 12:02d}{1 + i % 27:02d}",
                rows=[(f"Signal {i} {k}", "Change", "Horizon", f"Force {k % 4}") for k in range(3)],
            )
            for i in range(30)
        }
    )


def _start(project: Project, errors: list[str]) -> tuple[subprocess.Popen[str], int, threading.Thread]:
    """The preview as a user runs it; its output is drained all along (a full pipe would stall it). Returns the
    process, its port and the thread that collects its stderr into `errors` (done once the process has exited)."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", "--content", "content", "--out", "site"],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    collector = threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True)
    collector.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep draining
            return process, int(found.group(1)), collector
    process.kill()
    raise AssertionError(f"the preview did not print its address: {errors}")


def _client(port: int, paths: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(MAX_REQUESTS):
        if stop.is_set():
            break
        path = rng.choice(paths) if rng.random() > 0.05 else rng.choice(TRAVERSALS)
        method = "HEAD" if rng.random() < 0.1 else "GET"
        try:
            connection.request(method, path, headers={"If-None-Match": '"x"'} if rng.random() < 0.05 else {})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            tally.add(-1, f"{method} {path}: {exc!r}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        status = response.status
        problem = None
        kind = response.getheader("Content-Type", "")
        if status >= 500 or status not in (200, 302, 304, 404):
            problem = f"{method} {path}: {status}"
        elif path in TRAVERSALS and status != 404:
            problem = f"{method} {path}: {status}, not 404"
        elif SECRET.encode() in body or b"root:x:0:0" in body or b"# __Note" in body:
            problem = f"{method} {path}: served a file from outside the output folder"
        elif method == "GET" and kind.startswith("text/html") and not body.rstrip().endswith(b"</html>"):
            problem = f"{method} {path}: {status} page is not whole ({len(body)} bytes)"
        elif method == "GET" and status == 200 and int(response.getheader("Content-Length", "-1")) != len(body):
            problem = f"{method} {path}: Content-Length does not match"
        epoch = None
        if method == "GET" and status == 200 and path.startswith("/__reload?"):
            epoch = str(json.loads(body)["epoch"])  # `epoch=old`: answered at once with the current build
        tally.add(status, problem, epoch)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()


def _editor(project: Project, stop: threading.Event, versions: list[int], errors: list[str]) -> None:
    """Saves notes the way people do while the clients read: edits, a broken table, a delete and re-create.

    The first broken table stays until the preview has reported it (at most 30 s): on a slow machine a
    rebuild may otherwise start only after the next save has mended it.
    """
    version = 1
    while not stop.is_set():
        version += 1
        if version % 7 == 0:
            project.write({"a05.md": native_note("Broken", header="| Signal | Change | 10y horizon |")})
            deadline = time.monotonic() + 30
            while version == 7 and time.monotonic() < deadline and not any("build failed" in e for e in errors):
                time.sleep(0.1)
        elif version % 11 == 0:
            (project.content / "a07.md").unlink(missing_ok=True)
        else:
            _notes(project, version)
            versions.append(version)
        time.sleep(0.3)
    _notes(project, version + 1)
    versions.append(version + 1)


def test_preview_holds_under_load_while_notes_change(project: Project) -> None:
    (project.root / "secret.txt").write_text(SECRET, encoding="utf-8")
    _notes(project, 1)
    errors: list[str] = []
    process, port, collector = _start(project, errors)
    try:
        pages = sorted(p.relative_to(project.site).as_posix() for p in project.site.rglob("*") if p.is_file())
        paths = ["/" + p.removesuffix("index.html") for p in pages if not p.startswith(".")]
        paths += ["/notes/a01", "/notes/missing/", "/signals/nothing-here/", "/__reload?epoch=old", "/assets/none.css"]
        assert len(paths) > 100
        tally = Tally()
        stop = threading.Event()
        versions: list[int] = []
        threads = [threading.Thread(target=_editor, args=(project, stop, versions, errors))]
        threads += [threading.Thread(target=_client, args=(port, paths, tally, stop, n)) for n in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        # SECONDS of load, and on until the clients have been told of EPOCHS published builds (never a fixed
        # count of rebuilds in a fixed time: only how long the load lasts depends on the machine)
        try:
            time.sleep(SECONDS)
            overtime = time.monotonic() + OVERTIME
            while tally.seen() < EPOCHS and time.monotonic() < overtime and any(t.is_alive() for t in threads[1:]):
                time.sleep(0.1)
        finally:
            stop.set()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a client hung"
        assert tally.seen() >= EPOCHS, f"the clients saw {tally.seen()} builds in {time.monotonic() - started:.0f} s"
        assert tally.problems == [], tally.problems
        assert tally.statuses[-1] == 0, "connection errors"
        assert tally.statuses[200] > 500 and tally.statuses[404] > 0 and len(versions) > 3, (tally.statuses, versions)
        print(
            f"{tally.requests} requests by {CLIENTS} clients in {time.monotonic() - started:.0f} s, "
            f"{tally.seen()} builds seen: {dict(tally.statuses)}"
        )

        # the last edit is served once the preview has rebuilt (bounded wait, not a timing assertion)
        want = f"Note 1 version {versions[-1]}".encode()
        deadline = time.monotonic() + 60
        body = b""
        while want not in body and time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/notes/a01/")
            body = connection.getresponse().read()
            connection.close()
            time.sleep(0.2)
        assert want in body, "the preview stopped rebuilding"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
    collector.join(timeout=30)  # the process has exited: its stderr ends, and every line of it is in `errors`
    assert not collector.is_alive(), "the preview's stderr did not end"
    assert not [line for line in errors if "Traceback" in line]
    assert any("build failed" in line for line in errors), "the broken note was not noticed"
    assert not list(Path(project.root).glob(".site.*"))
