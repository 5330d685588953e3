#!/usr/bin/env python3
"""Build speed and memory of signalkb side by side with Hugo on generated knowledge bases (`make bench`).

Generates corpora with ../shared/bench/gen_corpus.py (cached under the system temp folder), installs
Debian's `hugo` if it is missing (when run as root), then measures, for each size:
  - Hugo: a clean build of the same pages into an empty folder (median of --runs);
  - signalkb cold: `build.py build --clean --no-search` into an empty folder (the same pages as Hugo's),
    then with the search index (Pagefind; Hugo's site has no search);
  - signalkb cold with bench/hugo-like-templates: pages that hold what Hugo's do, no more (what the tool
    costs, beside what signalkb's richer pages cost);
  - signalkb warm: a rebuild with nothing changed;
  - signalkb one-note edit: `build.py build` after one note's summary changed (the full incremental build);
  - the preview: one note's summary saved → its page served with the new text, `build.py serve` (its fast
    path) next to `hugo server`, with bench/edit_reload.py.
Before every cold run the output folder is removed and the disk synced, untimed, for both tools.
Prints one table with wall time (median), peak RSS, pages/s and the ratio to Hugo's clean build (edit
rows: to `hugo server`'s). No timing is asserted anywhere: this is a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
CACHE = Path(tempfile.gettempdir()) / "signalkb-bench"


def corpus(notes: int, flavor: str) -> Path:
    """A generated corpus, made once and reused."""
    out = CACHE / f"{flavor}-{notes}"
    if not (out / ".done").exists():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(SHARED_BENCH / "gen_corpus.py"),
                "--notes",
                str(notes),
                "--out",
                str(out),
                "--flavor",
                flavor,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (out / ".done").touch()
    return out


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB, from GNU time; 0 where it is missing) of one run of `cmd`."""
    gnu_time = Path("/usr/bin/time")
    full = [str(gnu_time), "-f", "%M", *cmd] if gnu_time.exists() else cmd
    start = time.perf_counter()
    proc = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    lines = proc.stderr.strip().splitlines()
    rss = int(lines[-1]) if gnu_time.exists() and lines and lines[-1].isdigit() else 0
    return wall, rss


def measure(cmd: list[str], runs: int, prepare: Callable[[], None] | None = None) -> tuple[float, int]:
    """Median wall time and the largest peak RSS over `runs` runs (`prepare()` before each)."""
    walls: list[float] = []
    peak = 0
    for _ in range(runs):
        if prepare is not None:
            prepare()
        wall, rss = timed(cmd)
        walls.append(wall)
        peak = max(peak, rss)
    return statistics.median(walls), peak


def ensure_hugo() -> str | None:
    """Path of Debian's hugo, installed with apt when missing and allowed."""
    found = shutil.which("hugo")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=False, stdout=subprocess.DEVNULL)
    return shutil.which("hugo")


def count_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("*.html"))


def emptied(*folders: Path) -> Callable[[], None]:
    """A `prepare` step: the folders removed and the disk synced, so no run pays for the last one's writes."""

    def prepare() -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        os.sync()

    return prepare


def hugo_like(work: Path) -> Path:
    """A site.yaml whose templates are the project's with bench/hugo-like-templates laid over them."""
    templates = work / "hugo-like-templates"
    if not templates.exists():
        shutil.copytree(ROOT / "templates", templates)
        for layout in (ROOT / "bench" / "hugo-like-templates").glob("*.html"):
            shutil.copy(layout, templates / layout.name)
    config = work / "hugo-like.yaml"
    config.write_text(f"templates_dir: {json.dumps(str(templates))}\n", encoding="utf-8")
    return config


