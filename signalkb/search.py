"""Full-text search: Pagefind indexes the written signal and note pages into `pagefind/` beside them.

Pages opt in with `data-pagefind-body` (signal and note pages only: one result per signal and per note),
name their filters (`data-pagefind-filter`: force, category, theme, keyword, year, type) and the metadata a
result shows (`data-pagefind-meta`: note, date). The index is made after the pages are written: into the
staging folder before a cold build swaps it in, or beside the published site after an incremental build,
then swapped in whole, so a reader never sees half an index. The preview makes it on a thread of its own
(`BackgroundIndexer`) so a page refresh never waits for it.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from . import urls
from .diagnostics import Diagnostic, warning

log = logging.getLogger(__name__)

BUNDLE = urls.SEARCH_BUNDLE.rstrip("/")
"""The search bundle's folder in the site."""
GLOB = "{notes,signals}/**/*.html"
"""The pages Pagefind reads (the others carry no `data-pagefind-body`; skipping them saves time)."""
TIMEOUT = 900.0
"""Seconds an indexing run may take before it is given up (100,000 notes take a few minutes)."""
_HOW = "install pagefind (pip install 'pagefind[bin]'), or build with --no-search"


def executable() -> Path | None:
    """The Pagefind binary that the `pagefind[bin]` package ships, or None when it is not installed."""
    try:
        import pagefind_bin
    except ImportError:
        return None
    try:
        return Path(pagefind_bin.get_executable())
    except (FileNotFoundError, OSError, RuntimeError):
        return None


def index(site: Path, bundle: Path) -> Diagnostic | None:
    """Index the pages under `site` into the folder `bundle`; a warning (the site stays usable) when it fails."""
    binary = executable()
    if binary is None:
        return warning("the search index was not built: Pagefind is not installed", None, _HOW)
    command = [str(binary), "--site", str(site), "--output-path", str(bundle), "--glob", GLOB, "--silent"]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return warning(f"the search index was not built: {exc}", None, _HOW)
    if run.returncode != 0 or not (bundle / "pagefind.js").is_file():
        said = (run.stderr or run.stdout).strip().splitlines()
        why = said[-1] if said else f"Pagefind exited with status {run.returncode}"
        return warning(f"the search index was not built: {why}", None, _HOW)
    return None


def refresh(out_dir: Path, lock: AbstractContextManager[object] | None = None) -> Diagnostic | None:
    """Index the published site beside it, then swap the new bundle in (holding `lock` while swapping)."""
    out_dir = out_dir.resolve()
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-search-", dir=out_dir.parent))
    try:
        problem = index(out_dir, work / BUNDLE)
        if problem is not None:
            return problem
        with lock or nullcontext():
            target = out_dir / BUNDLE
            if target.exists():
                target.replace(work / "old")
            (work / BUNDLE).replace(target)
        return None
    except OSError as exc:
        return warning(f"the search index was not replaced: {exc}", None, "check free space and permissions")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def remove(out_dir: Path, lock: AbstractContextManager[object] | None = None) -> None:
    """Delete the site's search bundle (search was turned off)."""
    bundle = out_dir / BUNDLE
    if bundle.is_dir():
        with lock or nullcontext():
            shutil.rmtree(bundle, ignore_errors=True)


def is_indexed(out_dir: Path) -> bool:
    """True when the site has a search bundle."""
    return (out_dir / BUNDLE / "pagefind.js").is_file()


class BackgroundIndexer:
    """Re-indexes the preview's site on a thread of its own; requests made while it runs are merged into one.

    `done` is called with the outcome (None, or a warning) after every run.
    """

    def __init__(
        self,
        out_dir: Path,
        lock: AbstractContextManager[object] | None,
        done: Callable[[Diagnostic | None], None] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.lock = lock
        self.done = done
        self._state = threading.Condition()
        self._requested = 0
        self._finished = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="signalkb-search", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a new index of the site as it is now (returns at once)."""
        with self._state:
            self._requested += 1
            self._state.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every request so far has been served; False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._finished >= self._requested, timeout)

    def stop(self) -> None:
        """Stop after the current run (if any)."""
        with self._state:
            self._stopping = True
            self._state.notify_all()
        self._thread.join(timeout=TIMEOUT)

    def _loop(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._stopping or self._requested > self._finished)
                if self._stopping:
                    return
                serving = self._requested
            try:
                problem = refresh(self.out_dir, self.lock)
            except Exception as exc:  # the preview goes on without a fresh index
                log.exception("indexing for search failed")
                problem = warning(f"the search index was not built: {exc!r}", None, "this is a bug in signalkb")
            if self.done is not None:
                with contextlib.suppress(Exception):
                    self.done(problem)
            with self._state:
                self._finished = serving
                self._state.notify_all()
