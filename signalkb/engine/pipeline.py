"""The build: read → link → plan → render → publish, each stage timed; nothing is written unless all is well.

Three entry points, each its own function over the same stages: `check` (read, link, plan and render every
page into a scratch folder; nothing is published), `build` (the command line's build: the site published,
the permalink ledger recorded) and `preview_build` (the preview's: its fast path first, then a build whose
URLs are not recorded and whose search index is made by the preview in the background). Each stage is a
function that returns what it made (`Loaded`, `Rendered`, ...) and adds its diagnostics and its time to the
build's `BuildReport`.

Builds are incremental through one mechanism (cache.py): notes whose bytes did not change are not
parsed again, and a page is rendered only when its view data or the templates changed since the
last published build. A cold build (`clean`, or no usable cache) writes a whole new site beside
the old one and swaps it in; an incremental build replaces only the files that changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, has_errors, shown_path, sort_key, warning
from signalkb.core.files import write_atomic
from signalkb.core.ledger import Ledger, format_ledger, parse_ledger
from signalkb.core.model import KnowledgeBase, ParsedNote
from signalkb.engine import cache, fastpath
from signalkb.engine.fastpath import Last, Loaded, Session
from signalkb.engine.inputs import PERMALINKS_FILE, Inputs, read_inputs
from signalkb.engine.workers import RenderJob, StartMethod, fingerprint, read_all, render_all
from signalkb.forces.broad import with_default_broad
from signalkb.forces.matching import ForceResolver, Taxonomy, parse_taxonomy
from signalkb.forces.meaning import ModelUnavailable, load_model
from signalkb.linking.knowledge_base import build_knowledge_base
from signalkb.notes import readers
from signalkb.notes.sources import SourceFile
from signalkb.pages import exports, feeds
from signalkb.pages.plan import Planner
from signalkb.publishing import search
from signalkb.publishing.staging import OutputRefused, Staging, remove_leftovers, site_id

POOL_THRESHOLD = 1500
"""Fewer pages to render than this are rendered in-process (starting workers costs more)."""


@dataclass
class BuildReport:
    """What a build did: counts, diagnostics, stage timings, and whether the site was written."""

    notes: int = 0
    signals: int = 0
    forces: int = 0
    pages: int = 0
    """HTML pages in the site."""
    files: int = 0
    """Output files written by this build (unchanged files are not rewritten)."""
    parsed: int = 0
    """Notes parsed by this build (the others came from the cache)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    written: bool = False
    incremental: bool = False
    seconds: float = 0.0
    search_changed: int = 0
    """Search records (signals and notes) added, changed or removed by this build: the index is remade if any."""
    unchanged: bool = False
    """True when the inputs were those of the published site: nothing was read beyond them, nothing written."""
    fast: bool = False
    """True when the preview's fast path published the changed notes (fastpath.py)."""

    @property
    def failed(self) -> bool:
        """True when there are errors."""
        return has_errors(self.diagnostics)

    def sorted_diagnostics(self) -> list[Diagnostic]:
        """Diagnostics by file and line."""
        return sorted(self.diagnostics, key=sort_key)


@dataclass(frozen=True)
class BuildOptions:
    """What the command line varies about a build."""

    strict: bool = False
    """Any warning fails the build: nothing is written then."""
    clean: bool = False
    """Ignore the cache: a cold build that writes every file."""
    jobs: int | None = None
    """Processes that read notes and render pages (default: all cores)."""
    search: bool = True
    """Make the search index when the configuration asks for search (False: the records only, no index)."""
    progress: Callable[[int, int], None] | None = None
    """Told `(done, total)` of the pages (and raw files) made so far."""


@dataclass(frozen=True)
class Rendering:
    """How a build renders its pages: by how many processes, started how, told to whom, and where to."""

    jobs: int
    start: StartMethod
    """"fork" only where no other thread runs (the command line); "forkserver" beside threads (the preview)."""
    progress: Callable[[int, int], None] | None = None
    scratch: bool = False
    """Every page into a throwaway folder (`check`), not into a staging folder of the site."""


