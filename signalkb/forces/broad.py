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
second broad force that passes too and scores nearly as well (`SECOND_WITHIN`). A force of several
wordings is placed where at least half of its wordings, each weighed on its own, would be placed.

A force the wordings leave unplaced may still be placed by **context**: the cells of the signals that
name it (their Signal and Change text) say what a vague wording is about ("Landlords" on
"Rents rising in towns"). The broad force must then be the closest both to the wordings (at least
`MEANING_FLOOR`) and to the signals, with the mean of the two at least `CONTEXT_AT`.

A declared force's `broader:` list overrides this. Every placement keeps its score, so the review can
list the least certain first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
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
CONTEXT_AT = 0.42
"""Least mean of a force's meaning and its signals' meaning to place it by context (both closest to one broad force)."""
SECOND_WITHIN = 0.05
"""A second broad force is kept when it scores within this of the first."""


@dataclass(frozen=True)
class Placement:
    """A fine force placed under a broad force, and on what evidence."""

    broad_id: str
    score: float
    """Mean cosine to the broad force's nearest example phrasings (1.0 when declared)."""
    how: str
    """`declared`, `meaning and words`, `meaning` or `meaning and context`."""
    example: str = ""
    """The broad force's example phrasing closest to the fine force."""
    word: str = ""
    """The distinctive word both share, when there is one."""


