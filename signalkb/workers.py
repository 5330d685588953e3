"""Worker processes: parsing notes, and rendering batches of pickled page views into the staging folder."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import jinja2

from . import readers
from .diagnostics import Diagnostic
from .model import ParsedNote
from .pages import PageSpec
from .render import TemplateFailure, make_environment, render_page
from .sources import SourceFile

Batch = list[tuple[str, str, bytes]]
"""(output file, page URL, pickled (template, view)) triples."""

_state: dict[str, Any] = {}


def _init(templates_dir: str, staging_dir: str) -> None:
    _state["env"] = make_environment(Path(templates_dir))
    _state["templates"] = Path(templates_dir)
    _state["staging"] = Path(staging_dir)


def render_batch(batch: Batch) -> Diagnostic | None:
    """Render and write a batch of pages in this process; the first template error is returned, not raised."""
    env: jinja2.Environment = _state["env"]
    staging: Path = _state["staging"]
    made: set[Path] = set()
    for rel, url, payload in batch:
        template, view = pickle.loads(payload)  # noqa: S301 - made by the parent process of this build
        try:
            data = render_page(env, PageSpec(url, template, view), _state["templates"])
        except TemplateFailure as exc:
            return exc.diagnostic
        target = staging / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        with open(target, "wb") as handle:
            handle.write(data)
    return None


def _read_chunk(chunk: list[SourceFile]) -> list[tuple[ParsedNote | None, list[Diagnostic]]]:
    return [readers.read_note(source) for source in chunk]


def fork_safe() -> bool:
    """True when worker processes may be forked (no other threads that could hold locks)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def read_many(sources: list[SourceFile], jobs: int) -> list[tuple[ParsedNote | None, list[Diagnostic]]]:
    """Parse notes, in `jobs` forked processes when that is safe, in order."""
    if jobs <= 1 or not fork_safe() or len(sources) < 2:
        return [readers.read_note(source) for source in sources]
    size = max(16, len(sources) // (jobs * 8))
    chunks = [sources[i : i + size] for i in range(0, len(sources), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return [item for chunk in pool.map(_read_chunk, chunks) for item in chunk]


class Renderer:
    """Renders batches in-process (jobs = 1) or in a pool of worker processes; collects the first error."""

    def __init__(self, jobs: int, templates_dir: Path, staging_dir: Path) -> None:
        self.error: Diagnostic | None = None
        self._pending: list[Future[Diagnostic | None]] = []
        self._pool: ProcessPoolExecutor | None = None
        if jobs > 1:
            method = "fork" if fork_safe() else "spawn"
            self._pool = ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=multiprocessing.get_context(method),
                initializer=_init,
                initargs=(str(templates_dir), str(staging_dir)),
            )
        else:
            _init(str(templates_dir), str(staging_dir))

    def submit(self, batch: Batch) -> None:
        """Render a batch now (in-process) or queue it for a worker."""
        if self._pool is None:
            self.error = self.error or render_batch(batch)
            return
        self._pending.append(self._pool.submit(render_batch, batch))
        if len(self._pending) > 64:
            self._collect(self._pending[:32])
            del self._pending[:32]

    def _collect(self, futures: list[Future[Diagnostic | None]]) -> None:
        for future in futures:
            result = future.result()
            if result is not None and self.error is None:
                self.error = result

    def finish(self) -> Diagnostic | None:
        """Wait for every batch; the first template error, if any."""
        if self._pool is not None:
            self._collect(self._pending)
            self._pending = []
            self._pool.shutdown()
            self._pool = None
        return self.error

    def close(self) -> None:
        """Stop the workers without waiting (after a failure)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
