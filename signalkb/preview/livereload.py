"""Serving the output folder with live reload: safe paths, the reload script and error overlay, the long poll.

Stdlib HTTP, one thread per request, the output folder only; the live-reload script and the error overlay are
added to HTML responses as they are served, never written to the output folder.
"""

from __future__ import annotations

import collections
import errno
import html
import ipaddress
import json
import logging
import mimetypes
import secrets
import socket
import socketserver
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

log = logging.getLogger(__name__)

RELOAD_PATH = "/__reload"
"""The long-poll endpoint: `GET /__reload?epoch=E&page=P` answers `{"epoch": ...}` once a build published after
E changed the page at path P (or changed everything, or failed); else, after a while, with E itself."""
HISTORY = 256
"""Published builds remembered with the pages they changed (a page last loaded before them simply reloads)."""
POLL_TIMEOUT = 30.0
"""Seconds a long-poll request waits for a new build before it answers with the same epoch."""

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}

_RELOAD_SCRIPT = """<script id="signalkb-live-reload">
(() => {
  const epoch = %(epoch)s;
  let controller = null;
  let delay = 500;
  const pause = (ms) => new Promise((resume) => setTimeout(resume, ms));
  async function poll() {
    if (controller !== null || document.hidden) return;
    const mine = new AbortController();
    controller = mine;
    try {
      while (!document.hidden && controller === mine) {
        try {
          const url = "%(path)s?epoch=" + encodeURIComponent(epoch) + "&page=" + encodeURIComponent(location.pathname);
          const response = await fetch(url, {cache: "no-store", signal: mine.signal});
          if (!response.ok) throw new Error("HTTP " + response.status);
          const data = await response.json();
          delay = 500;
          if (data.epoch !== epoch) { location.reload(); return; }
        } catch (problem) {
          if (mine.signal.aborted) return;
          await pause(delay);
          delay = Math.min(delay * 2, 5000);
        }
      }
    } finally {
      if (controller === mine) controller = null;
    }
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { poll(); return; }
    if (controller !== null) controller.abort();
    controller = null;
  });
  poll();
})();
</script>
"""

_OVERLAY = """<div id="signalkb-overlay" role="alert" style="position:fixed;inset:auto 0 0 0;z-index:2147483647;\
max-height:60vh;overflow:auto;margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#fdecea;\
font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border-top:4px solid #e5484d">
<button type="button" onclick="this.parentNode.remove()" style="float:right;font:inherit">Hide</button>
<strong>The last rebuild failed: you are looking at the last good site.</strong>
<pre style="white-space:pre-wrap;margin:.75rem 0">%(messages)s</pre>
<div>Fix the problem and save; this page reloads when the next build succeeds.%(more)s</div>
</div>
"""

_NOT_FOUND = (
    b'<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Not found</title></head>\n'
    b'<body>\n<h1>Not found</h1>\n<p>No page at this address. <a href="/">Home</a></p>\n</body>\n</html>\n'
)


class ServeError(Exception):
    """The preview cannot start (port in use, unknown host, ...); the message says what to do."""


@dataclass(frozen=True)
class Snapshot:
    """What the browser is told with a page: the epoch of the published build and the errors of a failed one."""

    epoch: str
    errors: tuple[str, ...] = ()
    """Formatted error diagnostics of the last build; empty when it succeeded."""
    warnings: int = 0
    """How many warnings that failed build also had."""