@dataclass
class Rendered:
    """A build's pages and files made into a staging folder, not yet published."""

    staging: Staging
    pages: dict[str, str]
    """Every output file of the new site → its fingerprint."""
    old: dict[str, str]
    """The fingerprints the pages were compared with (files with the same one were not made again); {} for all."""
    incremental: bool
    """True when the staging folder holds the changed files only, to be applied over the published site."""


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start


def _read_notes(
    sources: list[SourceFile], state: cache.CacheState, report: BuildReport, jobs: int, start: StartMethod
) -> list[ParsedNote]:
    """The notes read (from the cache when their bytes did not change), in source order."""
    parsed: list[ParsedNote] = []
    fresh: dict[str, cache.NoteEntry] = {}
    misses = [s for s in sources if (e := state.notes.get(s.rel_path)) is None or e.digest != s.digest]
    results = read_all(misses, jobs, start=start)
    report.parsed = len(misses)
    for source, (note, problems) in zip(misses, results, strict=True):
        state.notes[source.rel_path] = cache.NoteEntry(source.digest, note, problems)
    if misses or len(state.notes) != len(sources):
        state.notes_changed = True
    for source in sources:
        entry = state.notes[source.rel_path]
        fresh[source.rel_path] = entry
        report.diagnostics.extend(entry.diagnostics)
        if entry.note is not None:
            parsed.append(entry.note)
    state.notes = fresh
    return parsed


def _setting(config: SiteConfig, version: str, publishing: bool) -> str:
    return f"{version}\n{config!r}\n{publishing}"


def load(config: SiteConfig, report: BuildReport) -> KnowledgeBase | None:
    """Read and link the knowledge base (no cache, in this process); None when it cannot be read at all."""
    loaded = _load(config, report, cache.CacheState(), None, 1, "fork")
    return loaded.kb if loaded is not None else None


def _read(
    config: SiteConfig, report: BuildReport, setting: str, known: dict[str, SourceFile] | None = None
) -> Inputs | None:
    """Everything the build reads (`known` sources with the same stamp are not read again); None with no content."""
    if not config.content_dir.is_dir():
        return None
    with _timed(report, "read"):
        return read_inputs(config, shown_path(config.content_dir), setting, known)


def _load(
    config: SiteConfig,
    report: BuildReport,
    state: cache.CacheState,
    inputs: Inputs | None,
    jobs: int,
    start: StartMethod,
) -> Loaded | None:
    """The notes read (unless `inputs` were read already) and linked; None when they cannot be read at all."""
    root = shown_path(config.content_dir)
    if not config.content_dir.is_dir():
        report.diagnostics.append(
            error(f"content folder {root} does not exist", None, "create it, or point --content at your notes")
        )
        return None
    with _timed(report, "read"):
        inputs = inputs or read_inputs(config, root, "")
        report.diagnostics.extend(inputs.problems)
        parsed = _read_notes(inputs.sources, state, report, jobs, start)
        parsed, finish_problems = readers.finish(parsed)
        report.diagnostics.extend(finish_problems)
        setup = list(inputs.taxonomy_problems)
        taxonomy = Taxonomy(path=inputs.taxonomy_path)
        if inputs.taxonomy_text is not None:
            taxonomy, problems = parse_taxonomy(inputs.taxonomy_text, taxonomy.path)
            setup.extend(problems)
        setup.extend(inputs.ledger_problems)
        ledger = Ledger()
        if inputs.ledger_text is not None:
            ledger, problems = parse_ledger(inputs.ledger_text, inputs.ledger_path)
            setup.extend(problems)
        report.diagnostics.extend(setup)
    if not inputs.sources and not has_errors(report.diagnostics):
        report.diagnostics.append(
            error(
                f"no notes found in {root}",
                SourceLocation(root),
                "add notes as .md (or .txt exports); see the README for the format",
            )
        )
        return None
    taxonomy = with_default_broad(taxonomy)
    try:
        model = load_model()
    except ModelUnavailable as exc:
        report.diagnostics.append(error(str(exc), None, "forces are matched by meaning with this model only"))
        return None
    with _timed(report, "link"), cache.no_cycle_collection():
        resolver = ForceResolver(taxonomy, model=model, memo=state.forces)
        kb, problems = build_knowledge_base(parsed, taxonomy, resolver, ledger)
        report.diagnostics.extend(problems)
        if resolver.memo_changed:
            state.forces, state.forces_changed = resolver.memo, True
    report.notes, report.signals, report.forces = len(kb.notes), len(kb.signals), len(kb.forces)
    return Loaded(kb, inputs, parsed, ledger, finish_problems, setup, problems)


