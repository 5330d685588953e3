"""The broad layer: the shipped default broad forces, and placing fine forces under them by meaning.

A fine force (the wordings of notes that say one thing) is placed under a broad force ("Cost of living
and inflation") when two pieces of evidence agree:

1. **meaning**: its vector is close to the broad force's nearest example phrasings (the mean cosine of
   the `NEAREST` closest);
2. **words**: its content lemmas are words of the broad force's label and examples, weighted by how few
   broad forces use each (static embeddings confuse shared surface words: "war challenging global
   trade" lies near "global warming", but shares no word of the climate force's examples).

The score is meaning + `WORDS_WEIGHT` × words (the weighted share of the force's lemmas the broad
force uses); a force is placed when the score reaches `PLACE_AT` and the meaning `MEANING_FLOOR`. A
force of one content word needs more meaning (`ONE_WORD_MEANING`) and that word among the broad
force's; without a shared word, the meaning alone must be very close (`SURE_AT`). It may sit under a
second broad force that passes too and scores nearly as well (`SECOND_WITHIN`).
A declared force's `broader:` list overrides this. Every placement keeps its score, so the review can
list the least certain first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from signalkb.core.diagnostics import Diagnostic, SourceLocation, error
from signalkb.core.slugs import name_key
from signalkb.forces.concepts import Lemmatiser, reduce_part
from signalkb.forces.meaning import Embedder
from signalkb.forces.taxonomy import ForceDef, Taxonomy, parse_taxonomy
from signalkb.forces.words import ABSTRACT, GENERIC

DEFAULT_FILE = Path(__file__).with_name("broad_forces.yaml")
NEAREST = 3
"""Example phrasings of a broad force whose closeness is averaged."""
WORDS_WEIGHT = 0.5
"""Weight of the shared words in the score: score = meaning + WORDS_WEIGHT × words."""
PLACE_AT = 0.84
"""Least score to place a force of two or more content words."""
MEANING_FLOOR = 0.40
"""Least meaning (mean cosine to the nearest examples) to place a force at all."""
ONE_WORD_MEANING = 0.55
"""Least meaning to place a force of one content word ("Inflation"), which must also be a word of the broad force."""
OWN_WORD_MEANING = 0.45
"""As ONE_WORD_MEANING, when that word is a word of this broad force only ("EVs")."""
SURE_AT = 0.80
"""Least meaning to place without a shared word."""
SECOND_WITHIN = 0.05
"""A second broad force is kept when it scores within this of the first."""


@dataclass(frozen=True)
class Placement:
    """A fine force placed under a broad force, and on what evidence."""

    broad_id: str
    score: float
    """Mean cosine to the broad force's nearest example phrasings (1.0 when declared)."""
    how: str
    """`declared`, `meaning and words` or `meaning`."""
    example: str = ""
    """The broad force's example phrasing closest to the fine force."""
    word: str = ""
    """The distinctive word both share, when there is one."""


@lru_cache(maxsize=1)
def default_broad() -> Taxonomy:
    """The shipped broad forces (`broad_forces.yaml` beside this module); a problem in it is a bug of ours."""
    taxonomy, problems = parse_taxonomy(DEFAULT_FILE.read_text(encoding="utf-8"), "signalkb/forces/broad_forces.yaml")
    if problems:
        raise RuntimeError(f"the default broad forces have problems: {problems[0].format()}")
    return taxonomy


def with_default_broad(user: Taxonomy) -> Taxonomy:
    """The user's taxonomy with the default broad forces added (unless `broad_forces: none`); theirs win by id."""
    if not user.default_broad:
        return user
    default = default_broad()
    mine = {f.id for f in user.broad}
    broad = (*[f for f in default.broad if f.id not in mine], *user.broad)
    categories = (*user.categories, *[c for c in default.categories if c not in user.categories])
    return replace(user, broad=broad, categories=categories)


def declared_broader(taxonomy: Taxonomy) -> tuple[dict[str, tuple[str, ...]], list[Diagnostic]]:
    """Declared fine force id → the broad force ids its `broader:` names; unknown names are errors."""
    index: dict[str, str] = {}
    for force in taxonomy.broad:
        index.setdefault(name_key(force.label), force.id)
        index.setdefault(name_key(force.id), force.id)
    out: dict[str, tuple[str, ...]] = {}
    problems: list[Diagnostic] = []
    for force in taxonomy.forces:
        if force.broader is None:
            continue
        found: list[str] = []
        for name in force.broader:
            target = index.get(name_key(name))
            if target is None:
                problems.append(
                    error(
                        f"force {force.label!r} names an unknown broad force {name!r} under `broader:`",
                        SourceLocation(taxonomy.path, force.line),
                        "give the label or id of a broad force (`build.py forces` lists them)",
                    )
                )
            elif target not in found:
                found.append(target)
        out[force.id] = tuple(found)
    return out, problems


