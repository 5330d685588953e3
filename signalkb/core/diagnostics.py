"""Source locations, build diagnostics (`path:line: error|warning: message`) and the build-failure exception."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_MESSAGE = 2000
"""Longest message printed whole; longer ones (an enormous cell quoted) are cut in the middle."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class Severity(enum.StrEnum):
    """How bad a diagnostic is: errors fail the build, warnings do not (unless `--strict`)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in an input file; `line` is 1-based, or None when the whole file is meant."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Diagnostic:
    """One message about the input, formatted as `path:line: severity: message`."""

    severity: Severity
    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    """How to fix it, appended to the message after a semicolon."""

    def format(self) -> str:
        """Return the one-line form printed on stderr.

        Control characters (a note's text may hold terminal escape sequences or line breaks) are shown as
        escapes, and a message longer than MAX_MESSAGE characters (an enormous cell quoted) loses its middle.
        """
        text = self.message if self.hint is None else f"{self.message}; {self.hint}"
        if len(text) > MAX_MESSAGE:
            cut = len(text) - MAX_MESSAGE
            text = f"{text[: MAX_MESSAGE - 300]} … ({cut} characters left out) … {text[-300:]}"
        prefix = "signalkb" if self.location is None else str(self.location)
        return _CONTROL.sub(_escape, f"{prefix}: {self.severity.value}: {text}")

    @property
    def is_error(self) -> bool:
        """True for errors."""
        return self.severity is Severity.ERROR


def error(message: str, location: SourceLocation | None = None, hint: str | None = None) -> Diagnostic:
    """Make an error diagnostic."""
    return Diagnostic(Severity.ERROR, message, location, hint)


def warning(message: str, location: SourceLocation | None = None, hint: str | None = None) -> Diagnostic:
    """Make a warning diagnostic."""
    return Diagnostic(Severity.WARNING, message, location, hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, str]:
    """Order diagnostics by file, then line, then text, so output is reproducible."""
    loc = diagnostic.location
    return (loc.path if loc else "", (loc.line or 0) if loc else 0, diagnostic.message)


class BuildFailed(Exception):
    """Raised when the input has errors; carries every diagnostic collected so far."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{sum(d.is_error for d in diagnostics)} error(s)")
        self.diagnostics = diagnostics


def shown_path(path: Path | str) -> str:
    """A path as the terminal shows it: relative to the current folder when it is inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)