Row = tuple[str, int, int | None, float, int | None, str]
"""tool, notes, pages, wall seconds, peak RSS KiB, what the ratio compares with ("build" or "edit")."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--no-serve", action="store_true", help="leave out the preview's edit-to-served rows")
    args = parser.parse_args()
    rows: list[Row] = []
    hugo = None if args.no_hugo else ensure_hugo()
    work = Path(tempfile.mkdtemp(prefix="signalkb-bench-run-"))
    try:
        for n in args.notes:
            native = corpus(n, "native")
            if hugo:
                content = corpus(n, "hugo")
                out = work / f"hugo-{n}"
                cmd = [hugo, "--quiet", "-s", str(SHARED_BENCH / "hugo-site"), "--contentDir", str(content)]
                wall, rss = measure([*cmd, "-d", str(out)], args.runs, prepare=emptied(out))
                rows.append(("hugo (clean)", n, count_pages(out), wall, rss, "build"))
            out = work / f"skb-{n}"
            base = [sys.executable, str(ROOT / "build.py"), "build", "--content", str(native), "--out", str(out), "-q"]
            cache = work / ".signalkb-cache"
            wall, rss = measure([*base, "--clean"], args.runs, prepare=emptied(out, cache))
            with_search = ("signalkb cold, with search index", n, count_pages(out), wall, rss, "build")
            base.append("--no-search")  # from here on, the pages Hugo makes
            hugo_like_build = [*base, "--clean", "--config", str(hugo_like(work))]
            wall, rss = measure(hugo_like_build, args.runs, prepare=emptied(out, cache))
            lean = ("signalkb cold, Hugo-like templates", n, count_pages(out), wall, rss, "build")
            wall, rss = measure([*base, "--clean"], args.runs, prepare=emptied(out, cache))
            pages = count_pages(out)
            rows.append(("signalkb cold, no search (Hugo's pages)", n, pages, wall, rss, "build"))
            rows.append(with_search)
            rows.append(lean)
            wall, rss = measure(base, args.runs)
            rows.append(("signalkb warm, nothing changed", n, pages, wall, rss, "build"))
            victim = sorted(native.glob("*.md"))[n // 2]
            original = victim.read_text(encoding="utf-8")

            def edit(victim: Path = victim, original: str = original) -> None:
                victim.write_text(
                    original.replace("## Summary\n\n", f"## Summary\n\nEdited {time.time_ns()}. "), encoding="utf-8"
                )

            try:
                wall, rss = measure(base, args.runs, prepare=edit)
            finally:
                victim.write_text(original, encoding="utf-8")
            rows.append(("signalkb build, one-note edit", n, pages, wall, rss, "build"))
            if not args.no_serve:
                rows.extend(serve_rows(n, args.runs, hugo is not None))
            print_table(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def serve_rows(notes: int, repeat: int, with_hugo: bool) -> list[Row]:
    """The preview: a note edit → its page served, for `build.py serve` and `hugo server` (bench/edit_reload.py)."""
    import edit_reload

    cache = edit_reload.cache_dir(None)
    out: list[Row] = []
    runs = [("signalkb serve: note edit → served", edit_reload.run_signalkb)]
    if with_hugo:
        runs.insert(0, ("hugo server: note edit → served", edit_reload.run_hugo))
    for label, run in runs:
        result = run(cache, notes, repeat, 600.0, templates=False)
        if result.error or not result.note_edits:
            print(f"{label}: {result.error or 'no edit measured'}", file=sys.stderr)
            continue
        out.append((label, notes, None, statistics.median(result.note_edits), None, "edit"))
    return out


def print_table(rows: list[Row]) -> None:
    ref = {(n, kind): wall for tool, n, _, wall, _, kind in rows if tool.startswith("hugo")}
    print(f"\n{'tool':40} {'notes':>7} {'pages':>7} {'wall s':>8} {'peak MB':>8} {'pages/s':>8} {'× hugo':>7}")
    for tool, n, pages, wall, rss, kind in rows:
        ratio = f"{wall / ref[(n, kind)]:.2f}" if (n, kind) in ref else "—"
        shown_pages = f"{pages:7d}" if pages is not None else f"{'—':>7}"
        peak = f"{rss / 1024:8.0f}" if rss else f"{'—':>8}"
        rate = f"{pages / wall:8.0f}" if pages else f"{'—':>8}"
        print(f"{tool:40} {n:7d} {shown_pages} {wall:8.3f} {peak} {rate} {ratio:>7}")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
