"""Full-text search: Pagefind indexes one small record per signal and per note into the site's `pagefind/`.

A record is a minimal HTML document at its page's path (`signals/<id>/index.html`) holding only what a
search should find: the signal's cells, its note's title, keywords and themes, and Pagefind's filters
(type, force, category, theme, keyword, year) and metadata (note, date). Records are kept in the build
cache and rewritten only when they change, so the index is remade only when something searchable changed,
and Pagefind reads a few hundred bytes per page instead of the whole page (4× faster at 10,000 notes).
The index goes into the staging folder before a cold build swaps it in, or is made beside the published
site after an incremental build and swapped in whole, so a reader never sees half an index. The preview
makes it on a thread of its own (`BackgroundIndexer`) so a page refresh never waits for it, and cancels
it when the preview stops. A `.stale` mark in the records folder, set before the first record changes and
cleared once an index made from them is published, makes the next build index again after a kill or a
failed run.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from html import escape
from pathlib import Path

from signalkb.core import urls
from signalkb.core.diagnostics import Diagnostic, warning
from signalkb.core.files import is_temp, write_atomic
from signalkb.core.model import COLUMNS, KnowledgeBase, Note

log = logging.getLogger(__name__)

BUNDLE = urls.SEARCH_BUNDLE.rstrip("/")
"""The search bundle's folder in the site."""
TIMEOUT = 900.0
"""Seconds an indexing run may take before it is given up (100,000 notes take a few minutes)."""
_HOW = "install pagefind (pip install 'pagefind[bin]'), or build with --no-search"


RECORDS = "search-records"
"""The folder of search records in the build cache."""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _filters(name: str, values: Iterable[str]) -> str:
    return "".join(f'<li data-pagefind-filter="{name}">{_e(v)}</li>' for v in dict.fromkeys(v for v in values if v))


def _document(lang: str, kind: str, title: str, date: str, note: str, texts: Iterable[str], filters: str) -> bytes:
    meta = f'<p data-pagefind-meta="date:{date}"></p><p data-pagefind-filter="year:{date[:4]}"></p>' if date else ""
    note_meta = f'<p data-pagefind-meta="note">{_e(note)}</p>' if note else ""
    body = "".join(f"<p>{_e(t)}</p>" for t in texts if t)
    return (
        f'<!doctype html><html lang="{_e(lang)}"><head><meta charset="utf-8"><title>{_e(title)}</title></head>'
        f'<body data-pagefind-body data-pagefind-filter="type:{kind}"><h1>{_e(title)}</h1>{meta}{note_meta}'
        f"{body}<ul>{filters}</ul></body></html>"
    ).encode()


def records(kb: KnowledgeBase, language: str, notes: Iterable[Note] | None = None) -> dict[str, bytes]:
    """The search record of every signal and note (of `notes`, by default all), by output path."""
    keywords = {t.id: t.label for t in kb.keywords}
    themes = {t.id: t.label for t in kb.themes}
    out: dict[str, bytes] = {}
    for note in kb.notes if notes is None else notes:
        date = note.date.isoformat() if note.date else ""
        terms = _filters("keyword", (keywords[k] for k in note.keyword_ids)) + _filters(
            "theme", (themes[t] for t in note.theme_ids)
        )
        signals = [kb.signals_by_id[sid] for sid in note.signal_ids]
        every_force = [kb.forces_by_id[link.force_id] for s in signals for link in s.forces]
        for signal in signals:
            forces = [kb.forces_by_id[link.force_id] for link in signal.forces]
            texts = [signal.cells[c].text for c in COLUMNS] + [cell.text for _, cell in signal.extra]
            filters = _filters("force", (f.label for f in forces)) + _filters(
                "category", (f.category or "" for f in forces)
            )
            title = signal.text or "(no signal text)"
            out[urls.output_path(urls.signal(signal.id))] = _document(
                language, "Signal", title, date, note.title, [*texts, note.title], filters + terms
            )
        texts = [note.parsed.summary_text, *(s.text for s in signals)]
        filters = _filters("force", (f.label for f in every_force)) + _filters(
            "category", (f.category or "" for f in every_force)
        )
        out[urls.output_path(urls.note(note.id))] = _document(
            language, "Note", note.title, date, "", texts, filters + terms
        )
    return out


