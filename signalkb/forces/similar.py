"""Forces worded alike but not merged: similarity by specific shared words and by spelling (pure).

Never all pairs: candidates come from an inverted index on the content words each force uses (words
used by very many forces are skipped; they say little) and on word prefixes (for misspellings), and
only candidates are compared. Scores are in [0, 1]:

- shared words: the IDF-weighted Jaccard overlap of two concepts' words, when they share a word that is
  not generic ("AI model capabilities" ~ "chatbot capabilities" share only "capability": low);
- a shared specific two-word term ("long COVID" in "impact of long COVID" and "prevention of long COVID");
- spelling: one word differs, spelt alike (rapidfuzz `ratio`), and one of the two is no English word
  ("decarbonisaton policy").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

import simplemma
from rapidfuzz import fuzz

from signalkb.core.model import ForcePair
from signalkb.forces.concepts import Concept
from signalkb.forces.words import GENERIC

RELATED = 0.5
"""Forces at least this similar are related (shown apart from shared forces on signal pages)."""
NEAR_DUPLICATE = 0.7
"""Forces at least this similar are near-duplicates: reported, and `--strict` fails until reviewed."""
MISSPELLING = 0.9
"""The similarity of two wordings that differ by a misspelt word."""
WORD_SPELLING = 70.0
"""rapidfuzz `ratio` (0-100) from which two words are taken for one word misspelt."""
MAX_POSTING = 60
"""A word used by more forces than this is not used to find candidates (it is too common to tell much)."""
PREFIX = 5
"""Length of the word prefixes used to find misspellings."""
BIGRAM = 0.55
"""The similarity of two concepts that share a specific two-word term ("long COVID"): related, not near-duplicate."""


@dataclass(frozen=True)
class ForceWords:
    """A force and the concepts of the wordings matched to it."""

    id: str
    concepts: tuple[Concept, ...]
    declared: bool = False


def _weights(forces: Sequence[ForceWords]) -> dict[str, float]:
    df: dict[str, int] = defaultdict(int)
    for force in forces:
        for word in {w for c in force.concepts for w in c.key}:
            df[word] += 1
    total = len(forces) + 1
    return {w: math.log(total / (n + 0.5)) + 0.1 for w, n in df.items()}


def _bigrams(concept: Concept) -> set[tuple[str, str]]:
    """Adjacent pairs of specific words ("long covid"), in either order."""
    return {(min(x, y), max(x, y)) for x, y in pairwise(concept.words) if x not in GENERIC and y not in GENERIC}


def concept_similarity(a: Concept, b: Concept, weights: dict[str, float]) -> float:
    """How alike two concepts are, in [0, 1] (see the module's docstring).

    Concepts about different heads ("funding for X", "concern about X") may share their topic, but are
    different forces: their score stays below NEAR_DUPLICATE unless the spelling says it is one phrase.
    """
    shared = set(a.key) & set(b.key)
    score = 0.0
    if any(w not in GENERIC for w in shared):
        union = set(a.key) | set(b.key)
        score = sum(weights.get(w, 1.0) for w in shared) / sum(weights.get(w, 1.0) for w in union)
    if _bigrams(a) & _bigrams(b):
        score = max(score, BIGRAM)
    if a.head != b.head:
        score = min(score, NEAR_DUPLICATE - 0.05)
    if misspelt(a.key, b.key):
        score = max(score, MISSPELLING)
    return score


def misspelt(a: Sequence[str], b: Sequence[str]) -> bool:
    """True when two wordings differ in one word only, spelt alike, and one of the two is no English word
    ("decarbonisaton" ~ "decarbonization"; not "globalization" ~ "localization")."""
    only_a, only_b = set(a) - set(b), set(b) - set(a)
    if len(only_a) != 1 or len(only_b) != 1:
        return False
    x, y = next(iter(only_a)), next(iter(only_b))
    if min(len(x), len(y)) < 5 or fuzz.ratio(x, y) < WORD_SPELLING:
        return False
    return not (simplemma.is_known(x, lang="en") and simplemma.is_known(y, lang="en"))


def _candidates(forces: Sequence[ForceWords]) -> Iterable[tuple[int, int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for index, force in enumerate(forces):
        words = {w for c in force.concepts for w in c.key}
        keys = {("w", w) for w in words if w not in GENERIC}
        keys |= {("p", w[:PREFIX]) for w in words if len(w) > PREFIX}
        for kind, word in sorted(keys):
            postings[kind + ":" + word].append(index)
    seen: set[tuple[int, int]] = set()
    for key in sorted(postings):
        members = postings[key]
        if len(members) > MAX_POSTING:
            continue
        for pair in combinations(members, 2):
            if pair not in seen:
                seen.add(pair)
                yield pair


def similar_pairs(forces: Sequence[ForceWords], distinct: set[frozenset[str]] | None = None) -> list[ForcePair]:
    """Pairs of forces at least RELATED alike, most similar first; pairs declared distinct are marked so."""
    distinct = distinct or set()
    weights = _weights(forces)
    out: list[ForcePair] = []
    for i, j in _candidates(forces):
        a, b = forces[i], forces[j]
        if a.declared and b.declared:
            continue  # two declared forces were made distinct on purpose
        score = max(concept_similarity(x, y, weights) for x in a.concepts for y in b.concepts)
        if score >= RELATED:
            first, second = sorted((a.id, b.id))
            out.append(ForcePair(first, second, round(score, 3), frozenset((a.id, b.id)) in distinct))
    out.sort(key=lambda p: (-p.score, p.a, p.b))
    return out


def near_duplicate_groups(pairs: Sequence[ForcePair]) -> list[list[str]]:
    """Groups of forces linked by near-duplicate pairs that are not declared distinct (connected components)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        if pair.score >= NEAR_DUPLICATE and not pair.distinct:
            ra, rb = find(pair.a), find(pair.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for member in sorted(parent):
        groups[find(member)].append(member)
    return [g for _, g in sorted(groups.items()) if len(g) > 1]
