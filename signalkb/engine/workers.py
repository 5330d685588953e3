"""Worker processes: building, fingerprinting and rendering pages into the staging folder.

Workers are forked, so they share the parent's knowledge base and page plan without copying them. Where
forking is not safe (other threads are running, as in the preview server), workers come from a fork
server instead: they are sent the knowledge base and plan the same pages themselves.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.diagnostics import Diagnostic
from signalkb.core.model import KnowledgeBase, ParsedNote
from signalkb.notes import readers
from signalkb.notes.sources import SourceFile
from signalkb.pages.plan import PageSpec, Planner
from signalkb.pages.render import TemplateFailure, make_environment, render_page
from signalkb.pages.views import ENCODER, RawFile

SHARD = 200
"""Pages per task given to a worker."""
READ_SHARD = 100
"""Notes per task given to a worker that reads notes."""
READ_POOL_THRESHOLD = 400
"""Fewer notes to read than this are read in-process (starting workers costs more)."""


def fork_safe() -> bool:
    """True when worker processes may be forked (no other threads that could hold locks)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _fork_pool(
    jobs: int, initializer: Callable[..., None] | None = None, args: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("fork"), initializer=initializer, initargs=args
    )


def _canonical(spec: PageSpec) -> bytes:
    """The page's template and view as bytes that change whenever the view changes (JSON: fast, in C)."""
    return (spec.template + "\0" + ENCODER.encode(spec.view)).encode("utf-8", "surrogatepass")


def fingerprint(seed: bytes, data: bytes) -> str:
    """What decides a file's bytes, hashed: the templates' digest and the page's pickled view (or the bytes)."""
    return hashlib.blake2b(seed + data, digest_size=16).hexdigest()


@dataclass
class RenderJob:
    """Everything a worker needs to build and render its share of the pages."""

    plan: Sequence[Callable[[], PageSpec | RawFile]]
    old: Mapping[str, str]
    """Fingerprints of the published pages; a page with the same fingerprint is not rendered again."""
    seed: bytes
    """Digest of the templates."""
    templates_dir: Path
    staging: Path
    source: tuple[KnowledgeBase, SiteConfig] | None = None
    """What `plan` was planned from, for workers that cannot share the parent's memory (they plan it again)."""


@dataclass
class ShardResult:
    """What one shard of pages gave: (output file, fingerprint) per page, files written, the first error."""

    pages: list[tuple[str, str]] = field(default_factory=list)
    html: int = 0
    """How many of `pages` are HTML pages (the others are raw files: JSON, feeds)."""
    written: int = 0
    error: Diagnostic | None = None


_worker: dict[str, Any] = {}
"""This process's job and Jinja environment (set by `_install`; forked workers inherit nothing else)."""


def _install_planned(data: bytes, pages: int, job: RenderJob) -> None:
    """A fork-server worker: the knowledge base and configuration unpickled, the same pages planned again."""
    kb, config = pickle.loads(data)  # noqa: S301 - pickled by our own parent process a moment ago
    plan = Planner(kb, config).plan()
    if len(plan) != pages:
        raise RuntimeError(f"a worker planned {len(plan)} pages, its parent {pages}")
    _install(replace(job, plan=plan))


def _shards(total: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive slices of `size` items (the last one shorter) covering `total` items."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _read_shard(bounds: tuple[int, int]) -> list[tuple[ParsedNote | None, list[Diagnostic]]]:
    sources: Sequence[SourceFile] = _worker["sources"]
    return [readers.read_note(source) for source in sources[bounds[0] : bounds[1]]]


def _install_sources(sources: Sequence[SourceFile]) -> None:
    _worker["sources"] = sources


def read_all(sources: Sequence[SourceFile], jobs: int) -> list[tuple[ParsedNote | None, list[Diagnostic]]]:
    """`readers.read_note` of every source, in order; by `jobs` forked workers when there are many notes.

    The workers inherit the sources' texts (forked) and send back the parsed notes.
    """
    if jobs < 2 or len(sources) < READ_POOL_THRESHOLD or not fork_safe():
        return [readers.read_note(source) for source in sources]
    with _fork_pool(jobs, _install_sources, (sources,)) as pool:
        return [result for shard in pool.map(_read_shard, _shards(len(sources), READ_SHARD)) for result in shard]


def _install(job: RenderJob, env: jinja2.Environment | None = None) -> None:
    _worker["job"] = job
    _worker["env"] = env or make_environment(job.templates_dir)


def _make_folder(folder: Path) -> None:
    """`folder` made when missing: one system call when its parent exists (most pages' folders)."""
    try:
        folder.mkdir()
    except FileExistsError:
        pass
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)


def render_shard(bounds: tuple[int, int]) -> ShardResult:
    """Build, fingerprint and (when changed) render and write the pages plan[start:end]."""
    job: RenderJob = _worker["job"]
    result = ShardResult()
    made: set[Path] = set()
    for index in range(*bounds):
        spec = job.plan[index]()
        if isinstance(spec, RawFile):
            rel, data = spec.path, spec.data
            mark = fingerprint(b"", data)
            result.pages.append((rel, mark))
            if job.old.get(rel) == mark:
                continue
        else:
            rel = urls.output_path(spec.url)
            mark = fingerprint(job.seed, _canonical(spec))
            result.pages.append((rel, mark))
            result.html += 1
            if job.old.get(rel) == mark:
                continue
            try:
                data = render_page(_worker["env"], spec, job.templates_dir)
            except TemplateFailure as exc:
                result.error = exc.diagnostic
                return result
        target = job.staging / rel
        folder = target.parent
        if folder not in made:
            _make_folder(folder)
            made.add(folder)
        with open(target, "wb") as handle:
            handle.write(data)
        result.written += 1
    return result


def render_all(
    job: RenderJob, jobs: int, *, pool_threshold: int, env: jinja2.Environment | None = None
) -> Iterator[ShardResult]:
    """Every shard's result in plan order, from `jobs` forked workers when there are enough pages.

    In-process rendering uses `env` when given (the preview keeps one: templates compiled once).
    """
    total = len(job.plan)
    shards = _shards(total, SHARD)
    if jobs > 1 and total >= pool_threshold and fork_safe():
        with _fork_pool(jobs, _install, (job,)) as pool:
            yield from pool.map(render_shard, shards)
        return
    if jobs > 1 and total >= pool_threshold and job.source is not None:
        data = pickle.dumps(job.source, protocol=pickle.HIGHEST_PROTOCOL)
        bare = replace(job, plan=(), source=None)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        with ProcessPoolExecutor(jobs, context, _install_planned, (data, total, bare)) as pool:
            yield from pool.map(render_shard, shards)
        return
    _install(job, env)
    try:
        for bounds in shards:
            yield render_shard(bounds)
    finally:
        _worker.clear()
