"""The build cache: parsed notes by content hash, the force step's work, the fingerprint of every page published.

One mechanism serves `build` and the preview server. The cache lives beside the output folder
(`.signalkb-cache/`), is only a speed-up (deleting it, or `--clean`, gives a cold build with the same
output), and is written atomically. It holds pickles: it is trusted like the project's own files.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from signalkb.core.diagnostics import Diagnostic, SourceLocation, shown_path, warning
from signalkb.core.files import is_temp, write_atomic
from signalkb.core.model import ParsedNote
from signalkb.forces.matching import ForceMemo

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bumped whenever cached data changes shape; older caches are ignored."""


def cache_dir_for(out_dir: Path, content_dir: Path) -> Path:
    """The cache folder of one (content, output) pair: `.signalkb-cache/<hash>` beside the output folder."""
    key = hashlib.blake2b(f"{content_dir.resolve()}\n{out_dir.resolve()}".encode(), digest_size=6).hexdigest()
    return out_dir.resolve().parent / ".signalkb-cache" / key


def code_version() -> str:
    """A digest of signalkb's own source, so a cache made by other code is never reused."""
    digest = hashlib.blake2b(str(FORMAT_VERSION).encode(), digest_size=12)
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class NoteEntry:
    """A parsed note and the reader's diagnostics, for one content hash."""

    digest: str
    note: ParsedNote | None
    diagnostics: list[Diagnostic]


@dataclass
class CacheState:
    """What one build leaves for the next."""

    version: str = ""
    notes: dict[str, NoteEntry] = field(default_factory=dict)
    """By file path relative to the content folder."""
    pages: dict[str, str] = field(default_factory=dict)
    """Output file → fingerprint of what was published there."""
    templates: bytes = b""
    """Digest of the templates the pages were rendered with."""
    site_id: str = ""
    """The id written in the output folder's marker when these pages were published."""
    notes_changed: bool = True
    """True when `notes` differs from what is on disk."""
    forces: ForceMemo | None = None
    """What matching force phrases worked out per phrase and per force (matching.ForceMemo)."""
    forces_changed: bool = False
    """True when `forces` differs from what is on disk."""


@dataclass(frozen=True)
class Summary:
    """What the last successful written build was made from and what it reported (the "nothing changed" check)."""

    inputs: str
    """Digest of every input (inputs.Inputs.digest) with the ledger as the build left it."""
    site_id: str
    """The output folder's marker after that build."""
    counts: tuple[int, int, int, int]
    """Notes, signals, forces and pages."""
    diagnostics: list[Diagnostic]


NOTES_FILE = "notes.pickle"
PAGES_FILE = "pages.pickle"
SUMMARY_FILE = "summary.pickle"
FORCES_FILE = "forces.pickle"


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Run a stage without Python's cycle collector, which would walk the stage's hundreds of thousands of new
    objects again and again (a third of the time of matching forces, `bench/forces_speed.py`); cycles made
    meanwhile are collected after. Rendering gained nothing measurable from it, so it keeps the collector."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _read(path: Path) -> object:
    with open(path, "rb") as handle, no_cycle_collection():
        return pickle.load(handle)  # noqa: S301 - our own cache file, next to the user's output


def _load(path: Path, version: str) -> tuple[str, object] | None:
    try:
        found = _read(path)
    except FileNotFoundError:
        return None
    except Exception as exc:  # unreadable, truncated, or made by other code: the cache is only a speed-up
        log.debug("ignoring unreadable cache file %s: %s", path, exc)  # its work is done again
        return None
    if not isinstance(found, tuple) or len(found) != 2 or found[0] != version:
        return None
    return found


def load_state(folder: Path, version: str) -> CacheState:
    """The cache of the last build, or an empty one when there is none or it is unusable."""
    state = CacheState(version=version)
    notes = _load(folder / NOTES_FILE, version)
    if notes is not None and isinstance(notes[1], dict):
        state.notes = notes[1]
    pages = _load(folder / PAGES_FILE, version)
    if pages is not None and isinstance(pages[1], tuple) and len(pages[1]) == 3:
        state.pages, state.templates, state.site_id = pages[1]
    forces = _load(folder / FORCES_FILE, version)
    if forces is not None and isinstance(forces[1], ForceMemo):
        state.forces = forces[1]
    state.notes_changed = False
    remove_leftovers(folder)
    return state