class Placer:
    """Places fine forces under the broad forces of a taxonomy."""

    def __init__(self, broad: Sequence[ForceDef], model: Embedder, lemma: Lemmatiser) -> None:
        self.broad = tuple(broad)
        self.model = model
        self.lemma = lemma
        owners: list[int] = []
        texts: list[str] = []
        vocab: list[set[str]] = []
        for i, force in enumerate(self.broad):
            words: set[str] = set()
            for text in (force.label, *force.examples):
                owners.append(i)
                texts.append(text)
                words |= self._lemmas(text)
            vocab.append(words)
        spread: dict[str, int] = defaultdict(int)
        for words in vocab:
            for word in words:
                spread[word] += 1
        self._vocab = vocab
        self._owners_of: dict[str, list[int]] = defaultdict(list)
        for i, words in enumerate(vocab):
            for word in words:
                self._owners_of[word].append(i)
        total = len(vocab) + 1
        self._weight = {w: math.log(total / (n + 1)) for w, n in spread.items()}
        self._unknown_weight = math.log(total / 2)
        width = max((owners.count(i) for i in range(len(self.broad))), default=1)
        self._pad_index = np.zeros((len(self.broad), width), dtype=np.int64)
        self._pad_mask = np.zeros((len(self.broad), width), dtype=bool)
        filled = [0] * len(self.broad)
        for position, owner in enumerate(owners):
            self._pad_index[owner, filled[owner]] = position
            self._pad_mask[owner, filled[owner]] = True
            filled[owner] += 1
        self._texts = texts
        self._vectors = model.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    def _lemmas(self, text: str) -> set[str]:
        concept = reduce_part(text, self.lemma)
        if concept is None:
            return set()
        return {w for w in concept.key if w not in GENERIC and w not in ABSTRACT} or set(concept.key)

    def vectors(self, forces: Mapping[str, Sequence[str]]) -> tuple[list[str], np.ndarray]:
        """The keys of `forces` in sorted order and each force's vector: the unit mean of its wordings' vectors."""
        keys = sorted(forces)
        dims = self._vectors.shape[1] if len(self._vectors) else self.model.embed(["x"]).shape[1]
        matrix = np.zeros((len(keys), dims), dtype=np.float32)
        wordings = [list(dict.fromkeys(forces[k])) for k in keys]
        flat = [w for ws in wordings for w in ws]
        embedded = self.model.embed(flat) if flat else np.zeros((0, dims), dtype=np.float32)
        start = 0
        for row, ws in enumerate(wordings):
            if ws:
                mean = embedded[start : start + len(ws)].mean(axis=0)
                norm = float(np.linalg.norm(mean))
                if norm > 1e-9:
                    matrix[row] = mean / norm
            start += len(ws)
        return keys, matrix

    def place(self, forces: Mapping[str, Sequence[str]]) -> dict[str, list[Placement]]:
        """Fine force key → its placements, best first (empty when it has no broad home).

        `forces` maps each fine force's key to its wordings; the force's vector is their mean.
        """
        keys, vectors = self.vectors(forces)
        return self.place_vectors(forces, keys, vectors)

    def place_vectors(
        self, forces: Mapping[str, Sequence[str]], keys: Sequence[str], vectors: np.ndarray
    ) -> dict[str, list[Placement]]:
        """As `place`, with the forces' vectors already made (`vectors`, in the order of `keys`)."""
        out: dict[str, list[Placement]] = {k: [] for k in keys}
        if not keys or not self.broad:
            return out
        lemmas = [set().union(*(self._lemmas(w) for w in forces[k])) for k in keys]
        for start in range(0, len(keys), 1024):
            sims = vectors[start : start + 1024] @ self._vectors.T
            padded = np.where(self._pad_mask, sims[:, self._pad_index], -np.inf)  # rows × broad × examples
            near = np.argsort(-padded, axis=2, kind="stable")[:, :, :NEAREST]
            top = np.take_along_axis(padded, near, axis=2)
            scores = np.where(np.isfinite(top), top, np.nan)
            means = np.nan_to_num(np.nanmean(scores, axis=2), nan=-1.0)
            for offset in range(len(means)):
                row = start + offset
                out[keys[row]] = self._best(means[offset], near[offset], lemmas[row])
        return out

    def _best(self, means: np.ndarray, near: np.ndarray, lemmas: set[str]) -> list[Placement]:
        weights = {w: self._weight.get(w, self._unknown_weight) for w in lemmas}
        total = sum(weights.values())
        shared_by: dict[int, list[str]] = defaultdict(list)
        for word in sorted(lemmas):
            for i in self._owners_of.get(word, ()):
                shared_by[i].append(word)
        candidates = set(shared_by) | {int(i) for i in np.flatnonzero(means >= SURE_AT)}
        scored: list[tuple[float, Placement]] = []
        for i in sorted(candidates):
            meaning = float(means[i])
            shared = shared_by.get(i, [])
            words = sum(weights[w] for w in shared) / total if total > 0 else 0.0
            score = meaning + WORDS_WEIGHT * words
            if shared and len(lemmas) == 1:
                own = len(self._owners_of[shared[0]]) == 1
                ok = meaning >= (OWN_WORD_MEANING if own else ONE_WORD_MEANING)
            elif shared:
                ok = score >= PLACE_AT and meaning >= MEANING_FLOOR
            else:
                ok = meaning >= SURE_AT
            if ok:
                how = "meaning and words" if shared else "meaning"
                example = self._texts[int(self._pad_index[i, near[i, 0]])]
                scored.append((score, Placement(self.broad[i].id, round(score, 4), how, example, ", ".join(shared))))
        scored.sort(key=lambda x: (-x[0], x[1].broad_id))
        return [p for score, p in scored[:2] if score >= scored[0][0] - SECOND_WITHIN]