_TMP = ".partial"
"""The temp files of an older signalkb's record writes (write_atomic's temp files are swept too)."""
MANIFEST = ".digests.pickle"
"""In the records folder: each record's digest, so unchanged records are not read back to be compared."""


def sync_records(folder: Path, wanted: dict[str, bytes]) -> int:
    """Make `folder` hold exactly the `wanted` records, rewriting only those that changed; how many changed."""
    digests = {rel: hashlib.blake2b(data, digest_size=16).digest() for rel, data in wanted.items()}
    try:
        with open(folder / MANIFEST, "rb") as handle:
            known: dict[str, bytes] = pickle.load(handle)  # noqa: S301 - our own cache file
    except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
        known = {}
    existing = set()
    for path in folder.rglob("*") if folder.is_dir() else ():
        if path.name.endswith(_TMP) or is_temp(path.name):  # left by a build killed while it wrote
            with contextlib.suppress(OSError):
                path.unlink()
        elif path.suffix == ".html":
            existing.add(path.relative_to(folder).as_posix())
    changed = 0
    for rel, data in wanted.items():
        if rel in existing and known.get(rel) == digests[rel]:
            continue
        if not changed:
            forget(folder)  # before the first write: a build killed from here on leaves the mark
        _write_record(folder / rel, data)
        changed += 1
    for rel in existing - wanted.keys():
        if not changed:
            forget(folder)
        with contextlib.suppress(FileNotFoundError):  # any other failure: a removed note would still be found
            (folder / rel).unlink()
        changed += 1
    if changed or known != digests:
        _write_record(folder / MANIFEST, pickle.dumps(digests, protocol=pickle.HIGHEST_PROTOCOL))
    return changed


def update_records(folder: Path, wanted: dict[str, bytes]) -> int:
    """Rewrite the records of `wanted` that changed (the others are left as they are); how many changed."""
    try:
        with open(folder / MANIFEST, "rb") as handle:
            known: dict[str, bytes] = pickle.load(handle)  # noqa: S301 - our own cache file
    except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
        known = {}  # the next full sync rewrites the records this one does not know
    changed = 0
    for rel, data in wanted.items():
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if known.get(rel) == digest and (folder / rel).is_file():
            continue
        if not changed:
            forget(folder)
        _write_record(folder / rel, data)
        known[rel] = digest
        changed += 1
    if changed:
        _write_record(folder / MANIFEST, pickle.dumps(known, protocol=pickle.HIGHEST_PROTOCOL))
    return changed


def _write_record(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)  # the preview's indexer may be reading it


STALE = ".stale"
"""In the records folder while the published index may not match the records: a random token per change."""