class PreviewState:
    """The published build's epoch and errors, shared by the rebuild thread and the request threads."""

    def __init__(self) -> None:
        self.publish_lock = threading.Lock()
        """Held by the build while it swaps the new site in, and by requests while they read a file."""
        self._cond = threading.Condition()
        self._token = secrets.token_hex(4)
        self._count = 0
        self._snapshot = Snapshot(self._epoch())
        self._closed = False
        self._history: collections.deque[tuple[int, frozenset[str] | None]] = collections.deque(maxlen=HISTORY)
        """(epoch number, output files it changed, or None for a whole build), newest last."""

    def _epoch(self) -> str:
        return f"{self._token}-{self._count}"

    def snapshot(self) -> Snapshot:
        """The current epoch and errors."""
        with self._cond:
            return self._snapshot

    def publish(self, errors: Sequence[str] = (), warnings: int = 0, changed: Collection[str] | None = None) -> str:
        """A build finished (successfully when `errors` is empty): advance the epoch and wake waiting browsers.

        `changed` names the output files the build changed (`notes/x/index.html`), when it knows them: only
        browsers showing one of them reload.
        """
        with self._cond:
            self._count += 1
            self._snapshot = Snapshot(self._epoch(), tuple(errors), warnings if errors else 0)
            self._history.append((self._count, None if errors or changed is None else frozenset(changed)))
            self._cond.notify_all()
            return self._snapshot.epoch

    def _due(self, epoch: str, page: str | None) -> bool:
        """True when a page shown at `epoch` (`page`: its output file) should reload."""
        if self._closed or epoch == self._snapshot.epoch:
            return self._closed
        token, _, number = epoch.rpartition("-")
        if page is None or token != self._token or not number.isdigit():
            return True
        seen = int(number)
        if not self._history or self._history[0][0] > seen + 1:
            return True  # older than what is remembered
        return any(n > seen and (files is None or page in files) for n, files in self._history)

    def wait_for_change(self, epoch: str, timeout: float, page: str | None = None) -> str:
        """Block until a build after `epoch` changed `page` (any page when None), `timeout` passed or the preview
        stops; returns the current epoch, or `epoch` itself when nothing the page shows changed."""
        with self._cond:
            due = self._cond.wait_for(lambda: self._due(epoch, page), timeout)
            return self._snapshot.epoch if due else epoch

    def close(self) -> None:
        """Release every waiting request."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def overlay(snapshot: Snapshot) -> str:
    """The error overlay for a failed build (escaped), or an empty string."""
    if not snapshot.errors:
        return ""
    more = f" There are {snapshot.warnings} warnings too; see the terminal." if snapshot.warnings else ""
    return _OVERLAY % {"messages": html.escape("\n".join(snapshot.errors)), "more": html.escape(more)}


def inject(page: bytes, snapshot: Snapshot) -> bytes:
    """The page with the error overlay (if any) and the live-reload script added before `</body>`."""
    epoch = json.dumps(snapshot.epoch).replace("<", "\\u003c")
    extra = (overlay(snapshot) + _RELOAD_SCRIPT % {"epoch": epoch, "path": RELOAD_PATH}).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + extra
    return page[:at] + extra + page[at:]


def output_file(request_path: str | None) -> str | None:
    """The output file a browser shows at `request_path` (`/notes/x/` → `notes/x/index.html`), for reloads."""
    if request_path is None:
        return None
    path = unquote(request_path.split("?", 1)[0]).lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


@dataclass(frozen=True)
class Redirect:
    """The request names a folder without the trailing slash; relative links need it."""

    location: str


def locate(root: Path, request_path: str) -> Path | Redirect | None:
    """The file inside `root` a request path names, a redirect for a folder without `/`, or None (→ 404).

    Refused (None): anything that would leave `root` (`..`, encoded slashes or dots, symlinks pointing out),
    dotfiles, folders without `index.html`, paths that are not absolute or not valid UTF-8.
    """
    path = request_path.split("#", 1)[0]
    path, _, query = path.partition("?")
    lowered = path.lower()
    if not path.startswith("/") or "\\" in path or any(code in lowered for code in ("%2f", "%5c", "%00")):
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [part for part in decoded.split("/") if part]
    if any(part.startswith(".") for part in parts):
        return None
    try:
        base = root.resolve(strict=True)
        target = base.joinpath(*parts).resolve(strict=True)
        if target != base and base not in target.parents:
            return None
        if target.is_dir():
            if not decoded.endswith("/"):
                return Redirect(path + "/" + (f"?{query}" if query else ""))
            target = (target / "index.html").resolve(strict=True)
            if base not in target.parents:
                return None
    except (OSError, RuntimeError):
        return None
    return target if target.is_file() else None


def content_type(path: Path) -> str:
    """The Content-Type of a served file (UTF-8 for text)."""
    suffix = path.suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server over the output folder, sharing the preview's state."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], root: Path, state: PreviewState, poll_timeout: float) -> None:
        self.root = root
        self.state = state
        self.poll_timeout = poll_timeout
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup HTTPServer does (slow on machines without DNS)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request failed (usually the browser went away): log it, print nothing."""
        log.debug("request from %s failed", client_address, exc_info=True)

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.server_address[1])


class _PreviewServer6(PreviewServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """GET and HEAD of files in the output folder, plus the long-poll endpoint."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        """The Server header: no Python version."""
        return "signalkb-preview"

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _serve(self, with_body: bool) -> None:
        path, _, query = self.path.partition("?")
        if path == RELOAD_PATH:
            self._long_poll(query, with_body)
            return
        snapshot = self.server.state.snapshot()  # before reading: an older epoch only costs one extra reload
        data: bytes | None = None
        with self.server.state.publish_lock:
            found = locate(self.server.root, self.path)
            if isinstance(found, Path):
                try:
                    data = found.read_bytes()
                except OSError:
                    data = None
        if isinstance(found, Redirect):
            self._send(302, b"", "text/plain; charset=utf-8", with_body, {"Location": found.location})
        elif data is None or not isinstance(found, Path):
            self._send(404, inject(_NOT_FOUND, snapshot), _TYPES[".html"], with_body)
        else:
            kind = content_type(found)
            if kind.startswith("text/html"):
                data = inject(data, snapshot)
            self._send(200, data, kind, with_body)

    def _long_poll(self, query: str, with_body: bool) -> None:
        fields = parse_qs(query)
        epoch = fields.get("epoch", [""])[0]
        page = fields.get("page", [None])[0]
        current = self.server.state.wait_for_change(epoch, self.server.poll_timeout, output_file(page))
        self._send(200, json.dumps({"epoch": current}).encode("utf-8"), _TYPES[".json"], with_body)

    def _send(
        self, status: int, data: bytes, kind: str, with_body: bool, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            html_like = kind.startswith(("text/html", "application/json"))
            self.send_header("Cache-Control", "no-store" if html_like else "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if with_body:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def bind_server(host: str, port: int, root: Path, state: PreviewState, poll_timeout: float) -> PreviewServer:
    """Listen on `host:port`; a port in use (or any other failure) is a ServeError that says what to do."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ServeError(f"cannot listen on {host!r}: unknown host; use an address such as 127.0.0.1") from exc
    server_class = _PreviewServer6 if family == socket.AF_INET6 else PreviewServer
    try:
        return server_class((host, port), root, state, poll_timeout)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is already in use (another preview or server?); "
                "stop it, choose another port with --port N, or use --port 0 to pick a free one"
            ) from exc
        if exc.errno == errno.EACCES:
            raise ServeError(
                f"not allowed to listen on port {port}; use a port above 1023 (--port 8000) or --port 0"
            ) from exc
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def is_loopback(host: str) -> bool:
    """True when `host` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except (socket.gaierror, UnicodeError):
            return False
        return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def site_url(host: str, port: int) -> str:
    """The address to open in a browser for a server listening on `host:port`."""
    if host in ("", "0.0.0.0"):  # noqa: S104 (naming the wildcard address, not binding it)
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
