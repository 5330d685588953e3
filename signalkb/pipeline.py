"""The build: read → link → plan → render → publish, each stage timed; nothing is written unless all is well."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from . import exports, readers, urls
from .config import SiteConfig
from .diagnostics import Diagnostic, SourceLocation, error, has_errors, sort_key
from .forces import ForceResolver, Taxonomy, parse_taxonomy
from .link import build_knowledge_base
from .model import KnowledgeBase, ParsedNote
from .pages import plan_pages
from .publish import OutputRefused, Staging
from .render import TemplateFailure, make_environment, render_page
from .sources import discover, read_optional

FORCES_FILE = "forces.yaml"


@dataclass
class BuildReport:
    """What a build did: counts, diagnostics, stage timings, and whether the site was written."""

    notes: int = 0
    signals: int = 0
    forces: int = 0
    pages: int = 0
    files: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    written: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when there are errors."""
        return has_errors(self.diagnostics)

    def sorted_diagnostics(self) -> list[Diagnostic]:
        """Diagnostics by file and line."""
        return sorted(self.diagnostics, key=sort_key)


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[stage] = report.timings.get(stage, 0.0) + time.perf_counter() - start


def _display_root(config: SiteConfig) -> str:
    try:
        return str(config.content_dir.relative_to(Path.cwd()))
    except ValueError:
        return str(config.content_dir)


def load(config: SiteConfig, report: BuildReport) -> KnowledgeBase | None:
    """Read and link the knowledge base; None when it cannot be read at all."""
    root = _display_root(config)
    if not config.content_dir.is_dir():
        report.diagnostics.append(
            error(f"content folder {root} does not exist", None, "create it, or point --content at your notes")
        )
        return None
    with _timed(report, "read"):
        sources, problems = discover(config.content_dir, root)
        report.diagnostics.extend(problems)
        parsed: list[ParsedNote] = []
        for source in sources:
            note, note_problems = readers.read_note(source)
            report.diagnostics.extend(note_problems)
            if note is not None:
                parsed.append(note)
        parsed, problems = readers.finish(parsed)
        report.diagnostics.extend(problems)
        taxonomy = Taxonomy(path=f"{root}/{FORCES_FILE}")
        text, problems = read_optional(config.content_dir / FORCES_FILE, taxonomy.path)
        report.diagnostics.extend(problems)
        if text is not None:
            taxonomy, problems = parse_taxonomy(text, taxonomy.path)
            report.diagnostics.extend(problems)
    if not sources and not has_errors(report.diagnostics):
        report.diagnostics.append(
            error(
                f"no notes found in {root}",
                SourceLocation(root),
                "add notes as .md (or .txt exports); see the README for the format",
            )
        )
        return None
    with _timed(report, "link"):
        kb, problems = build_knowledge_base(parsed, taxonomy, ForceResolver(taxonomy))
        report.diagnostics.extend(problems)
    report.notes, report.signals, report.forces = len(kb.notes), len(kb.signals), len(kb.forces)
    return kb


def build(
    config: SiteConfig,
    *,
    write: bool = True,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    publish_lock: AbstractContextManager[object] | None = None,
) -> BuildReport:
    """Build the site into `config.out_dir` (or only check, with `write=False`) and report what happened.

    `publish_lock` is held while the new site is swapped in (the preview server holds it while it reads
    a file, so no request sees a half-swapped site).
    """
    started = time.perf_counter()
    report = BuildReport()
    kb = load(config, report)
    blocked = kb is None or report.failed or (strict and bool(report.diagnostics))
    if kb is not None and not blocked:
        _render_all(config, kb, report, write=write, progress=progress, publish_lock=publish_lock)
    report.seconds = time.perf_counter() - started
    return report


def _render_all(
    config: SiteConfig,
    kb: KnowledgeBase,
    report: BuildReport,
    *,
    write: bool,
    progress: Callable[[int], None] | None,
    publish_lock: AbstractContextManager[object] | None,
) -> None:
    env = make_environment(config.templates_dir)
    staging: Staging | None = None
    if write:
        try:
            staging = Staging(config.out_dir)
        except (OutputRefused, OSError) as exc:
            report.diagnostics.append(error(str(exc)))
            return
    try:
        with _timed(report, "render"):
            for spec in plan_pages(kb, config):
                data = render_page(env, spec, config.templates_dir)
                report.pages += 1
                if staging is not None:
                    staging.write(urls.output_path(spec.url), data)
                if progress is not None:
                    progress(report.pages)
            payload = exports.signals_json(kb)
            if staging is not None:
                staging.write(urls.SIGNALS_JSON, payload)
                staging.copy_tree(config.templates_dir / "assets", urls.ASSETS.rstrip("/"))
                staging.write(".nojekyll", b"")
        if staging is not None:
            with _timed(report, "publish"):
                report.files = staging.files + 1
                with publish_lock or nullcontext():
                    staging.commit()
                report.written = True
    except TemplateFailure as exc:
        report.diagnostics.append(exc.diagnostic)
    except OSError as exc:
        report.diagnostics.append(error(f"cannot write the site: {exc}", None, "check free space and permissions"))
    finally:
        if staging is not None and not report.written:
            staging.abort()
