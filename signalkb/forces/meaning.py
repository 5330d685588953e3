"""Meaning of short texts as vectors: the embedding model that ships inside its package, and a stand-in for tests.

The model is wordllama's static token embeddings (numpy only, 256 dimensions, weights inside the wheel,
nothing downloaded). A text's vector is the mean of its tokens' vectors, unit length; the cosine of two
vectors is their dot product. Texts are put in one form first (words casefolded, acronyms kept, length
capped), so "Inflation" and "inflation" are one text. An empty text, or one of only symbols, is the zero
vector: it is close to nothing.

`load_model()` loads the model once per process (the preview keeps it); when the package or its files
are missing or corrupt it raises `ModelUnavailable`, whose message names the package and how to
reinstall it: forces are never silently matched another way.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from signalkb.forces.concepts import undot_acronyms

MODEL_PACKAGE = "wordllama"
MODEL_VERSION = "0.4.0.post1"
REINSTALL = f".venv/bin/pip install --force-reinstall '{MODEL_PACKAGE}=={MODEL_VERSION}'"
MAX_WORDS = 24
"""Words of a text that count for its meaning; a 2,000-character phrase is read up to here."""

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,5}s?$")


class ModelUnavailable(Exception):
    """The embedding model cannot be loaded; the message says which package and how to reinstall it."""


class Embedder(Protocol):
    """Texts → unit vectors (one row each, float32); the zero row for a text with no words."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def normal_text(text: str) -> str:
    """The form a text is embedded in: its words, casefolded but for acronyms ("AI", "EVs"), at most MAX_WORDS."""
    text = undot_acronyms(text if text.isascii() else unicodedata.normalize("NFKC", text))
    words = _WORD.findall(text)[:MAX_WORDS]
    return " ".join(w if _ACRONYM.match(w) else w.casefold() for w in words)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; rows of zeros (or not finite) stay zero."""
    matrix = np.nan_to_num(np.asarray(matrix, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: np.ndarray = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 1e-9)
    return out


class CachedEmbedder:
    """Embeds each distinct normal text once and remembers it (the preview embeds only new phrases)."""

    def __init__(self, embed_many: object, dims: int, name: str) -> None:
        assert callable(embed_many)
        self._embed_many = embed_many
        self.dims = dims
        self.name = name
        self._known: dict[str, np.ndarray] = {}
        self._normal: dict[str, str] = {}

    def _normal_text(self, text: str) -> str:
        found = self._normal.get(text)
        if found is None:
            found = self._normal[text] = normal_text(text)
        return found

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, in order."""
        normal = [self._normal_text(t) for t in texts]
        missing = sorted({n for n in normal if n and n not in self._known})
        if missing:
            vectors = unit_rows(self._embed_many(missing))
            for text, vector in zip(missing, vectors, strict=True):
                self._known[text] = vector
        zero = np.zeros(self.dims, dtype=np.float32)
        known = self._known
        return np.asarray([known[text] if text else zero for text in normal], dtype=np.float32).reshape(
            len(normal), self.dims
        )


@lru_cache(maxsize=1)
def load_model() -> CachedEmbedder:
    """The shipped model, loaded once per process; `ModelUnavailable` when it is missing or corrupt."""
    try:
        import wordllama  # type: ignore[import-untyped]
        from wordllama import WordLlama
    except Exception as exc:  # ImportError, or a broken install failing while importing
        raise ModelUnavailable(
            f"the meaning model (Python package {MODEL_PACKAGE}) cannot be imported: {exc}; reinstall it: {REINSTALL}"
        ) from exc
    from pathlib import Path

    folder = Path(wordllama.__file__).parent
    try:
        model = WordLlama.load(cache_dir=folder, disable_download=True)
        probe = np.asarray(model.embed(["driving force"], norm=False), dtype=np.float32)
        if probe.ndim != 2 or not np.isfinite(probe).all() or not probe.any():
            raise ValueError("its weights give no usable vector")
    except Exception as exc:  # missing or corrupt weights or tokenizer files
        raise ModelUnavailable(
            f"the meaning model (Python package {MODEL_PACKAGE}, files in {folder}) cannot be loaded: "
            f"{type(exc).__name__}: {exc}; reinstall it: {REINSTALL}"
        ) from exc

    def embed_many(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.embed(list(texts), norm=False, batch_size=512), dtype=np.float32)

    return CachedEmbedder(embed_many, probe.shape[1], f"{MODEL_PACKAGE} {MODEL_VERSION}")


class StandInModel:
    """A small deterministic model for unit tests: a text's vector is the mean of its words' vectors.

    Each word gets a fixed pseudo-random vector from its hash (unrelated words are nearly orthogonal);
    `synonyms` maps words to another word whose vector they share ("fertility" → "birth"), so tests can
    state which wordings mean the same without a real model.
    """

    def __init__(self, synonyms: Mapping[str, str] | None = None, dims: int = 64) -> None:
        self.synonyms = {k.casefold(): v.casefold() for k, v in (synonyms or {}).items()}
        self.dims = dims
        self.name = "stand-in"
        self._cache = CachedEmbedder(self._embed_many, dims, self.name)

    def _word(self, word: str) -> np.ndarray:
        word = self.synonyms.get(word.casefold(), word.casefold())
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "big")
        return np.random.default_rng(seed).standard_normal(self.dims).astype(np.float32)

    def _embed_many(self, texts: Iterable[str]) -> np.ndarray:
        rows = []
        for text in texts:
            words = text.split()
            rows.append(np.mean([self._word(w) for w in words], axis=0) if words else np.zeros(self.dims))
        return np.asarray(rows, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, in order."""
        return self._cache.embed(texts)
