"""The preview (`build.py serve`): a first build, the site served on a local address, a rebuild per change.

The pieces: `watch` (which changes count, the debounced rebuild loop, one rebuild) and `livereload` (the HTTP
server, the reload script and the error overlay). This module wires them together and stops them cleanly.
"""

from __future__ import annotations

import logging
import threading
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from watchdog.observers.api import BaseObserver

from signalkb.core.config import SiteConfig
from signalkb.core.diagnostics import Diagnostic, shown_path
from signalkb.engine import cache
from signalkb.preview.livereload import (
    POLL_TIMEOUT,
    PreviewServer,
    PreviewState,
    ServeError,
    bind_server,
    is_loopback,
    site_url,
)
from signalkb.preview.watch import (
    DEBOUNCE,
    ConfigLoader,
    Rebuilder,
    RebuildLoop,
    WatchedPath,
    start_watching,
    stop_watching,
)
from signalkb.publishing import search
from signalkb.publishing.search import BackgroundIndexer
from signalkb.publishing.staging import OutputRefused, check_output

__all__ = ["Preview", "PreviewOptions", "ServeError", "run_preview"]

log = logging.getLogger(__name__)

_EXPOSED = "other machines on your network can read the preview; use --host 127.0.0.1 to keep it private"


@dataclass(frozen=True)
class PreviewOptions:
    """How the preview listens, watches and rebuilds."""

    host: str = "127.0.0.1"
    """Address to listen on; loopback unless asked otherwise."""
    port: int = 8000
    """Port to listen on; 0 picks a free one."""
    poll: bool = False
    """Scan the inputs for changes instead of relying on change notifications (network drives, containers)."""
    open_browser: bool = False
    """Open the site in the default browser after the first build."""
    quiet: bool = False
    """Print errors only."""
    debounce: float = DEBOUNCE
    """Seconds without a new change before a rebuild starts."""
    poll_timeout: float = POLL_TIMEOUT
    """Seconds a long-poll request is held open."""


class Preview:
    """A first build, the site served on a local address, and a rebuild (and reload of open pages) per change."""

    def __init__(
        self,
        config: SiteConfig,
        options: PreviewOptions,
        *,
        out: TextIO,
        err: TextIO,
        config_file: Path | None = None,
        reload_config: ConfigLoader | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.err = err
        self.config_file = config_file.absolute() if config_file is not None else None
        self.state = PreviewState()
        self.rebuilder = Rebuilder(
            config,
            publish_lock=self.state.publish_lock,
            publish=self.state.publish,
            out=out,
            err=err,
            quiet=options.quiet,
            config_file=self.config_file,
            reload_config=reload_config,
        )
        self.loop = RebuildLoop(self.rebuilder, debounce=options.debounce)
        self.records = cache.cache_dir_for(config.out_dir, config.content_dir) / search.RECORDS
        self.indexer = BackgroundIndexer(self.records, config.out_dir, self.state.publish_lock, self._indexed)
        self.rebuilder.index_search = self._index_search
        self._search_problem: str | None = None
        self.server: PreviewServer | None = None
        self._observer: BaseObserver | None = None
        self._server_thread: threading.Thread | None = None
        self._closed = False

    def _index_search(self, wanted: bool, changed: bool) -> None:
        if wanted:
            if changed or not search.is_current(self.records, self.config.out_dir):
                self.indexer.request()
        else:
            search.remove(self.config.out_dir, self.state.publish_lock)

    def _indexed(self, problem: Diagnostic | None) -> None:
        """Tell the terminal when indexing fails (once per distinct problem)."""
        text = problem.format() if problem is not None else None
        if text is not None and text != self._search_problem:
            self.rebuilder.say(text, self.err)
        self._search_problem = text

    @property
    def url(self) -> str:
        """The address of the served site."""
        assert self.server is not None, "start() the preview first"
        return site_url(self.options.host, self.server.port)

    def watched(self) -> list[WatchedPath]:
        """The inputs of the site: the content and templates folders and the configuration file."""
        inputs = [WatchedPath(self.config.content_dir), WatchedPath(self.config.templates_dir)]
        if self.config_file is not None:
            inputs.append(WatchedPath(self.config_file, is_file=True))
        return inputs

    def start(self) -> None:
        """Listen, start watching, build once, then serve and rebuild on changes; ServeError if it cannot listen."""
        try:
            check_output(self.config.out_dir)  # never serve a folder signalkb did not make
        except OutputRefused as exc:
            raise ServeError(str(exc)) from exc
        self.server = bind_server(
            self.options.host, self.options.port, self.config.out_dir, self.state, self.options.poll_timeout
        )
        try:
            say = self.rebuilder.say
            if not is_loopback(self.options.host):
                say(f"warning: listening on {self.options.host}: {_EXPOSED}", self.err)
            self._observer, missing = start_watching(
                self.watched(), self.config.out_dir, self.loop.request, poll=self.options.poll
            )
            for folder in missing:
                say(f"warning: {shown_path(folder)} does not exist, so it is not watched", self.err)
            self.rebuilder([], first=True)
            self.loop.start()
            self._server_thread = threading.Thread(
                target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="signalkb-http", daemon=True
            )
            self._server_thread.start()
            say(f"serving {shown_path(self.config.out_dir)}/ at {self.url}  (Ctrl-C to stop)")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop watching, rebuilding and serving (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._observer is not None:
            stop_watching(self._observer)
        if not self.loop.stop(timeout=2.0):
            log.warning("a rebuild was still running when the preview stopped; its staging folder is removed next time")
        self.indexer.stop()
        self.state.close()
        if self.server is not None:
            if self._server_thread is not None:
                self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self, stop: threading.Event | None = None) -> None:
        """Block until `stop` is set (or forever); Ctrl-C raises KeyboardInterrupt here."""
        stop = stop or threading.Event()
        while not stop.wait(0.25):
            pass


def run_preview(
    config: SiteConfig,
    options: PreviewOptions,
    *,
    out: TextIO,
    err: TextIO,
    config_file: Path | None = None,
    reload_config: ConfigLoader | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run the preview until Ctrl-C (or `stop`); returns 0 after a clean stop, raises ServeError if it cannot listen."""
    preview = Preview(config, options, out=out, err=err, config_file=config_file, reload_config=reload_config)
    try:
        preview.start()
        if options.open_browser:
            threading.Thread(target=webbrowser.open, args=(preview.url,), daemon=True).start()
        preview.wait(stop)
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
    out.write("preview stopped\n")
    return 0