@dataclass(frozen=True)
class Wordings:
    """Fine forces' distinct wordings, embedded once: placing and merging both read them."""

    keys: list[str]
    """Force keys, sorted."""
    wordings: list[list[str]]
    """Each force's distinct wordings, in the order of `keys`."""
    rows: np.ndarray
    """One unit row per wording, force after force."""
    starts: np.ndarray
    """Each force's first row in `rows`, and the number of rows last."""


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
        self._lemma_sets: dict[str, frozenset[str]] = {}
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
        self._slices: list[tuple[int, int]] = []  # each broad force's label and examples: contiguous rows
        for i in range(len(self.broad)):
            first = owners.index(i)
            self._slices.append((first, first + owners.count(i)))
        self._texts = texts
        self._vectors = model.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    @cached_property
    def dims(self) -> int:
        """The length of the model's vectors."""
        return int(self._vectors.shape[1] if len(self._vectors) else self.model.embed(["x"]).shape[1])

    def _lemmas(self, text: str) -> frozenset[str]:
        found = self._lemma_sets.get(text)
        if found is None:
            concept = reduce_part(text, self.lemma)
            words = concept.key if concept is not None else ()
            found = self._lemma_sets[text] = frozenset(w for w in words if w not in GENERIC and w not in ABSTRACT)
        return found

    def embed(self, forces: Mapping[str, Sequence[str]]) -> Wordings:
        """The distinct wordings of `forces` (keys in sorted order), embedded once for placing and merging."""
        keys = sorted(forces)
        wordings = [list(dict.fromkeys(forces[k])) for k in keys]
        flat = [w for ws in wordings for w in ws]
        rows = self.model.embed(flat) if flat else np.zeros((0, self.dims), dtype=np.float32)
        starts = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum([len(ws) for ws in wordings], out=starts[1:])
        return Wordings(keys, wordings, rows, starts)

    def vectors(self, found: Wordings) -> tuple[list[str], np.ndarray]:
        """The forces' keys and each force's vector: the unit mean of its wordings' vectors."""
        matrix = np.zeros((len(found.keys), found.rows.shape[1]), dtype=np.float32)
        counts = np.diff(found.starts)
        filled = np.flatnonzero(counts)
        if len(filled):
            sums = np.add.reduceat(found.rows, found.starts[filled], axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            matrix[filled] = np.where(norms > 1e-9, sums / np.maximum(norms, 1e-9), 0.0)
        return found.keys, matrix

    def place(
        self,
        forces: Mapping[str, Sequence[str]] | Wordings,
        contexts: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, list[Placement]]:
        """Fine force key → its placements, best first (empty when it has no broad home).

        `forces` maps each fine force's key to its wordings (or is their `embed`); `contexts` (optional)
        maps it to the texts of the signals that name it. Each wording is weighed on its own (its meaning
        and its words), so that a force of many wordings is not penalised for the words its wordings do
        not share; a force is placed under a broad force that at least half of its wordings would be
        placed under, at their mean score. A force left unplaced is then weighed with its context.
        """
        found = forces if isinstance(forces, Wordings) else self.embed(forces)
        keys, wordings, embedded = found.keys, found.wordings, found.rows
        out: dict[str, list[Placement]] = {k: [] for k in keys}
        if not keys or not self.broad:
            return out
        means = self._nearest(embedded)
        reachable = means.max(axis=1) >= MEANING_FLOOR if len(means) else np.zeros(0, dtype=bool)
        spans: dict[str, tuple[int, int]] = {}
        row = 0
        for key, ws in zip(keys, wordings, strict=True):
            if not ws:
                continue
            votes: dict[int, list[tuple[float, int]]] = defaultdict(list)
            for offset, wording in enumerate(ws):
                if reachable[row + offset]:  # no placement below the floor, whatever the words
                    for i, score in self._passing(means[row + offset], self._lemmas(wording)):
                        votes[i].append((score, row + offset))
            chosen: list[tuple[float, Placement]] = []
            for i, voted in votes.items():
                if 2 * len(voted) < len(ws):
                    continue
                score = sum(x for x, _ in voted) / len(ws)
                example = self._closest_example(i, embedded[max(voted)[1]])
                chosen.append((score, self._placement(i, score, ws, example)))
            chosen.sort(key=lambda x: (-x[0], x[1].broad_id))
            out[key] = [p for score, p in chosen[:2] if score >= chosen[0][0] - SECOND_WITHIN]
            spans[key] = (row, row + len(ws))
            row += len(ws)
        if contexts:
            self._weigh_context(out, spans, dict(zip(keys, wordings, strict=True)), means, embedded, contexts)
        return out

    def _placement(self, broad: int, score: float, wordings: Sequence[str], example: str, how: str = "") -> Placement:
        lemmas = set().union(*(self._lemmas(w) for w in wordings))
        shared = sorted(w for w in lemmas if broad in self._owners_of.get(w, ()))
        how = how or ("meaning and words" if shared else "meaning")
        return Placement(self.broad[broad].id, round(score, 4), how, example, ", ".join(shared))

    def _weigh_context(
        self,
        out: dict[str, list[Placement]],
        spans: Mapping[str, tuple[int, int]],
        wordings: Mapping[str, Sequence[str]],
        means: np.ndarray,
        embedded: np.ndarray,
        contexts: Mapping[str, Sequence[str]],
    ) -> None:
        """Place by context the forces the wordings left unplaced (see the module).

        Context never vetoes a placement by wordings: a signal says what changes, its force why, so the
        signals of a well-placed force are often closer to another broad force ("Climate change" on a
        new crop that needs less water).
        """
        weighed: list[tuple[str, np.ndarray]] = []
        for key, (first, end) in spans.items():
            if contexts.get(key) and not out[key]:
                mine = means[first:end].mean(axis=0)
                if mine.max() >= MEANING_FLOOR:
                    weighed.append((key, mine))
        if not weighed:
            return
        texts = [sorted(dict.fromkeys(contexts[key])) for key, _ in weighed]
        around = self._nearest(self.model.embed([t for ts in texts for t in ts]))
        start = 0
        for (key, mine), ts in zip(weighed, texts, strict=True):
            theirs = around[start : start + len(ts)].mean(axis=0)
            start += len(ts)
            best = int(np.argmax(mine))
            both = (mine + theirs) / 2
            if int(np.argmax(theirs)) != best or int(np.argmax(both)) != best or both[best] < CONTEXT_AT:
                continue
            first, end = spans[key]
            closest = first + int(np.argmax(means[first:end, best]))
            example = self._closest_example(best, embedded[closest])
            out[key] = [self._placement(best, float(both[best]), wordings[key], example, "meaning and context")]

    def _nearest(self, vectors: np.ndarray) -> np.ndarray:
        """For each row: the mean cosine to each broad force's `NEAREST` closest examples (rows × broad forces)."""
        means = np.full((len(vectors), len(self.broad)), -1.0, dtype=np.float32)
        for start in range(0, len(vectors), 4096):
            sims = vectors[start : start + 4096] @ self._vectors.T
            for i, (first, end) in enumerate(self._slices):
                take = min(NEAREST, end - first)
                top = np.partition(sims[:, first:end], end - first - take, axis=1)[:, end - first - take :]
                means[start : start + len(sims), i] = top.mean(axis=1)
        return means

    def _closest_example(self, broad: int, vector: np.ndarray) -> str:
        """The example phrasing (or label) of a broad force closest to a vector (the first of equals)."""
        first, end = self._slices[broad]
        return self._texts[first + int(np.argmax(self._vectors[first:end] @ vector))]

    def _passing(self, means: np.ndarray, lemmas: AbstractSet[str]) -> list[tuple[int, float]]:
        """The broad forces one wording would be placed under, with its score for each (`place` weighs only
        wordings whose meaning reaches MEANING_FLOOR for some broad force)."""
        possible = means >= MEANING_FLOOR  # no placement below it, whatever the words
        weights = {w: self._weight.get(w, self._unknown_weight) for w in lemmas}
        total = sum(weights.values())
        shared_by: dict[int, list[str]] = defaultdict(list)
        for word in sorted(lemmas):
            for i in self._owners_of.get(word, ()):
                shared_by[i].append(word)
        candidates = {i for i in shared_by if possible[i]} | {int(i) for i in np.flatnonzero(means >= SURE_AT)}
        passing: list[tuple[int, float]] = []
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
                passing.append((i, score))
        return passing
