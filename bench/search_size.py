#!/usr/bin/env python3
"""Search at scale: index size, indexing time and the bytes a first query transfers (`make bench-search`).

Builds a generated knowledge base (../shared/bench/gen_corpus.py, cached like build_speed.py's corpora) with
search on, then reports the Pagefind bundle's size and file count, the time the `search` stage took, and,
in Debian's Chromium over real HTTP, what the search page downloads for its first query: the search
script, Pagefind's loader and WebAssembly, the filter index and the index chunks and fragments for the
results shown. No timing is asserted anywhere: this is a measurement.
"""

from __future__ import annotations

import argparse
import functools
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import corpus

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def common_word(content: Path) -> str:
    """The most frequent longer word in the signal tables: a query with many results."""
    words: Counter[str] = Counter()
    for path in sorted(content.glob("*.md"))[:500]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("| ") and not line.startswith("| Signal"):
                words.update(re.findall(r"[a-z]{6,}", line.split("|")[1].lower()))
    return words.most_common(1)[0][0]


def first_query(site: Path, word: str) -> tuple[int, int, float]:
    """Bytes and requests the search page fetches to show its first results for `word`, and the seconds it took."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            sizes: list[int] = []
            page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]))
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/search/")
            page.wait_for_load_state("networkidle")
            sizes.clear()  # the page itself and its stylesheet are not the query's cost
            started = time.perf_counter()
            page.fill("#search-q", word)
            page.wait_for_selector(".search-result", timeout=60_000)
            page.wait_for_load_state("networkidle")
            seconds = time.perf_counter() - started
            browser.close()
            return sum(sizes), len(sizes), seconds
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[10000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="signalkb-search-bench-"))
    print(f"{'notes':>7} {'pages indexed':>13} {'index MB':>9} {'files':>6} {'index s':>8} {'query KB':>9} {'req':>4}")
    try:
        for n in args.notes:
            content = work / f"content-{n}"
            shutil.copytree(corpus(n, "native"), content)  # the build writes its permalink ledger there
            out = work / f"site-{n}"
            build = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "build.py"),
                    "build",
                    "--content",
                    str(content),
                    "--out",
                    str(out),
                    "--clean",
                    "--verbose",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if build.returncode != 0:
                print(build.stderr[-2000:], file=sys.stderr)
                return 1
            stage = re.search(r"search ([\d.]+) s", build.stdout)
            size, files = folder_size(out / "pagefind")
            indexed = len(list((out / "notes").glob("*/index.html"))) + len(
                list((out / "signals").glob("*/index.html"))
            )
            transfer, requests, _ = first_query(out, common_word(content))
            print(
                f"{n:>7} {indexed:>13} {size / 1e6:>9.1f} {files:>6} "
                f"{float(stage.group(1)) if stage else float('nan'):>8.1f} {transfer / 1e3:>9.0f} {requests:>4}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
