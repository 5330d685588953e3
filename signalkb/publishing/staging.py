"""Writing the site into a sibling staging folder, swapped in whole: a failed build never touches the last good site."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

MARKER = ".signalkb"
"""File in every output folder signalkb made; a folder without it is never replaced."""
KEEP = ("CNAME",)
"""Files of the previous site carried into the new one when the build does not make them."""


MARKER_TEXT = b"This folder is written by signalkb; it is replaced as a whole on every build.\n"


def site_id(out_dir: Path) -> str:
    """Identifies the published output folder: changes whenever signalkb (or anyone) rewrites its marker."""
    try:
        info = (out_dir / MARKER).stat()
    except OSError:
        return ""
    return f"{info.st_ino}:{info.st_mtime_ns}"


BACKGROUND_DELETE = 5000
"""An old site with more files than this is deleted in the background."""


DELETING = ".deleting"
"""Beside a folder being deleted in the background (`<folder>.deleting`): the deleting process's id."""


def discard(folder: Path, *, background: bool) -> None:
    """Delete a folder now, or in a detached process that outlives the build (the next build leaves it be)."""
    if background:
        marker = folder.with_name(folder.name + DELETING)
        try:
            code = (
                "import os, shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)\n"
                "try: os.unlink(sys.argv[2])\nexcept OSError: pass"
            )
            process = subprocess.Popen(  # our own interpreter deleting our own old site
                [sys.executable, "-c", code, str(folder), str(marker)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            pass
        else:
            with contextlib.suppress(OSError):
                marker.write_text(str(process.pid), encoding="ascii")
            return
    shutil.rmtree(folder, ignore_errors=True)


def _being_deleted(folder: Path) -> bool:
    """True while the process that `discard` started for `folder` still runs."""
    try:
        pid = int(folder.with_name(folder.name + DELETING).read_text(encoding="ascii"))
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _prune(folder: Path, root: Path) -> None:
    """Remove empty folders from `folder` up to (not including) `root`."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class OutputRefused(Exception):
    """The output folder exists and was not made by signalkb (or is not a folder)."""


def _stale_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}."


def check_output(out_dir: Path) -> None:
    """Raise OutputRefused unless `out_dir` is missing, empty, or a site signalkb made."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise OutputRefused(f"{out_dir} exists and is not a folder; choose another --out")
    if (out_dir / MARKER).exists():
        return
    if any(out_dir.iterdir()):
        raise OutputRefused(
            f"{out_dir} is not empty and was not made by signalkb; it is left alone "
            "(remove it, or choose another --out)"
        )


def remove_leftovers(out_dir: Path) -> None:
    """Remove the staging folders that an interrupted build left beside `out_dir`."""
    prefix = _stale_prefix(out_dir)
    with contextlib.suppress(OSError):
        for entry in out_dir.parent.iterdir():
            if not entry.name.startswith((prefix + "new-", prefix + "old-")):
                continue
            if entry.is_dir():
                if not _being_deleted(entry):
                    shutil.rmtree(entry, ignore_errors=True)
                    with contextlib.suppress(OSError):
                        entry.with_name(entry.name + DELETING).unlink()
            elif entry.name.endswith(DELETING) and not entry.with_name(entry.name[: -len(DELETING)]).exists():
                entry.unlink()  # the marker of a deleting process that was killed


class Staging:
    """A fresh folder beside the output folder; pages are written into it, then it replaces the output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir.resolve()
        check_output(self.out_dir)
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out_dir)
        self.path = Path(tempfile.mkdtemp(prefix=_stale_prefix(self.out_dir) + "new-", dir=self.out_dir.parent))
        self.files = 0
        self._dirs: set[Path] = {self.path}

    @classmethod
    def scratch(cls) -> Staging:
        """A staging folder in the system's temp folder, for a `check` that renders but publishes nothing."""
        staging = cls.__new__(cls)
        staging.path = Path(tempfile.mkdtemp(prefix="signalkb-check-"))
        staging.out_dir = staging.path
        staging.files = 0
        staging._dirs = {staging.path}
        return staging

    def write(self, rel_path: str, data: bytes) -> None:
        """Write one output file; `rel_path` must stay inside the folder."""
        target = (self.path / rel_path).resolve()
        if self.path not in target.parents:
            raise ValueError(f"refusing to write outside the output folder: {rel_path!r}")
        parent = target.parent
        if parent not in self._dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        with open(target, "wb") as handle:
            handle.write(data)
        self.files += 1

    def copy_tree(self, source: Path, rel_dir: str) -> None:
        """Copy a folder of static files (the stylesheet) into the site, skipping dotfiles."""
        if not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(source).parts):
                self.write(f"{rel_dir}/{path.relative_to(source).as_posix()}", path.read_bytes())

    def commit(self, old_files: int = 0) -> None:
        """Swap the staged folder in as the output folder and delete the old one.

        An old site of more than BACKGROUND_DELETE files (`old_files`, a hint) is deleted by a detached
        process, so the build returns without waiting for the disk; the next build removes any rest.
        """
        self.write(MARKER, MARKER_TEXT)
        old: Path | None = None
        if self.out_dir.exists():
            for name in KEEP:
                if (self.out_dir / name).is_file() and not (self.path / name).exists():
                    shutil.copy2(self.out_dir / name, self.path / name)
            old = Path(tempfile.mkdtemp(prefix=_stale_prefix(self.out_dir) + "old-", dir=self.out_dir.parent))
            try:
                self.out_dir.replace(old / "site")
            except OSError:  # a read-only or mounted output folder: it stays, and so does nothing else
                old.rmdir()
                raise
        self.path.chmod(0o755)
        try:
            self.path.replace(self.out_dir)
        except OSError:
            if old is not None:  # put the last good site back
                (old / "site").replace(self.out_dir)
                old.rmdir()
            raise
        if old is not None:
            discard(old, background=old_files > BACKGROUND_DELETE)

    def apply(self, removed: Iterable[str]) -> None:
        """Move every staged file over its counterpart in the existing output folder, then delete `removed` files.

        Each file is replaced atomically; the cache is told beforehand (see cache.forget_pages) so a
        build killed midway is followed by a full one.
        """
        for directory, _dirs, names in os.walk(self.path):
            rel_dir = Path(directory).relative_to(self.path)
            (self.out_dir / rel_dir).mkdir(parents=True, exist_ok=True)
            for name in names:
                (Path(directory) / name).replace(self.out_dir / rel_dir / name)
        for rel in removed:
            target = (self.out_dir / rel).resolve()
            if self.out_dir in target.parents:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                _prune(target.parent, self.out_dir)
        (self.out_dir / MARKER).write_bytes(MARKER_TEXT)
        shutil.rmtree(self.path, ignore_errors=True)

    def abort(self) -> None:
        """Throw the staged folder away; the output folder is untouched."""
        shutil.rmtree(self.path, ignore_errors=True)
