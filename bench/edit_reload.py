#!/usr/bin/env python3
"""Edit-to-reload benchmark of the preview: `build.py serve` next to `hugo server` on the same generated corpus.

For each corpus size it measures, on a fresh copy of the corpus:
  first serve    process start → the site is served (a cold build)
  note edit      one note saved → its page is served with the new text (what a writer waits for)
  template edit  base template saved → the home, a note and the signals index are served with the change

signalkb is watched the way a browser does it (long-poll `/__reload`, then fetch the page); Hugo (which serves
from memory with fast render) is polled every 20 ms. Corpora are generated once and cached under
`<temp>/signalkb-bench/`; every wait is bounded by --timeout.

    python bench/edit_reload.py                      # 1,000 and 10,000 notes, 3 edits each, with Hugo
    python bench/edit_reload.py --notes 1000 --repeat 1 --no-hugo
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
GEN_CORPUS = SHARED_BENCH / "gen_corpus.py"
HUGO_SITE = SHARED_BENCH / "hugo-site"
HUGO = shutil.which("hugo") or "/usr/bin/hugo"
TARGET_NOTE_EDIT = 0.300
"""Seconds: the goal for a one-note edit at 10,000 notes (issue #5)."""


@dataclass
class Result:
    """Timings of one tool on one corpus size, in seconds."""

    tool: str
    notes: int
    first_serve: float = float("nan")
    note_edits: list[float] = field(default_factory=list)
    template_edits: list[float] = field(default_factory=list)
    error: str | None = None


class Timeout(Exception):
    """A bounded wait ran out."""


def cache_dir(arg: str | None) -> Path:
    folder = Path(arg) if arg else Path(tempfile.gettempdir()) / "signalkb-bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def corpus(cache: Path, notes: int, flavor: str) -> Path:
    """The generated corpus, made once (into a temp folder, then renamed, so a killed run leaves no half corpus)."""
    target = cache / f"corpus-{flavor}-{notes}"
    if target.is_dir():
        return target
    partial = Path(tempfile.mkdtemp(prefix=f".corpus-{flavor}-{notes}-", dir=cache))
    shutil.rmtree(partial)
    print(f"  generating {notes} notes ({flavor}) …", flush=True)
    subprocess.run(
        [sys.executable, str(GEN_CORPUS), "--notes", str(notes), "--out", str(partial), "--flavor", flavor],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    partial.rename(target)
    return target


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def get(url: str, timeout: float = 60.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise Timeout(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def served(pages: list[str], marker: str) -> Callable[[], bool]:
    """A check that every page is served with `marker` in it."""
    return lambda: all(marker in get(page)[1] for page in pages)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- signalkb ---------------------------------------------------------------------------------------------------


class Signalkb:
    """`build.py serve --port 0` in a project folder; follows `/__reload` as the injected script does."""

    def __init__(self, work: Path, content: Path, timeout: float) -> None:
        self.work = work
        self.timeout = timeout
        shutil.copytree(content, work / "content")
        shutil.copytree(ROOT / "templates", work / "templates")
        (work / "site.yaml").write_text("templates_dir: templates\n", encoding="utf-8")
        self.log = open(work / "serve.log", "w", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.lines: queue.Queue[str] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", "--config", "site.yaml"],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        with open(self.work / "serve.out", "w", encoding="utf-8") as copy:
            for line in self.process.stdout:
                copy.write(line)
                copy.flush()
                self.lines.put(line)

    def wait_served(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.url:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise Timeout(f"no 'serving' line after {self.timeout:.0f} s; see {self.work / 'serve.log'}") from None
            if line.startswith("serving ") and " at " in line:
                self.url = line.split(" at ", 1)[1].split()[0]

    def epoch(self, known: str = "") -> str:
        _, body = get(f"{self.url}__reload?epoch={known}", timeout=self.timeout)
        return str(json.loads(body)["epoch"]) if body else known

    def wait_for(self, epoch: str, pages: list[str], marker: str) -> None:
        """Follow the published epochs until every page in `pages` is served with `marker`."""
        deadline = time.monotonic() + self.timeout
        while True:
            epoch = self.epoch(epoch)
            if all(marker in get(self.url + page)[1] for page in pages):
                return
            if time.monotonic() > deadline:
                raise Timeout(f"{marker} not served after {self.timeout:.0f} s")

    def close(self) -> None:
        stop(self.process)
        self.log.close()


def run_signalkb(cache: Path, notes: int, repeat: int, timeout: float, templates: bool = True) -> Result:
    result = Result("signalkb", notes)
    work = fresh(cache / f"work-signalkb-{notes}")
    content = corpus(cache, notes, "native")
    started = time.perf_counter()
    server = Signalkb(work, content, timeout)
    try:
        server.wait_served()
        result.first_serve = time.perf_counter() - started
        files = sorted((work / "content").glob("*.md"))
        note = files[len(files) // 2]
        page = f"notes/{note.stem}/"
        original = note.read_text(encoding="utf-8")
        for i in range(repeat):
            marker = f"BENCH-NOTE-{i}-{os.getpid()}"
            epoch = server.epoch()
            note.write_text(original.replace("## Summary\n\n", f"## Summary\n\n{marker} ", 1), encoding="utf-8")
            saved = time.perf_counter()
            server.wait_for(epoch, [page], marker)
            result.note_edits.append(time.perf_counter() - saved)
        base = work / "templates" / "base.html"
        template = base.read_text(encoding="utf-8")
        for i in range(max(1, repeat - 1) if templates else 0):
            marker = f"BENCH-TEMPLATE-{i}-{os.getpid()}"
            epoch = server.epoch()
            base.write_text(template.replace("built with signalkb", f"built with signalkb {marker}"), encoding="utf-8")
            saved = time.perf_counter()
            server.wait_for(epoch, ["", page, "signals/"], marker)
            result.template_edits.append(time.perf_counter() - saved)
    except Timeout as exc:
        result.error = str(exc)
    finally:
        server.close()
    return result


# --- hugo server -------------------------------------------------------------------------------------------------


def run_hugo(cache: Path, notes: int, repeat: int, timeout: float, templates: bool = True) -> Result:
    result = Result("hugo", notes)
    if not Path(HUGO).exists():
        result.error = f"{HUGO} not found"
        return result
    work = fresh(cache / f"work-hugo-{notes}")
    shutil.copytree(HUGO_SITE, work / "site")
    shutil.copytree(corpus(cache, notes, "hugo"), work / "content")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(work / "hugo.log", "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    started = time.perf_counter()
    command = [HUGO, "server", "-s", str(work / "site"), "--contentDir", str(work / "content")]
    command += ["--bind", "127.0.0.1", "--port", str(port), "--baseURL", url, "--disableBrowserError"]
    process = subprocess.Popen(
        command,
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        until(lambda: get(url, timeout=5)[0] == 200, timeout, "hugo server to serve the site", interval=0.1)
        result.first_serve = time.perf_counter() - started
        files = sorted((work / "content" / "notes").glob("*.md"))
        note = files[len(files) // 2]
        page = f"{url}notes/{note.stem}/"
        original = note.read_text(encoding="utf-8")
        for i in range(repeat):
            marker = f"BENCH-NOTE-{i}-{os.getpid()}"
            note.write_text(original + f"\n\n{marker}\n", encoding="utf-8")
            saved = time.perf_counter()
            until(served([page], marker), timeout, "the edited note")
            result.note_edits.append(time.perf_counter() - saved)
        base = work / "site" / "layouts" / "_default" / "baseof.html"
        template = base.read_text(encoding="utf-8")
        for i in range(max(1, repeat - 1) if templates else 0):
            marker = f"BENCH-TEMPLATE-{i}-{os.getpid()}"
            base.write_text(template.replace("</nav>", f" {marker}</nav>"), encoding="utf-8")
            saved = time.perf_counter()
            until(served([url, page, f"{url}signals/"], marker), timeout, "the template change")
            result.template_edits.append(time.perf_counter() - saved)
    except Timeout as exc:
        result.error = str(exc)
    finally:
        stop(process)
        log.close()
    return result


# --- report ------------------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cell(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def compared(ours: float, hugo: float) -> str:
    """signalkb's time next to Hugo's, in words."""
    return f"{ours / hugo:.1f}× slower" if ours >= hugo else f"{hugo / ours:.1f}× faster"


def row(*cells: str) -> str:
    widths = (7, 9, 11, 28, 28)
    return "  ".join(
        f"{c:>{w}}" if i in (0, 2) else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def table(results: list[Result]) -> str:
    head = row("notes", "tool", "first serve", "note edit → page served", "template edit → all served")
    lines = ["seconds; edits: median (min–max)", head, "-" * len(head)]
    for notes in sorted({r.notes for r in results}):
        rows = {r.tool: r for r in results if r.notes == notes}
        for r in rows.values():
            lines.append(row(f"{notes:,}", r.tool, f"{r.first_serve:.2f}", cell(r.note_edits), cell(r.template_edits)))
            if r.error:
                lines.append(f"{'':>7}  ({r.tool}: {r.error})")
        ours, hugo = rows.get("signalkb"), rows.get("hugo")
        if ours and hugo:
            note, template = (
                compared(median(a), median(b)) if a and b else "—"
                for a, b in ((ours.note_edits, hugo.note_edits), (ours.template_edits, hugo.template_edits))
            )
            lines.append(row("", "ratio", f"{ours.first_serve / hugo.first_serve:.1f}×", note, template))
    for r in results:
        if r.tool == "signalkb" and r.notes >= 10_000 and r.note_edits:
            verdict = "met" if median(r.note_edits) < TARGET_NOTE_EDIT else "not met"
            lines.append(
                f"target at {r.notes:,} notes, one-note edit under {TARGET_NOTE_EDIT * 1000:.0f} ms: {verdict}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notes", type=int, nargs="+", default=[1000, 10000], help="corpus sizes")
    parser.add_argument("--repeat", type=int, default=3, help="note edits per size (template edits: one fewer)")
    parser.add_argument("--no-hugo", action="store_true", help="measure signalkb only")
    parser.add_argument("--cache", help="where corpora and work folders go (default: <temp>/signalkb-bench)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds any single wait may take")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    cache = cache_dir(args.cache)
    results: list[Result] = []
    for notes in args.notes:
        print(f"{notes:,} notes: signalkb …", flush=True)
        results.append(run_signalkb(cache, notes, args.repeat, args.timeout))
        if not args.no_hugo:
            print(f"{notes:,} notes: hugo server …", flush=True)
            results.append(run_hugo(cache, notes, args.repeat, args.timeout))
    print()
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], indent=2) + "\n", encoding="utf-8")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
