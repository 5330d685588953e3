"""What a build reads from disk, read once: the note files, `forces.yaml`, the permalink ledger, the templates.

`Inputs.digest` names all of it together with the configuration and signalkb's own code, so a build whose
inputs have the same digest as the last published build's has nothing to do (pipeline.py's "nothing
changed" path); `Inputs.changed_notes` says which note files differ from the cached ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from signalkb.core.config import SiteConfig
from signalkb.core.diagnostics import Diagnostic
from signalkb.notes.sources import SourceFile, discover, read_optional

FORCES_FILE = "forces.yaml"
PERMALINKS_FILE = "permalinks.json"
"""The permalink ledger in the content folder: the only file a build writes there (README, URL permanence)."""


@dataclass(frozen=True)
class Inputs:
    """Everything one build reads, as read."""

    root: str
    """The content folder as messages name it."""
    sources: list[SourceFile]
    """The note files, by path."""
    problems: list[Diagnostic]
    """Files that could not be read (they are not in `sources`)."""
    taxonomy_text: str | None
    taxonomy_problems: list[Diagnostic]
    ledger_text: str | None
    ledger_problems: list[Diagnostic]
    templates: bytes
    """Digest of the templates folder (names and bytes of every file)."""
    setting: str = ""
    """The configuration and code the build runs with (see `digest`)."""

    @property
    def taxonomy_path(self) -> str:
        """How messages name forces.yaml."""
        return f"{self.root}/{FORCES_FILE}"

    @property
    def ledger_path(self) -> str:
        """How messages name permalinks.json."""
        return f"{self.root}/{PERMALINKS_FILE}"

    def digest(self, ledger_text: str | None) -> str:
        """A name for all of the inputs, with `ledger_text` as the ledger (the one read, or the one written back)."""
        h = hashlib.blake2b(self.setting.encode("utf-8", "surrogatepass"), digest_size=16)
        h.update(self.templates)
        for source in self.sources:
            h.update(f"\0{source.rel_path}\0{source.digest}".encode("utf-8", "surrogatepass"))
        for problem in self.problems:
            h.update(b"\1" + problem.format().encode("utf-8", "surrogatepass"))
        for text in (self.taxonomy_text, ledger_text):
            h.update(b"\2" if text is None else b"\3" + text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()


def templates_digest(templates_dir: Path) -> bytes:
    """Digest of every file under the templates folder (dotfiles aside): any edit changes it."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(templates_dir.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            digest.update(path.relative_to(templates_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def read_inputs(config: SiteConfig, root: str, setting: str, known: Mapping[str, SourceFile] | None = None) -> Inputs:
    """Read the content folder's notes, forces.yaml and permalinks.json, and digest the templates.

    Note files of `known` whose stamp has not changed are not read again (sources.discover).
    """
    sources, problems = discover(config.content_dir, root, known)
    taxonomy_text, taxonomy_problems = read_optional(config.content_dir / FORCES_FILE, f"{root}/{FORCES_FILE}")
    ledger_text, ledger_problems = read_optional(config.content_dir / PERMALINKS_FILE, f"{root}/{PERMALINKS_FILE}")
    return Inputs(
        root,
        sources,
        problems,
        taxonomy_text,
        taxonomy_problems,
        ledger_text,
        ledger_problems,
        templates_digest(config.templates_dir),
        setting,
    )
