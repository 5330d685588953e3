"""Writing the site into a sibling staging folder, swapped in whole: a failed build never touches the last good site."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

MARKER = ".signalkb"
"""File in every output folder signalkb made; a folder without it is never replaced."""
KEEP = ("CNAME",)
"""Files of the previous site carried into the new one when the build does not make them."""


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


class Staging:
    """A fresh folder beside the output folder; pages are written into it, then it replaces the output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir.resolve()
        check_output(self.out_dir)
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale()
        self.path = Path(tempfile.mkdtemp(prefix=_stale_prefix(self.out_dir) + "new-", dir=self.out_dir.parent))
        self.files = 0
        self._dirs: set[Path] = {self.path}

    def _remove_stale(self) -> None:
        """Remove staging folders that an interrupted build left behind."""
        prefix = _stale_prefix(self.out_dir)
        for entry in self.out_dir.parent.iterdir():
            if entry.name.startswith((prefix + "new-", prefix + "old-")) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)

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

    def commit(self) -> None:
        """Swap the staged folder in as the output folder and delete the old one."""
        self.write(MARKER, b"This folder is written by signalkb; it is replaced as a whole on every build.\n")
        old: Path | None = None
        if self.out_dir.exists():
            for name in KEEP:
                if (self.out_dir / name).is_file() and not (self.path / name).exists():
                    shutil.copy2(self.out_dir / name, self.path / name)
            old = Path(tempfile.mkdtemp(prefix=_stale_prefix(self.out_dir) + "old-", dir=self.out_dir.parent))
            self.out_dir.replace(old / "site")
        self.path.chmod(0o755)
        self.path.replace(self.out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        """Throw the staged folder away; the output folder is untouched."""
        shutil.rmtree(self.path, ignore_errors=True)
