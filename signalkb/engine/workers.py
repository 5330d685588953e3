"""Worker processes: reading notes, and building, fingerprinting and rendering pages into the staging folder.

Each worker process is given its job when it starts, as the argument of the function it runs (`_read_worker`,
`_render_worker`), and is then sent shards (slices of the notes or of the page plan) one by one; nothing is
kept in module state. The caller says how workers start (`StartMethod`):

- "fork": the worker is a copy of the parent, so its job (the sources, the knowledge base and the page plan,
  closures included) is inherited, not pickled: passing it costs nothing. Forking is only safe while no
  other thread of the parent runs (one could hold a lock the copy would never see released): the command
  line's builds.
- "forkserver": a clean process started by a fork server, sent its job pickled; page builders do not pickle,
  so it is sent the knowledge base and configuration and plans the same pages itself. Safe beside threads:
  the preview, which runs an HTTP server and a watcher.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

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
IN_FLIGHT = 2
"""Shards sent to a worker ahead of its results, so it never waits for the next one."""

StartMethod = Literal["fork", "forkserver"]
"""How worker processes start (see the module's docstring): the caller chooses."""

Read = tuple[ParsedNote | None, list[Diagnostic]]
"""What `readers.read_note` gives for one source."""


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


def _shards(total: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive slices of `size` items (the last one shorter) covering `total` items."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _available(start: StartMethod) -> bool:
    """True when this platform can start processes that way (neither is there on Windows)."""
    return start in multiprocessing.get_all_start_methods()


# --- the pool: worker processes that are given their job when they start, then sent shards --------------------


def _serve(conn: Connection, task: Callable[[tuple[int, int]], object]) -> None:
    """A worker's loop: shard bounds in, `(True, task(bounds))` or `(False, the exception)` out, until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C interrupts the parent, which stops its workers
    while True:
        try:
            bounds = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if bounds is None:
            return
        try:
            answer: tuple[bool, object] = (True, task(bounds))
        except Exception as exc:
            answer = (False, exc)
        try:
            conn.send(answer)
        except OSError:  # the parent is gone
            return
        except Exception as exc:  # an answer that does not pickle (nothing was sent)
            conn.send((False, RuntimeError(f"a worker failed: {answer[1]!r} ({exc!r})")))


def _pooled(
    start: StartMethod,
    jobs: int,
    worker: Callable[..., None],
    job: tuple[object, ...],
    shards: Sequence[tuple[int, int]],
) -> Iterator[Any]:
    """Each shard's result in order, from `jobs` processes started by `start`, each running `worker(*job, conn)`.

    A worker's exception is raised here; a worker that dies raises BrokenProcessPool. However this ends (the
    caller may stop early), every worker has exited when it returns.
    """
    if start == "fork":
        context: ForkContext | ForkServerContext = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    processes: dict[Connection, BaseProcess] = {}
    finished = False
    try:
        for _ in range(min(jobs, len(shards))):
            ours, theirs = context.Pipe()
            child: BaseProcess = context.Process(target=worker, args=(*job, theirs), daemon=True)
            child.start()
            theirs.close()
            processes[ours] = child
        todo = iter(enumerate(shards))
        sent: dict[Connection, list[int]] = {conn: [] for conn in processes}  # shards not answered yet, in order

        def send(conn: Connection) -> None:
            item = next(todo, None)
            if item is not None:
                try:
                    conn.send(item[1])
                except OSError:
                    raise BrokenProcessPool("a worker process ended while it was sent work") from None
                sent[conn].append(item[0])

        for conn in processes:
            for _ in range(IN_FLIGHT):
                send(conn)
        done: dict[int, Any] = {}
        sentinels = {process.sentinel: process for process in processes.values()}
        for index in range(len(shards)):
            while index not in done:
                for ready in wait([*processes, *sentinels]):
                    if isinstance(ready, Connection):
                        try:
                            ok, value = ready.recv()
                        except (EOFError, OSError):  # OSError: a reset socket, the worker gone with work unread
                            raise BrokenProcessPool("a worker process ended without answering") from None
                        if not ok:
                            raise value
                        done[sent[ready].pop(0)] = value
                        send(ready)
                    elif isinstance(ready, int):
                        code = sentinels[ready].exitcode
                        raise BrokenProcessPool(f"a worker process ended while it had work (exit code {code})")
            yield done.pop(index)
        finished = True
    finally:
        for conn, process in processes.items():
            if finished:
                try:
                    conn.send(None)
                except OSError:
                    process.kill()
            else:
                process.kill()  # it may be writing into the staging folder the caller is about to remove
        for conn, process in processes.items():
            process.join()
            conn.close()


# --- reading notes -----------------------------------------------------------------------------------------------


def _read_worker(sources: Sequence[SourceFile], conn: Connection) -> None:
    """A worker process that reads the shards of `sources` it is sent."""
    _serve(conn, lambda bounds: [readers.read_note(source) for source in sources[bounds[0] : bounds[1]]])


def read_all(sources: Sequence[SourceFile], jobs: int, *, start: StartMethod) -> list[Read]:
    """`readers.read_note` of every source, in order; by `jobs` forked workers when there are many notes.

    Only forked workers are worth it (they inherit the sources' texts and send back the parsed notes): with
    another `start`, the notes are read in this process.
    """
    if jobs < 2 or len(sources) < READ_POOL_THRESHOLD or start != "fork" or not _available(start):
        return [readers.read_note(source) for source in sources]
    shards = _shards(len(sources), READ_SHARD)
    return [result for shard in _pooled(start, jobs, _read_worker, (sources,), shards) for result in shard]


# --- rendering pages ---------------------------------------------------------------------------------------------


def _make_folder(folder: Path) -> None:
    """`folder` made when missing: one system call when its parent exists (most pages' folders)."""
    try:
        folder.mkdir()
    except FileExistsError:
        pass
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)


def render_shard(job: RenderJob, env: jinja2.Environment, bounds: tuple[int, int]) -> ShardResult:
    """Build, fingerprint and (when changed) render with `env` and write the pages job.plan[start:end]."""
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
                data = render_page(env, spec, job.templates_dir)
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


def _render_worker(job: RenderJob, conn: Connection) -> None:
    """A worker process that renders the shards of `job` it is sent, with a Jinja environment of its own."""
    env = make_environment(job.templates_dir)
    _serve(conn, lambda bounds: render_shard(job, env, bounds))


def _planning_worker(data: bytes, pages: int, job: RenderJob, conn: Connection) -> None:
    """A fork-server worker: the knowledge base and configuration unpickled, the same pages planned again."""
    kb, config = pickle.loads(data)  # noqa: S301 - pickled by our own parent process a moment ago
    plan = Planner(kb, config).plan()
    if len(plan) != pages:
        raise RuntimeError(f"a worker planned {len(plan)} pages, its parent {pages}")
    _render_worker(replace(job, plan=plan), conn)


def render_all(
    job: RenderJob,
    jobs: int,
    *,
    start: StartMethod,
    pool_threshold: int,
    env: jinja2.Environment | None = None,
) -> Iterator[ShardResult]:
    """Every shard's result in plan order, from `jobs` workers started by `start` when there are enough pages.

    Fork-server workers need `job.source` to plan the pages themselves; without it the pages are rendered
    in this process, as they are when there are few. In-process rendering uses `env` when given (the
    preview keeps one: templates compiled once).
    """
    total = len(job.plan)
    shards = _shards(total, SHARD)
    if jobs > 1 and total >= pool_threshold and _available(start):
        if start == "fork":
            yield from _pooled(start, jobs, _render_worker, (job,), shards)
            return
        if job.source is not None:
            data = pickle.dumps(job.source, protocol=pickle.HIGHEST_PROTOCOL)
            bare = replace(job, plan=(), source=None)
            yield from _pooled(start, jobs, _planning_worker, (data, total, bare), shards)
            return
    env = env or make_environment(job.templates_dir)
    for bounds in shards:
        yield render_shard(job, env, bounds)