def forget(folder: Path) -> None:
    """Record that the index does not match the records (changed records, a failed run): the next build remakes it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STALE).write_text(os.urandom(8).hex(), encoding="ascii")


def stale_token(folder: Path) -> str | None:
    """The token of the last change not yet indexed, or None when the published index matches the records."""
    try:
        return (folder / STALE).read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return ""  # a mark that cannot be read: index again rather than keep a stale index


def mark_current(folder: Path, token: str | None) -> None:
    """The index made from the records as they were at `token` is published: clear the mark if nothing changed since."""
    if token is not None and stale_token(folder) == token:
        with contextlib.suppress(OSError):
            (folder / STALE).unlink()


def is_current(folder: Path, out_dir: Path) -> bool:
    """True when the site has a search bundle made from the records as they are."""
    return is_indexed(out_dir) and stale_token(folder) is None


def executable() -> Path | None:
    """The Pagefind binary that the `pagefind[bin]` package ships, or None when it is not installed."""
    try:
        import pagefind_bin
    except ImportError:
        return None
    try:
        return Path(pagefind_bin.get_executable())
    except (FileNotFoundError, OSError, RuntimeError):
        return None


class _GaveUp(Exception):
    """Pagefind was stopped before it finished (cancelled, or it ran past TIMEOUT)."""


def _run(command: list[str], cancel: threading.Event | None) -> tuple[int, str]:
    """Run Pagefind to the end, or until `cancel` is set or TIMEOUT passes (then kill it and raise _GaveUp)."""
    deadline = time.monotonic() + TIMEOUT
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
    ) as process:
        while True:
            try:
                stdout, stderr = process.communicate(timeout=0.25)
                return process.returncode, (stderr or stdout)
            except subprocess.TimeoutExpired:
                cancelled = cancel is not None and cancel.is_set()
                if cancelled or time.monotonic() > deadline:
                    process.kill()
                    process.communicate()
                    why = "it was cancelled" if cancelled else f"Pagefind took longer than {TIMEOUT:.0f} s"
                    raise _GaveUp(why) from None


def index(records: Path, bundle: Path, cancel: threading.Event | None = None) -> Diagnostic | None:
    """Index the records under `records` into the folder `bundle`; a warning (the site stays usable) on failure."""
    binary = executable()
    if binary is None:
        return warning("the search index was not built: Pagefind is not installed", None, _HOW)
    command = [str(binary), "--site", str(records), "--output-path", str(bundle), "--silent"]
    try:
        status, said = _run(command, cancel)
    except _GaveUp as exc:
        return warning(f"the search index was not built: {exc}", None, _HOW)
    except OSError as exc:
        return warning(f"the search index was not built: {exc}", None, _HOW)
    if status != 0 or not (bundle / "pagefind.js").is_file():
        lines = said.strip().splitlines()
        why = lines[-1] if lines else f"Pagefind exited with status {status}"
        return warning(f"the search index was not built: {why}", None, _HOW)
    return None


def refresh(
    records: Path,
    out_dir: Path,
    lock: AbstractContextManager[object] | None = None,
    cancel: threading.Event | None = None,
) -> Diagnostic | None:
    """Index the records beside the published site, then swap the new bundle in (holding `lock` while swapping)."""
    out_dir = out_dir.resolve()
    token = stale_token(records)
    work: Path | None = None
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-search-", dir=out_dir.parent))
        problem = index(records, work / BUNDLE, cancel)
        if problem is not None:
            return problem
        with lock or nullcontext():
            target = out_dir / BUNDLE
            if target.exists():
                target.replace(work / "old")
            (work / BUNDLE).replace(target)
        mark_current(records, token)
        return None
    except OSError as exc:
        return warning(f"the search index was not replaced: {exc}", None, "check free space and permissions")
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def remove(out_dir: Path, lock: AbstractContextManager[object] | None = None) -> None:
    """Delete the site's search bundle (search was turned off)."""
    bundle = out_dir / BUNDLE
    if bundle.is_dir():
        with lock or nullcontext():
            shutil.rmtree(bundle, ignore_errors=True)


def is_indexed(out_dir: Path) -> bool:
    """True when the site has a search bundle."""
    return (out_dir / BUNDLE / "pagefind.js").is_file()


class BackgroundIndexer:
    """Re-indexes the preview's site on a thread of its own; requests made while it runs are merged into one.

    `done` is called with the outcome (None, or a warning) after every run.
    """

    def __init__(
        self,
        records: Path,
        out_dir: Path,
        lock: AbstractContextManager[object] | None,
        done: Callable[[Diagnostic | None], None] | None = None,
    ) -> None:
        self.records = records
        self.out_dir = out_dir
        self.lock = lock
        self.done = done
        self._state = threading.Condition()
        self._requested = 0
        self._finished = 0
        self._stopping = False
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="signalkb-search", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a new index of the site as it is now (returns at once)."""
        with self._state:
            self._requested += 1
            self._state.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every request so far has been served; False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._finished >= self._requested, timeout)

    def stop(self) -> None:
        """Stop, cancelling the current run (if any); the next build indexes again."""
        self._cancel.set()
        with self._state:
            self._stopping = True
            self._state.notify_all()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._stopping or self._requested > self._finished)
                if self._stopping:
                    return
                serving = self._requested
            try:
                problem = refresh(self.records, self.out_dir, self.lock, self._cancel)
            except Exception as exc:  # the preview goes on without a fresh index
                log.exception("indexing for search failed")
                problem = warning(f"the search index was not built: {exc!r}", None, "this is a bug in signalkb")
            try:
                if self.done is not None and not self._cancel.is_set():
                    self.done(problem)
            except (OSError, ValueError):
                pass  # the terminal is gone (a broken pipe, a closed stream): there is no one left to tell
            finally:  # even when `done` has a bug (it ends this thread, with a traceback), wait() returns
                with self._state:
                    self._finished = serving
                    self._state.notify_all()
