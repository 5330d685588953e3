"""URL-safe slugs and the normalised keys used to compare names (pure functions)."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACE_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(1, 10)] + [f"lpt{i}" for i in range(1, 10)]
)
MAX_SLUG = 80
"""Longest slug produced; longer ones are cut at a word boundary."""


def short_hash(text: str, length: int = 8) -> str:
    """A stable lowercase hex digest of `text`, `length` characters long."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:length]


def slugify(text: str, max_length: int = MAX_SLUG) -> str:
    """Lowercase ASCII `a-z0-9` words joined by `-`; never empty, never a Windows-reserved name.

    Accents are folded (`Zürich` → `zurich`); text with no ASCII letters or digits (CJK, emoji) gets
    `x-` and a stable hash of the text, so its id stays the same across builds.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_ALNUM.sub("-", folded).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut[1:] else slug[:max_length]
        slug = slug.strip("-")
    if not slug:
        return "x-" + short_hash(text)
    if is_windows_reserved(slug):
        return slug + "-x"
    return slug


def is_windows_reserved(name: str) -> bool:
    """True for names Windows cannot use as a file or folder name (`con`, `nul`, `com1`, ...)."""
    return name.split(".", 1)[0].lower() in _WINDOWS_RESERVED


@functools.lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """The comparison key of a name: case, accents' composition, hyphens, punctuation and white space folded.

    "Open-source  collaboration." and "open source collaboration" have the same key.
    """
    if text.isascii():  # NFKC leaves ASCII as it is, and no ASCII character is a format character (Cf)
        return _SPACE_PUNCT.sub(" ", text.lower()).strip()
    normal = unicodedata.normalize("NFKC", text).casefold()
    normal = "".join(ch for ch in normal if unicodedata.category(ch) != "Cf")
    return _SPACE_PUNCT.sub(" ", normal).strip()


class SlugAllocator:
    """Hands out unique slugs: the first claimant of a slug gets it, later ones get `-2`, `-3`, ..."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())

    def claim(self, wanted: str) -> str:
        """Return `wanted`, or the first free `wanted-N`, and mark it taken."""
        slug, n = wanted, 2
        while slug in self._taken:
            slug = f"{wanted}-{n}"
            n += 1
        self._taken.add(slug)
        return slug

    def __contains__(self, slug: object) -> bool:
        return slug in self._taken
