#!/usr/bin/env python3
"""Build speed and memory of signalkb side by side with Hugo on generated knowledge bases (`make bench`).

Generates corpora with ../shared/bench/gen_corpus.py (cached under the system temp folder), installs
Debian's `hugo` if it is missing (when run as root), then times, for each size:
  - Hugo: a clean build of the same pages (median of --runs);
  - signalkb cold: `build.py build --clean --no-search` (the same pages as Hugo's), then with the search
    index (Pagefind; Hugo's site has no search) (median of --runs);
  - signalkb warm: a rebuild with nothing changed;
  - signalkb one-note edit: a rebuild after one note's text changed.
Prints one table with wall time (median), peak RSS, pages/s and the ratio to Hugo's clean build.
No timing is asserted anywhere: this is a measurement.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-hugo", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, int, int, float, int]] = []
    hugo = None if args.no_hugo else ensure_hugo()
    work = Path(tempfile.mkdtemp(prefix="signalkb-bench-run-"))
    try:
        for n in args.notes:
            native = corpus(n, "native")
            if hugo:
                content = corpus(n, "hugo")
                out = work / f"hugo-{n}"
                cmd = [
                    hugo,
                    "--quiet",
                    "-s",
                    str(SHARED_BENCH / "hugo-site"),
                    "--contentDir",
                    str(content),
                    "-d",
                    str(out),
                ]
                wall, rss = measure(cmd, args.runs, prepare=lambda out=out: shutil.rmtree(out, ignore_errors=True))
                rows.append(("hugo (clean)", n, count_pages(out), wall, rss))
            out = work / f"skb-{n}"
            base = [sys.executable, str(ROOT / "build.py"), "build", "--content", str(native), "--out", str(out), "-q"]
            wall, rss = measure([*base, "--clean", "--no-search"], args.runs)
            pages = count_pages(out)
            rows.append(("signalkb cold, no search (Hugo's pages)", n, pages, wall, rss))
            wall, rss = measure([*base, "--clean"], args.runs)
            rows.append(("signalkb cold, with search index", n, pages, wall, rss))
            wall, rss = measure(base, args.runs)
            rows.append(("signalkb warm, nothing changed", n, pages, wall, rss))
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
            rows.append(("signalkb one-note edit", n, pages, wall, rss))
            print_table(rows, hugo_ref_by_n(rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def hugo_ref_by_n(rows: list[tuple[str, int, int, float, int]]) -> dict[int, float]:
    return {n: wall for tool, n, _, wall, _ in rows if tool.startswith("hugo")}


def print_table(rows: list[tuple[str, int, int, float, int]], ref: dict[int, float]) -> None:
    print(f"\n{'tool':32} {'notes':>7} {'pages':>7} {'wall s':>8} {'peak MB':>8} {'pages/s':>8} {'× hugo':>7}")
    for tool, n, pages, wall, rss in rows:
        ratio = f"{wall / ref[n]:.2f}" if n in ref else "—"
        print(f"{tool:32} {n:7d} {pages:7d} {wall:8.2f} {rss / 1024:8.0f} {pages / wall:8.0f} {ratio:>7}")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
