"""The command line: argv → a verb (`build`, `check`, ...); prints diagnostics and summary; returns the exit status."""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from signalkb import __version__
from signalkb.core.config import SiteConfig, load_config, overlap_problem
from signalkb.core.diagnostics import Diagnostic, has_errors, sort_key
from signalkb.engine.pipeline import BuildOptions, BuildReport, build, check


class Exit(enum.IntEnum):
    """Exit statuses (FORMAT.md §6)."""

    OK = 0
    CONTENT_ERROR = 1
    USAGE = 2


VERBS = ("build", "check")


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports usage errors with exit status 2 through an exception, not sys.exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.format_usage().rstrip()}\n{self.prog}: error: {message}")


class UsageError(Exception):
    """The command line is wrong."""


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", metavar="DIR", help="the knowledge base folder (default: content/)")
    parser.add_argument("--out", metavar="DIR", help="the output folder (default: site/)")
    parser.add_argument("--config", metavar="FILE", default="site.yaml", help="site settings (default: site.yaml)")


def _common(parser: argparse.ArgumentParser) -> None:
    _paths(parser)
    parser.add_argument("--base-url", metavar="URL", help="the address the site is published at")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) on any warning")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only, and no summary")


def make_parser() -> argparse.ArgumentParser:
    """The parser for every verb."""
    parser = _Parser(prog="build.py", description="Build a signals knowledge base into a static site.")
    parser.add_argument("--version", action="version", version=f"signalkb {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    p_build = verbs.add_parser("build", help="build the site (the default)")
    _common(p_build)
    p_build.add_argument("--clean", action="store_true", help="a cold build: read no cache, write every file")
    p_build.add_argument("--verbose", action="store_true", help="print the time each stage took")
    p_build.add_argument("--jobs", type=int, metavar="N", help="render processes (default: all cores)")
    p_build.add_argument("--no-search", action="store_true", help="skip the search index (faster; no search box)")
    p_check = verbs.add_parser("check", help="read and link everything, report problems, write nothing")
    _common(p_check)
    p_import = verbs.add_parser("import", help="write plain-text exports as Markdown notes, to fix doubtful rows")
    _common(p_import)
    p_import.add_argument("files", nargs="+", metavar="FILE", help="plain-text exports (.txt)")
    p_import.add_argument("--to", metavar="DIR", help="where to write the notes (default: beside each export)")
    p_import.add_argument("--force", action="store_true", help="replace Markdown notes that already exist")
    p_serve = verbs.add_parser("serve", help="preview: build, serve on localhost, rebuild and reload on every change")
    p_serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1: this machine)")
    p_serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    _paths(p_serve)
    p_serve.add_argument("--poll", action="store_true", help="scan for changes (network drives, containers)")
    p_serve.add_argument("--open", action="store_true", help="open the site in the default browser")
    p_serve.add_argument("-q", "--quiet", action="store_true", help="print errors and the address only")
    p_serve.add_argument("--no-search", action="store_true", help="skip the search index (no search box)")
    p_serve.set_defaults(base_url=None, strict=False)
    p_forces = verbs.add_parser(
        "forces",
        help="report driving forces: most shared, unshared phrases, near-duplicates, placements and merges to review",
    )
    _common(p_forces)
    p_forces.add_argument("--limit", type=int, default=40, metavar="N", help="lines per list (default 40; 0: all)")
    return parser


def _print_diagnostics(diagnostics: Sequence[Diagnostic], err: TextIO, quiet: bool) -> None:
    for diagnostic in sorted(diagnostics, key=sort_key):
        if diagnostic.is_error or not quiet:
            print(diagnostic.format(), file=err)


def _search(args: argparse.Namespace) -> bool | None:
    """`--no-search` turns search off; otherwise site.yaml decides (on by default)."""
    return False if getattr(args, "no_search", False) else None


def _config(args: argparse.Namespace, err: TextIO) -> SiteConfig | None:
    overrides = {"content_dir": args.content, "out_dir": args.out, "base_url": args.base_url, "search": _search(args)}
    config_path = Path(args.config)
    if args.config != "site.yaml" and not config_path.exists():
        raise UsageError(f"build.py: error: configuration file {args.config} does not exist")
    config, problems = load_config(config_path, overrides)
    _print_diagnostics(problems, err, args.quiet)
    if has_errors(problems):
        return None
    problem = overlap_problem(config)
    if problem:
        raise UsageError(f"build.py: error: {problem}")
    return config


def _status(report: BuildReport, strict: bool) -> Exit:
    if report.failed or (strict and report.diagnostics):
        return Exit.CONTENT_ERROR
    return Exit.OK