def _record_ledger(config: SiteConfig, kb: KnowledgeBase, report: BuildReport) -> str | None:
    """Write the updated permalink ledger into the content folder, atomically, when it changed: its new text."""
    if not kb.ledger.changed:
        return None
    text = format_ledger(kb.ledger)
    try:
        write_atomic(config.content_dir / PERMALINKS_FILE, text.encode("utf-8"))
        return text
    except OSError as exc:
        report.diagnostics.append(
            warning(
                f"could not record published URLs in {PERMALINKS_FILE}: {exc}",
                SourceLocation(shown_path(config.content_dir)),
                "check the content folder's permissions; until then moved and removed URLs are not remembered",
            )
        )
        return None


def _finished(report: BuildReport, started: float) -> BuildReport:
    """`report` with the build's time since `started`."""
    report.seconds = time.perf_counter() - started
    return report


def _blocked(report: BuildReport, strict: bool) -> bool:
    """True when the diagnostics so far stop the build before anything is rendered."""
    return report.failed or (strict and bool(report.diagnostics))


def check(
    config: SiteConfig,
    *,
    strict: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Read, link, plan and render every page (into a throwaway folder) and report what a build would; write nothing.

    `strict` stops at any warning; `jobs` processes (default: all cores) read and render, forked;
    `progress(done, total)` is told of the pages (and raw files) made so far.
    """
    started = time.perf_counter()
    report = BuildReport()
    folder = cache.cache_dir_for(config.out_dir, config.content_dir)
    version = cache.code_version()
    inputs = _read(config, report, _setting(config, version, True))
    state = cache.load_state(folder, version)
    rendering = Rendering(jobs or os.cpu_count() or 1, "fork", progress, scratch=True)
    loaded = _load(config, report, state, inputs, rendering.jobs, rendering.start)
    if loaded is not None and not _blocked(report, strict):
        rendered = _render(config, Planner(loaded.kb, config), state, loaded.inputs.templates, rendering, report)
        if rendered is not None:
            rendered.staging.abort()
    return _finished(report, started)


def build(config: SiteConfig, options: BuildOptions | None = None) -> BuildReport:
    """Build the site into `config.out_dir`, as the command line does, and report what happened.

    Nothing is written unless all is well (with `options.strict`: not even a warning). The render
    processes are forked: the caller must run no other thread meanwhile. After a written build the
    updated permalink ledger is recorded in the content folder.
    """
    options = options or BuildOptions()
    started = time.perf_counter()
    report = BuildReport()
    folder = cache.cache_dir_for(config.out_dir, config.content_dir)
    version = cache.code_version()
    if options.clean:
        cache.clear(folder)
    inputs = _read(config, report, _setting(config, version, True))
    wants_index = options.search and config.search
    if not options.clean and inputs is not None:
        if _up_to_date(config, folder, version, inputs, wants_index, report, options.strict):
            return _finished(report, started)
        cache.forget_summary(folder)  # the site is about to change: a killed build must not look up to date
    state = cache.CacheState(version=version) if options.clean else cache.load_state(folder, version)
    rendering = Rendering(options.jobs or os.cpu_count() or 1, "fork", options.progress)
    loaded = _load(config, report, state, inputs, rendering.jobs, rendering.start)
    if loaded is None:
        return _finished(report, started)
    if not config.base_url:
        report.diagnostics.append(
            warning(
                f"base_url is not set, so the site has no {feeds.NEEDS_BASE_URL}, and 404.html links from the "
                "domain's root",
                None,
                "set base_url in site.yaml (e.g. https://user.github.io/repo/) or pass --base-url",
            )
        )
    if _blocked(report, options.strict):
        _keep_notes(folder, state, report)
        return _finished(report, started)
    rendered = _render(config, Planner(loaded.kb, config), state, loaded.inputs.templates, rendering, report)
    if rendered is None:
        return _finished(report, started)
    published = _publish(
        config,
        loaded.kb,
        folder,
        state,
        rendered,
        report,
        search_index=wants_index,
        strict=options.strict,
        publish_lock=None,
    )
    if published:
        written = _record_ledger(config, loaded.kb, report)
        ledger = written if written is not None else loaded.inputs.ledger_text
        _save_summary(config, folder, version, report, loaded.inputs.digest(ledger), wants_index)
    return _finished(report, started)


def preview_build(
    config: SiteConfig,
    session: Session,
    *,
    publish_lock: AbstractContextManager[object] | None = None,
    published: Callable[[list[str]], object] | None = None,
    jobs: int | None = None,
) -> BuildReport:
    """Build the site for the preview: by the fast path when the edits allow it, else by a full build.

    `session` keeps the linked knowledge base from one build to the next (fastpath.py); `published(files)`
    is called as soon as the fast path has made pages live, with the files it changed. `publish_lock` is held
    while files of the published site are replaced (the preview server holds it while it reads a file, so
    no request sees a half-written site). What the preview shows is not published: the permalink ledger is
    not recorded, and the search index is left to the preview (it makes it on a thread of its own). The
    preview runs other threads, so render processes (`jobs`, default all cores) come from a fork server.
    """
    started = time.perf_counter()
    report = BuildReport()
    folder = cache.cache_dir_for(config.out_dir, config.content_dir)
    version = cache.code_version()
    last = session.last
    known = {s.rel_path: s for s in last.loaded.inputs.sources} if last is not None else None
    inputs = _read(config, report, _setting(config, version, False), known)
    if inputs is not None:
        if _up_to_date(config, folder, version, inputs, False, report, False):
            return _finished(report, started)
        cache.forget_summary(folder)  # the site is about to change: a killed build must not look up to date
        if _fast(session, config, inputs, folder, report, publish_lock, published):
            _save_summary(config, folder, version, report, inputs.digest(inputs.ledger_text), False)
            return _finished(report, started)
    # the state as before the fast path, even when that failed while publishing (fastpath._apply): the pages it
    # did not publish keep their old fingerprints here, and once it published a part the site's marker changed,
    # so every page is rendered again
    state = last.state if last is not None and last.state.version == version else cache.load_state(folder, version)
    session.remember(None)  # until this build succeeds
    rendering = Rendering(jobs or os.cpu_count() or 1, "forkserver")
    loaded = _load(config, report, state, inputs, rendering.jobs, rendering.start)
    if loaded is None:
        return _finished(report, started)
    if _blocked(report, False):
        _keep_notes(folder, state, report)
        return _finished(report, started)
    after_load = len(report.diagnostics)
    planner = Planner(loaded.kb, config)
    rendered = _render(config, planner, state, loaded.inputs.templates, rendering, report)
    if rendered is None:
        return _finished(report, started)
    if _publish(
        config,
        loaded.kb,
        folder,
        state,
        rendered,
        report,
        search_index=False,
        strict=False,
        publish_lock=publish_lock,
    ):
        _save_summary(config, folder, version, report, loaded.inputs.digest(loaded.inputs.ledger_text), False)
        if not report.failed:
            extra = report.diagnostics[after_load:]
            session.remember(Last(config, loaded, state, planner, report.pages, extra))
    return _finished(report, started)


def _keep_notes(folder: Path, state: cache.CacheState, report: BuildReport) -> None:
    """Save the parsed notes of a build stopped by its diagnostics (the pages are as they were)."""
    problem = cache.save_state(folder, state)  # keep the parsed notes; pages are as they were
    if problem is not None:
        report.diagnostics.append(problem)


def _fast(
    session: Session,
    config: SiteConfig,
    inputs: Inputs,
    folder: Path,
    report: BuildReport,
    publish_lock: AbstractContextManager[object] | None,
    published: Callable[[list[str]], object] | None,
) -> bool:
    """Publish by the fast path when the changes allow it (fastpath.py); True when it did."""
    last = session.last
    if last is None:
        return False
    with _timed(report, "fast path"):
        outcome = fastpath.publish(
            session,
            config,
            inputs,
            folder,
            lambda kb, pages: list(_static_files(config, kb, pages)),
            publish_lock=publish_lock,
            published=published,
        )
    if outcome is None:
        return False
    kb = last.loaded.kb
    report.notes, report.signals, report.forces, report.pages = (
        len(kb.notes),
        len(kb.signals),
        len(kb.forces),
        last.pages,
    )
    report.diagnostics = outcome.diagnostics
    report.files, report.search_changed = outcome.files, outcome.search_changed
    report.parsed = outcome.parsed
    report.written = report.incremental = True
    report.fast = outcome.parsed > 0
    report.unchanged = outcome.parsed == 0
    return True


def _save_summary(
    config: SiteConfig, folder: Path, version: str, report: BuildReport, inputs: str, wants_index: bool
) -> None:
    """Record what the published site was made from (`inputs`: their digest), unless its search index lags."""
    if wants_index and not search.is_current(folder / search.RECORDS, config.out_dir):
        return
    counts = (report.notes, report.signals, report.forces, report.pages)
    summary = cache.Summary(inputs, site_id(config.out_dir), counts, list(report.diagnostics))
    if (problem := cache.save_summary(folder, version, summary)) and problem not in report.diagnostics:
        report.diagnostics.append(problem)


def _up_to_date(
    config: SiteConfig,
    folder: Path,
    version: str,
    inputs: Inputs,
    wants_index: bool,
    report: BuildReport,
    strict: bool,
) -> bool:
    """True (and `report` filled in as the last build left it) when the published site was built from `inputs`."""
    done = cache.load_summary(folder, version)
    if done is None or done.inputs != inputs.digest(inputs.ledger_text):
        return False
    if done.site_id != site_id(config.out_dir) or not done.site_id:
        return False
    if wants_index and not search.is_current(folder / search.RECORDS, config.out_dir):
        return False
    remove_leftovers(config.out_dir)
    cache.remove_leftovers(folder)
    report.notes, report.signals, report.forces, report.pages = done.counts
    report.diagnostics = list(done.diagnostics)
    report.unchanged = report.incremental = True
    report.written = not (strict and report.diagnostics)
    return True


def _static_files(config: SiteConfig, kb: KnowledgeBase, published: list[str]) -> Iterator[tuple[str, bytes]]:
    yield urls.SIGNALS_JSON, exports.signals_json(kb)
    yield urls.SIGNALS_CSV, exports.signals_csv(kb, config.base_url)
    yield from feeds.site_files(kb, config, published)
    yield urls.NOJEKYLL, b""
    assets = config.templates_dir / "assets"
    if assets.is_dir():
        for path in sorted(assets.rglob("*")):
            rel = path.relative_to(assets)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                yield urls.ASSETS + rel.as_posix(), path.read_bytes()


def _render(
    config: SiteConfig,
    planner: Planner,
    state: cache.CacheState,
    templates: bytes,
    rendering: Rendering,
    report: BuildReport,
) -> Rendered | None:
    """Every page and file of the site made into a staging folder (incrementally: only those that changed).

    None (after a diagnostic, with nothing left behind) when a template fails or the folder cannot be written.
    """
    kb = planner.kb
    incremental = not rendering.scratch and bool(state.pages) and state.site_id == site_id(config.out_dir) != ""
    old_pages = state.pages if incremental else {}
    try:
        staging = Staging.scratch() if rendering.scratch else Staging(config.out_dir)
    except (OutputRefused, OSError) as exc:
        report.diagnostics.append(error(str(exc)))
        return None
    pages: dict[str, str] = {}
    kept = False
    try:
        with _timed(report, "render"):
            seed = templates
            # new templates: every page is rendered again, in parallel; `old_pages` still says what is published,
            # so that pages gone from the plan are removed from the site
            known = old_pages if state.templates == seed else {}
            state.templates = seed
            job = RenderJob(planner.plan(), known, seed, config.templates_dir, staging.path, (kb, config))
            total = len(job.plan)
            shards = render_all(job, rendering.jobs, start=rendering.start, pool_threshold=POOL_THRESHOLD)
            for shard in shards:
                if shard.error is not None:
                    report.diagnostics.append(shard.error)
                    return None
                pages.update(shard.pages)
                report.pages += shard.html
                report.files += shard.written
                if rendering.progress is not None:
                    rendering.progress(len(pages), total)
            for rel, data in _static_files(config, kb, list(pages)):
                pages[rel] = fingerprint(b"", data)
                if known.get(rel) != pages[rel]:
                    staging.write(rel, data)
                    report.files += 1
        kept = True
        return Rendered(staging, pages, old_pages, incremental)
    except OSError as exc:
        report.diagnostics.append(error(f"cannot write the site: {exc}", None, "check free space and permissions"))
        return None
    finally:
        if not kept:
            staging.abort()


def _publish(
    config: SiteConfig,
    kb: KnowledgeBase,
    folder: Path,
    state: cache.CacheState,
    rendered: Rendered,
    report: BuildReport,
    *,
    search_index: bool,
    strict: bool,
    publish_lock: AbstractContextManager[object] | None,
) -> bool:
    """The search records (and, with `search_index`, the index) made, the staged site published, the cache saved.

    True when the site was published; otherwise the staging folder is thrown away and the site left as it was.
    """
    staging, pages, old_pages, incremental = rendered.staging, rendered.pages, rendered.old, rendered.incremental
    try:
        removed = [rel for rel in old_pages if rel not in pages]
        records = folder / search.RECORDS
        if config.search:
            with _timed(report, "search"):
                try:
                    report.search_changed = search.sync_records(records, search.records(kb, config.language))
                except OSError as exc:  # the cache folder: the site is still published, without a fresh index
                    search_index = False
                    report.diagnostics.append(
                        cache.unwritable(
                            folder, exc, "the search records", "search on the site does not find what changed"
                        )
                    )
                    if strict:
                        return False
        indexed_at: str | None = None
        if search_index and not incremental:
            with _timed(report, "search"):
                indexed_at = search.stale_token(records)
                problem = search.index(records, staging.path / search.BUNDLE)
            if problem is not None:
                indexed_at = None
                report.diagnostics.append(problem)
                search.forget(records)  # the next build tries again
                if strict:
                    return False
        with _timed(report, "publish"):
            with publish_lock or nullcontext():
                if incremental:
                    if report.files or removed:
                        if (problem := cache.forget_pages(folder, state)) and problem not in report.diagnostics:
                            report.diagnostics.append(problem)
                        staging.apply(removed)
                    else:
                        staging.abort()
                else:
                    staging.commit(old_files=max(len(state.pages), report.files))
            report.written = True
            report.incremental = incremental
            state.pages = pages
            state.site_id = site_id(config.out_dir)
            if (problem := cache.save_state(folder, state)) and problem not in report.diagnostics:
                report.diagnostics.append(problem)
        search.mark_current(records, indexed_at)
        if incremental and search_index and not search.is_current(records, config.out_dir):
            with _timed(report, "search"):
                problem = search.refresh(records, config.out_dir, publish_lock)
            if problem is not None:
                report.diagnostics.append(problem)
        elif incremental and not config.search:
            search.remove(config.out_dir, publish_lock)  # search turned off: no stale index left behind
    except OSError as exc:
        report.diagnostics.append(error(f"cannot write the site: {exc}", None, "check free space and permissions"))
    finally:
        if not report.written:
            staging.abort()
    return report.written
