"""Watching and rebuilding for the preview: which changes count, a debounced serialised rebuild loop, one rebuild."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from watchdog.events import (
    EVENT_TYPE_ATTRIB,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from signalkb.core.config import SiteConfig, overlap_problem
from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, has_errors, shown_path, warning
from signalkb.engine import pipeline
from signalkb.engine.fastpath import Session
from signalkb.engine.pipeline import BuildReport
from signalkb.notes.sources import is_temp_file

log = logging.getLogger(__name__)

DEBOUNCE = 0.05
"""Seconds without a new change before a rebuild starts (a burst of saves gives one build)."""
MAX_DELAY = 2.0
"""Seconds after the first change of a burst when a rebuild starts even if changes keep coming."""
POLL_INTERVAL = 0.5
"""Seconds between two scans of the inputs with `--poll`."""

_CHANGES = frozenset({EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_ATTRIB})
"""Event types that may change the site; opening or closing a file (the build reads them all) does not."""


@dataclass(frozen=True)
class WatchedPath:
    """One input to watch: a folder (with everything under it), or a single file (watched through its folder)."""

    path: Path
    """Absolute path of the folder, or of the file."""
    is_file: bool = False
    """True for a single file such as `site.yaml`; it may not exist yet."""

    @property
    def folder(self) -> Path:
        """The folder the observer is scheduled on."""
        return self.path.parent if self.is_file else self.path


class ChangeFilter:
    """Decides whether a changed path is an input of the site: inside a watched folder (or the watched file),
    not in the output folder, and neither a dotfile nor an editor temp file in any part of its path."""

    def __init__(self, watched: Sequence[WatchedPath], out_dir: Path) -> None:
        self.watched = tuple(WatchedPath(w.path.absolute(), w.is_file) for w in watched)
        self.out_dir = out_dir.absolute()

    def relevant(self, path: str | Path) -> bool:
        """True when a change to `path` can change the site."""
        target = Path(path).absolute()
        if target == self.out_dir or self.out_dir in target.parents:
            return False
        for watched in self.watched:
            if watched.is_file:
                if target == watched.path:
                    return True
                continue
            try:
                rel = target.relative_to(watched.path)
            except ValueError:
                continue
            return not any(is_temp_file(part) for part in rel.parts)
        return False


def event_paths(event: FileSystemEvent) -> list[str]:
    """The paths an event names (a move names two) when its kind can change the site; none otherwise."""
    if event.event_type not in _CHANGES or (event.is_directory and event.event_type == EVENT_TYPE_MODIFIED):
        return []
    paths = [os.fsdecode(event.src_path)]
    if event.event_type == EVENT_TYPE_MOVED and event.dest_path:
        paths.append(os.fsdecode(event.dest_path))
    return paths


class _Handler(FileSystemEventHandler):
    """Passes the relevant paths of every event on to `on_change`."""

    def __init__(self, changes: ChangeFilter, on_change: Callable[[str], None]) -> None:
        self.changes = changes
        self.on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        for path in event_paths(event):
            if self.changes.relevant(path):
                log.debug("change: %s %s", event.event_type, path)
                self.on_change(path)


def start_watching(
    watched: Iterable[WatchedPath], out_dir: Path, on_change: Callable[[str], None], *, poll: bool = False
) -> tuple[BaseObserver, list[Path]]:
    """Start an observer (inotify and the like, or polling with `poll`) that calls `on_change(path)` for each change
    to an input; returns it and the folders that could not be watched because they do not exist."""
    watched = [WatchedPath(item.path.absolute(), item.is_file) for item in watched]
    observer: BaseObserver = PollingObserver(timeout=POLL_INTERVAL) if poll else Observer()
    handler = _Handler(ChangeFilter(watched, out_dir), on_change)
    missing: list[Path] = []
    scheduled: set[tuple[Path, bool]] = set()
    for item in watched:
        key = (item.folder, not item.is_file)
        if key in scheduled:
            continue
        if not item.folder.is_dir():
            missing.append(item.folder)
            continue
        observer.schedule(handler, str(item.folder), recursive=not item.is_file)
        scheduled.add(key)
    observer.daemon = True
    observer.start()
    return observer, missing


def stop_watching(observer: BaseObserver, timeout: float = 2.0) -> None:
    """Stop an observer started by `start_watching` and wait (a bounded time) for its threads."""
    observer.stop()
    observer.join(timeout)


class RebuildLoop:
    """Runs `build(changed_paths)` on a thread of its own: once per burst of changes (after `debounce` seconds
    without a new one, or `max_delay` after the first), never two at once; changes made during a build give
    exactly one follow-up build."""

    def __init__(
        self,
        build: Callable[[list[str]], None],
        *,
        debounce: float = DEBOUNCE,
        max_delay: float = MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
        name: str = "signalkb-rebuild",
    ) -> None:
        self._build = build
        self._debounce = debounce
        self._max_delay = max(max_delay, debounce)
        self._clock = clock
        self._cond = threading.Condition()
        self._changed: dict[str, None] = {}
        self._first_change: float | None = None
        self._last_change = 0.0
        self._building = False
        self._stopping = False
        self._builds = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def builds(self) -> int:
        """How many builds have finished (failed ones included)."""
        with self._cond:
            return self._builds

    def request(self, path: str = "") -> None:
        """Note a change (thread-safe, cheap); a build follows once the changes pause."""
        with self._cond:
            now = self._clock()
            if self._first_change is None:
                self._first_change = now
            self._last_change = now
            if path and len(self._changed) < 1000:
                self._changed[path] = None
            self._cond.notify_all()

    def start(self) -> None:
        """Start the loop's thread."""
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop the loop; waits up to `timeout` for a running build; False if it is still running."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no change is pending and no build is running; False if that did not happen within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._building or self._first_change is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def wait_for_builds(self, count: int, timeout: float) -> bool:
        """Wait until at least `count` builds have finished; False if that did not happen within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._builds < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _next(self) -> list[str] | None:
        """Block until a build is due and return the changed paths, or None when stopping."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if self._first_change is None:
                    self._cond.wait()
                    continue
                due = min(self._last_change + self._debounce, self._first_change + self._max_delay)
                left = due - self._clock()
                if left > 0:
                    self._cond.wait(left)
                    continue
                changed = list(self._changed)
                self._changed.clear()
                self._first_change = None
                self._building = True
                return changed

    def _run(self) -> None:
        while (changed := self._next()) is not None:
            try:
                self._build(changed)
            except Exception:
                log.exception("the rebuild crashed; waiting for the next change")
            finally:
                with self._cond:
                    self._building = False
                    self._builds += 1
                    self._cond.notify_all()