def _summary(report: BuildReport, config: SiteConfig, verb: str) -> str:
    counts = f"{report.notes} notes, {report.signals} signals, {report.forces} forces"
    if verb == "check":
        return f"checked {counts} ({report.pages} pages) in {report.seconds:.1f} s"
    try:
        out = f"{config.out_dir.relative_to(Path.cwd())}/"
    except ValueError:
        out = f"{config.out_dir}/"
    if report.unchanged:
        return (
            f"nothing changed: {out} is up to date ({counts}, {report.pages} pages), checked in {report.seconds:.1f} s"
        )
    return f"built {counts} → {out} ({report.pages} pages) in {report.seconds:.1f} s"


def _failure(report: BuildReport, strict: bool, config: SiteConfig) -> str:
    errors = sum(d.is_error for d in report.diagnostics)
    warnings = len(report.diagnostics) - errors
    why = (
        f"{errors} error{'s' if errors != 1 else ''}"
        if errors
        else f"{warnings} warning{'s' if warnings != 1 else ''} (--strict)"
    )
    return f"build failed: {why}; {config.out_dir.name}/ was left as it was"


@contextmanager
def _progress_bar(err: TextIO, wanted: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar of the pages on `err` when it is a terminal (it disappears when the build ends).

    It is drawn when told of progress, never by a thread of its own: the build forks its workers, which is
    safe only while no other thread runs.
    """
    if not wanted or not err.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("pages"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    console = Console(file=err, force_terminal=True)
    with Progress(*columns, console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("pages", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total, refresh=True)


def run_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    """`build` and `check`: run the pipeline, print what it found."""
    config = _config(args, err)
    if config is None:
        return Exit.CONTENT_ERROR
    write = args.verb == "build"
    with _progress_bar(err, not args.quiet) as progress:
        if write:
            options = BuildOptions(strict=args.strict, clean=args.clean, jobs=args.jobs, progress=progress)
            report = build(config, options)
        else:
            report = check(config, strict=args.strict, progress=progress)
    _print_diagnostics(report.diagnostics, err, args.quiet)
    status = _status(report, args.strict)
    if status is Exit.OK and not args.quiet:
        print(_summary(report, config, args.verb), file=out)
        if getattr(args, "verbose", False):
            print("  " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in report.timings.items()), file=out)
    elif status is not Exit.OK and write:
        print(_failure(report, args.strict, config), file=err)
    return status


def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    """`serve`: build, serve the site on a local address, rebuild on every change and reload open pages."""
    from signalkb.preview.serve import PreviewOptions, ServeError, run_preview

    if not 0 <= args.port <= 65535:
        raise UsageError(f"build.py serve: error: --port must be between 0 and 65535, not {args.port}")
    config = _config(args, err)
    if config is None:
        return Exit.CONTENT_ERROR
    overrides = {"content_dir": args.content, "out_dir": args.out, "base_url": None, "search": _search(args)}
    config_file = Path(args.config)
    options = PreviewOptions(host=args.host, port=args.port, poll=args.poll, open_browser=args.open, quiet=args.quiet)
    try:
        run_preview(
            config,
            options,
            out=out,
            err=err,
            config_file=config_file,
            reload_config=lambda: load_config(config_file, overrides),
        )
    except ServeError as exc:
        print(f"build.py serve: error: {exc}", file=err)
        return Exit.USAGE
    return Exit.OK


def run_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    """`import`: read exports with the knowledge base's evidence and write them as Markdown notes."""
    from signalkb.notes.importer import import_files

    to_dir = Path(args.to) if args.to else None
    content = Path(args.content or "content")
    written, diagnostics = import_files([Path(f) for f in args.files], to_dir, content, overwrite=args.force)
    _print_diagnostics(diagnostics, err, args.quiet)
    if not args.quiet:
        for path in written:
            print(f"wrote {path}", file=out)
    failed = has_errors(diagnostics) or (args.strict and bool(diagnostics))
    return Exit.CONTENT_ERROR if failed else Exit.OK


def run_forces(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    """`forces`: print the force report; with --strict, exit 1 while near-duplicates or misspellings wait for review."""
    from signalkb.engine.pipeline import BuildReport, load
    from signalkb.forces.report import format_report, make_report

    config = _config(args, err)
    if config is None:
        return Exit.CONTENT_ERROR
    report = BuildReport()
    kb = load(config, report)
    _print_diagnostics([d for d in report.diagnostics if d.is_error], err, args.quiet)
    if kb is None or report.failed:
        return Exit.CONTENT_ERROR
    forces = make_report(kb)
    print(format_report(forces, max(0, args.limit)), file=out, end="")
    if args.strict and forces.unreviewed:
        print(f"forces: {forces.unreviewed} suggestion(s) to review (--strict)", file=err)
        return Exit.CONTENT_ERROR
    return Exit.OK


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], Exit]] = {
    "build": run_build,
    "check": run_build,
    "import": run_import,
    "serve": run_serve,
    "forces": run_forces,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; returns the exit status (0 built, 1 content errors, 2 usage errors)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "build")
    parser = make_parser()
    try:
        args = parser.parse_args(args_list)
        return int(HANDLERS[args.verb](args, out, err))
    except UsageError as exc:
        print(str(exc), file=err)
        return int(Exit.USAGE)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
