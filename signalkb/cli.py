"""The command line: argv → a verb (`build`, `check`, ...); prints diagnostics and summary; returns the exit status."""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .config import SiteConfig, load_config, overlap_problem
from .diagnostics import Diagnostic, has_errors, sort_key
from .pipeline import BuildReport, build


class Exit(enum.IntEnum):
    """Exit statuses (FORMAT.md §6)."""

    OK = 0
    CONTENT_ERROR = 1
    USAGE = 2


VERBS = ("build", "check")


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports usage errors with exit status 2 through an exception, not sys.exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message}")


class UsageError(Exception):
    """The command line is wrong."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", metavar="DIR", help="the knowledge base folder (default: content/)")
    parser.add_argument("--out", metavar="DIR", help="the output folder (default: site/)")
    parser.add_argument("--config", metavar="FILE", default="site.yaml", help="site settings (default: site.yaml)")
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
    p_check = verbs.add_parser("check", help="read and link everything, report problems, write nothing")
    _common(p_check)
    return parser


def _print_diagnostics(diagnostics: Sequence[Diagnostic], err: TextIO, quiet: bool) -> None:
    for diagnostic in sorted(diagnostics, key=sort_key):
        if diagnostic.is_error or not quiet:
            print(diagnostic.format(), file=err)


def _config(args: argparse.Namespace, err: TextIO) -> SiteConfig | None:
    overrides = {"content_dir": args.content, "out_dir": args.out, "base_url": args.base_url}
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


def run_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    """`build` and `check`: run the pipeline, print what it found."""
    config = _config(args, err)
    if config is None:
        return Exit.CONTENT_ERROR
    write = args.verb == "build"
    report = build(config, write=write, strict=args.strict)
    _print_diagnostics(report.diagnostics, err, args.quiet)
    status = _status(report, args.strict)
    if status is Exit.OK and not args.quiet:
        print(_summary(report, config, args.verb), file=out)
        if getattr(args, "verbose", False):
            print("  " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in report.timings.items()), file=out)
    elif status is not Exit.OK and write:
        print(_failure(report, args.strict, config), file=err)
    return status


HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], Exit]] = {
    "build": run_build,
    "check": run_build,
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