def remove_leftovers(folder: Path) -> None:
    """Remove the temp files of a build killed while it wrote the cache (`.state-*` are an older signalkb's)."""
    with contextlib.suppress(OSError):  # no cache folder: nothing left over
        for stale in folder.iterdir():
            if is_temp(stale.name) or stale.name.startswith(".state-"):
                with contextlib.suppress(OSError):
                    stale.unlink()


SLOWER = "the next build cannot reuse this one's work"
"""What an unwritable build cache costs: speed, never the site."""


def unwritable(folder: Path, exc: OSError, what: str = "the build cache", cost: str = SLOWER) -> Diagnostic:
    """The warning for a cache folder that cannot be written: the site is still published.

    `what` names what could not be written and `cost` what the user loses (by default: the next build's speed).
    """
    blocker = next((p for p in (folder, *folder.parents) if p.exists() or p.is_symlink()), None)
    if blocker is not None and not blocker.is_dir():
        return warning(
            f"{what} cannot be written: this is a file, where signalkb keeps its cache folder",
            SourceLocation(shown_path(blocker)),
            f"move or delete the file; until then {cost}",
        )
    return warning(
        f"{what} cannot be written: {exc.strerror or exc}",
        SourceLocation(shown_path(folder)),
        f"the site is built, but {cost}; free some space, fix the folder's permissions, or delete the folder",
    )


def _write(folder: Path, name: str, data: object) -> Diagnostic | None:
    """Write one cache file atomically; on failure (it only costs speed next time) a warning saying so."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / name, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as exc:
        return unwritable(folder, exc)
    return None


def save_state(folder: Path, state: CacheState) -> Diagnostic | None:
    """Write the cache: the page fingerprints always, the parsed notes only when they changed; a warning on failure."""
    if state.notes_changed or not (folder / NOTES_FILE).exists():
        problem = _write(folder, NOTES_FILE, (state.version, state.notes))
        if problem is not None:
            return problem
        state.notes_changed = False
    if state.forces_changed and state.forces is not None:
        problem = _write(folder, FORCES_FILE, (state.version, state.forces))
        if problem is not None:
            return problem
        state.forces_changed = False
    return save_pages(folder, state)


def load_summary(folder: Path, version: str) -> Summary | None:
    """The summary of the last successful written build, if there is one from this code."""
    found = _load(folder / SUMMARY_FILE, version)
    return found[1] if found is not None and isinstance(found[1], Summary) else None


def save_summary(folder: Path, version: str, summary: Summary) -> Diagnostic | None:
    """Record a successful written build's summary; a warning when it cannot be written."""
    return _write(folder, SUMMARY_FILE, (version, summary))


def forget_summary(folder: Path) -> None:
    """Drop the summary: the site is about to change (so a build killed midway is never taken as up to date)."""
    with contextlib.suppress(OSError):
        (folder / SUMMARY_FILE).unlink()


def forget_published(folder: Path) -> None:
    """Drop the published pages' fingerprints (the next build without them renders every page)."""
    with contextlib.suppress(OSError):
        (folder / PAGES_FILE).unlink()


def save_pages(folder: Path, state: CacheState) -> Diagnostic | None:
    """Write the published pages' fingerprints (not the parsed notes); a warning when they cannot be written."""
    return _write(folder, PAGES_FILE, (state.version, (state.pages, state.templates, state.site_id)))


def forget_pages(folder: Path, state: CacheState) -> Diagnostic | None:
    """Record that the published pages are about to change, so a build killed midway is followed by a full one.

    Returns a warning when the cache cannot be written.
    """
    state.pages = {}
    state.site_id = ""
    return save_state(folder, state)


def clear(folder: Path) -> None:
    """Delete the cache (a `--clean` build): parsed notes, the force step's work, page fingerprints, search records,
    temp files."""
    shutil.rmtree(folder, ignore_errors=True)