ConfigLoader = Callable[[], tuple[SiteConfig, list[Diagnostic]]]
"""Reads the site configuration again (after `site.yaml` changed)."""


class Rebuilder:
    """One preview build: `site.yaml` read again, the pipeline run under the publish lock, the terminal told,
    then `publish(errors, warnings, files)` called (empty errors: the new site is live; files: None for all)."""

    def __init__(
        self,
        config: SiteConfig,
        *,
        publish_lock: AbstractContextManager[object],
        publish: Callable[[list[str], int, Collection[str] | None], object],
        out: TextIO,
        err: TextIO,
        quiet: bool = False,
        config_file: Path | None = None,
        reload_config: ConfigLoader | None = None,
    ) -> None:
        self.config = config
        self.publish_lock = publish_lock
        self.publish = publish
        self.out = out
        self.err = err
        self.quiet = quiet
        self.config_file = config_file
        self.reload_config = reload_config
        self._printed_warnings: list[str] | None = None
        self.index_search: Callable[[bool, bool], None] | None = None
        """Called after every written build with whether search is on and whether a search record changed."""
        self._search = config.search
        self.session = Session()
        """The last build's knowledge base and plan, for the fast path (fastpath.py)."""

    def __call__(self, changed: list[str], first: bool = False) -> None:
        """Build (after changes to the `changed` paths), tell the terminal, publish the outcome."""
        if changed:
            names = ", ".join(shown_path(path) for path in changed[:3])
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            self.say(f"{time.strftime('%H:%M:%S')} changed: {names}{more}", chatty=True)
        elif first:
            self.say(f"building {shown_path(self.config.content_dir)}/ …", chatty=True)
        report = self.build()
        self._report(report, first)
        errors = [d.format() for d in report.sorted_diagnostics() if d.is_error]
        if not (report.fast or report.unchanged):  # the fast path told the browsers as soon as its pages were live
            self.publish(errors, sum(not d.is_error for d in report.diagnostics), None)
        if report.written and self.index_search is not None:
            self.index_search(self._search, report.search_changed > 0)  # after the reload: pages never wait for it

    def say(self, line: str, stream: TextIO | None = None, chatty: bool = False) -> None:
        """Write one line to the terminal (`out` unless told otherwise); `chatty` lines are left out with quiet."""
        if not (chatty and self.quiet):
            stream = stream or self.out
            stream.write(line + "\n")
            stream.flush()

    def current_config(self) -> tuple[SiteConfig | None, list[Diagnostic]]:
        """The configuration for this build: `site.yaml` read again, with the watched folders kept as they were."""
        if self.reload_config is None:
            return self.config, []
        config, problems = self.reload_config()
        if has_errors(problems):
            return None, problems
        where = SourceLocation(shown_path(self.config_file)) if self.config_file is not None else None
        folders = ("content_dir", "out_dir", "templates_dir")
        moved = [name for name in folders if getattr(config, name) != getattr(self.config, name)]
        if moved:
            problems.append(warning(f"{', '.join(moved)} changed", where, "restart the preview to use the new folders"))
            config = replace(config, **{name: getattr(self.config, name) for name in folders})
        problem = overlap_problem(config)
        if problem:
            return None, [*problems, error(problem, where)]
        return config, problems

    def build(self) -> BuildReport:
        """Run the pipeline once; a crash becomes an error diagnostic, never an exception."""
        config, problems = self.current_config()
        if config is None:
            return BuildReport(diagnostics=problems)
        try:
            self._search = config.search
            report = pipeline.preview_build(
                config,
                self.session,
                publish_lock=self.publish_lock,
                published=lambda files: self.publish([], 0, files),
            )
        except Exception as exc:
            log.exception("the build crashed")
            report = BuildReport(
                diagnostics=[error(f"the build crashed: {exc!r}", None, "this is a bug in signalkb; please report it")]
            )
        report.diagnostics[:0] = problems
        return report

    def _report(self, report: BuildReport, first: bool) -> None:
        diagnostics = report.sorted_diagnostics()
        warnings = [d.format() for d in diagnostics if not d.is_error]
        for line in (d.format() for d in diagnostics if d.is_error):
            self.say(line, self.err)
        if warnings != self._printed_warnings:
            for line in warnings:
                self.say(line, self.err, chatty=True)
            self._printed_warnings = warnings
        elif warnings:
            self.say(f"({len(warnings)} warnings, as before)", self.err, chatty=True)
        stamp = time.strftime("%H:%M:%S")
        if report.failed:
            errors = sum(d.is_error for d in diagnostics)
            keep = "still serving the last good site; open pages show the errors"
            self.say(f"{stamp} build failed: {errors} error{'s' if errors != 1 else ''}; {keep}", self.err)
            return
        counts = f"{report.notes} notes, {report.signals} signals, {report.forces} forces ({report.pages} pages)"
        if report.unchanged:
            self.say(f"{stamp} nothing changed: {counts} in {report.seconds:.2f} s", chatty=True)
            return
        if report.fast:
            notes = f"{report.parsed} note{'s' if report.parsed != 1 else ''} ({report.files} files)"
            self.say(f"{stamp} updated the pages of {notes} in {report.seconds:.2f} s", chatty=True)
            return
        verb = "built" if first else "rebuilt"
        self.say(f"{stamp} {verb} {counts} in {report.seconds:.2f} s", chatty=True)
