"""Force phrases → concepts: split compound phrases into parts, reduce each part to its content lemmas (pure).

"Technological advancements and demographic changes" has two parts, "Technological advancements" and
"demographic changes"; their concepts are {advance, technology} and {change, demography}. Two parts say
the same thing when their concepts have the same key (the sorted set of content lemmas): word order,
plurals, stop words, hyphenation, filler ("desire for", "increasing") and spelling variants aside.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import simplemma

from signalkb.forces.words import (
    ABSTRACT,
    ADJECTIVE_SUFFIXES,
    ADJECTIVES,
    DERIVATIONS,
    FILLER_WORDS,
    FIXED_PHRASES,
    GENERIC,
    HEAD_SHELLS,
    KEEP_AS_IS,
    MULTIWORD,
    NOT_ADJECTIVES,
    PLURAL_ABBREVIATIONS,
    PREPOSITIONS,
    SHELL_NOUNS,
    SHELL_VERBS,
    SPELLING,
    STOP_WORDS,
    TOPICS,
)

MAX_WORDS = 40
"""Words of a part looked at; the rest of a very long phrase is ignored."""
MAX_SUBSET_WORDS = 8
"""Concepts larger than this are matched to broader ones by their largest subsets only."""

_TOKEN = re.compile(r"\w+(?:&\w+)*", re.UNICODE)
_PARTS = re.compile(r"\s*,\s*|\s+(?:and|&)\s+|\s*,\s*(?:and|&)\s+", re.IGNORECASE)
_BETWEEN = re.compile(r"\b(between|both)\s+([^,]+?)\s+and\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
_DOTTED = re.compile(r"\b[A-Za-z](?:\.[A-Za-z])+\b\.?")


def undot_acronyms(text: str) -> str:
    """Acronyms written with dots ("A.I.", "U.S") as one word ("AI", "US")."""
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), text)


_JOIN = "\u2063"  # invisible separator: stands for a protected " and " while splitting


@dataclass(frozen=True)
class Concept:
    """What a part of a force phrase is about: its content lemmas, as a set (the key) and in order."""

    key: tuple[str, ...]
    """The sorted distinct content lemmas; parts with the same key say the same thing."""
    words: tuple[str, ...]
    """The content lemmas in the order written (for similarity and display)."""
    head: str
    """The lemma the part is about: the last content word before its first preposition."""
    text: str
    """The part as written, trimmed."""

    @property
    def generic(self) -> bool:
        """True when the concept is too broad to be a force on its own: one broad word ("technology",
        "efficiency"), or only broad words, one of them an abstract quality and none a field
        ("cost-effectiveness", but not "public health" or "education technology")."""
        if len(self.key) == 1:
            return self.key[0] in GENERIC or self.key[0] in ABSTRACT
        return (
            all(w in GENERIC or w in ABSTRACT for w in self.key)
            and any(w in ABSTRACT for w in self.key)
            and not any(w in TOPICS for w in self.key)
        )

    @property
    def key_text(self) -> str:
        """The key as one string (`advance technology`)."""
        return " ".join(self.key)


def _normal(text: str) -> str:
    if text.isascii():  # NFKC leaves ASCII as it is, and it holds no format characters
        return " ".join(text.casefold().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _is_adjective(word: str) -> bool:
    word = word.casefold()
    if word in ADJECTIVES:
        return True
    if word in NOT_ADJECTIVES or len(word) < 5 or word.endswith("ment"):
        return False
    return word.endswith(ADJECTIVE_SUFFIXES) or (word.endswith("ed") and len(word) > 5)


def _fixed_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    words = [r"\s+".join(re.escape(w) for w in p.split()) for p in sorted(set(phrases), key=len, reverse=True)]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE) if words else None


_FIXED = _fixed_pattern(FIXED_PHRASES)


class Splitter:
    """Splits force phrases into parts; `fixed` adds phrases that must stay whole (a taxonomy's labels, aliases)."""

    def __init__(self, fixed: Iterable[str] = ()) -> None:
        extra = [f for f in fixed if re.search(r"\s(and|&)\s", f, re.IGNORECASE)]
        self._fixed = _fixed_pattern([*FIXED_PHRASES, *extra]) if extra else _FIXED

    def _protect(self, text: str) -> str:
        """Replace the ` and ` inside fixed phrases and `between X and Y` with a marker, so they are not split."""
        if self._fixed is not None:
            text = self._fixed.sub(lambda m: re.sub(r"\s+(and|&)\s+", f" {_JOIN} ", m.group(0)), text)
        return _BETWEEN.sub(lambda m: f"{m.group(1)} {m.group(2)} {_JOIN} ", text)

    def __call__(self, phrase: str) -> list[str]:
        """The parts of a force phrase: split at commas and `and`, but not inside fixed phrases or `A and B noun`."""
        text = self._protect(" ".join(phrase.split()))
        parts: list[str] = []
        for piece in _PARTS.split(text):
            piece = piece.strip(" .;:!?-–—")
            if piece.casefold() in ("and", "or", "&"):
                continue
            if piece.casefold().startswith(("and ", "or ")):
                piece = piece.split(" ", 1)[1]
            if not piece:
                continue
            if parts and _coordinated(parts[-1], piece):
                parts[-1] = f"{parts[-1]} {_JOIN} {piece}"
            else:
                parts.append(piece)
        out = [p.replace(f" {_JOIN} ", " and ").replace(_JOIN, "and").strip() for p in parts]
        return [p for p in out if _TOKEN.search(p)]


def split_parts(phrase: str, fixed: Iterable[str] = ()) -> list[str]:
    """The parts of a force phrase: split at commas and `and`, but not inside fixed phrases or `A and B noun`.

    `fixed` adds phrases that must stay whole (the labels and aliases of a taxonomy).
    """
    return Splitter(fixed)(phrase)


def _coordinated(left: str, right: str) -> bool:
    """`social | economic change`: a left part ending in an adjective joined to an adjective + noun."""
    left_words, right_words = left.split(), right.split()
    return (
        len(right_words) >= 2
        and _is_adjective(left_words[-1].strip(",."))
        and _is_adjective(right_words[0].strip(",."))
        and not any(w.casefold() in PREPOSITIONS for w in left_words[-1:])
    )


class Lemmatiser:
    """English lemmas (simplemma) with spelling variants and derivations folded; remembers every word it saw."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}
        self.parts: dict[str, Concept | None] = {}
        """Part → its concept (`reduce_part`)."""

    def __call__(self, word: str) -> str:
        """The lemma that stands for `word` in concepts (`Technological` → `technology`)."""
        found = self._cache.get(word)
        if found is None:
            found = self._cache[word] = self._lemma(word)
        return found

    @staticmethod
    def _lemma(word: str) -> str:
        word = SPELLING.get(word, word)
        if word in PLURAL_ABBREVIATIONS:
            return PLURAL_ABBREVIATIONS[word]
        if (
            word in KEEP_AS_IS
            or len(word) <= 3
            or not word.isascii()
            or "-" in word
            or "&" in word
            or word in DERIVATIONS
        ):
            lemma = word
        else:
            lemma = simplemma.lemmatize(word, lang="en").casefold()
        lemma = SPELLING.get(lemma, lemma)
        if lemma.endswith("isation"):
            lemma = lemma[: -len("isation")] + "ization"
        return DERIVATIONS.get(lemma, lemma)


_MULTIWORD_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _sequence, _token in MULTIWORD:
    _MULTIWORD_BY_FIRST.setdefault(_sequence[0], []).append((_sequence, _token))


def _tokens(part: str) -> list[str]:
    text = _POSSESSIVE.sub("", _normal(undot_acronyms(part))).replace("-", " ").replace("/", " ")
    words = _TOKEN.findall(text)[:MAX_WORDS]
    out: list[str] = []
    i = 0
    while i < len(words):
        for sequence, token in _MULTIWORD_BY_FIRST.get(words[i], ()):
            if tuple(words[i : i + len(sequence)]) == sequence:
                out.append(token)
                i += len(sequence)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _strip_shells(words: list[str]) -> list[str]:
    """Drop what only wraps the subject at the start: articles, filler, `desire for`, `addressing`."""
    start = 0
    while start < len(words):
        word = words[start]
        nxt = words[start + 1] if start + 1 < len(words) else ""
        if (word in STOP_WORDS and word not in PREPOSITIONS) or word in FILLER_WORDS:
            start += 1
        elif word in SHELL_NOUNS and nxt in PREPOSITIONS and start + 2 < len(words):
            start += 2
        elif word in SHELL_VERBS and start + 1 < len(words):
            start += 2 if nxt in PREPOSITIONS and start + 2 < len(words) else 1
        else:
            break
    return words[start:]


def core_wording(text: str) -> str:
    """The wording without what only wraps its subject at the start, case kept ("Desire for humor" → "humor").

    Returns the text itself when nothing would be left.
    """
    words = text.split()
    keys = [_normal(w).strip(".,;:!?()[]\"'“”‘’") for w in words]
    kept = _strip_shells(keys)
    start = len(words) - len(kept)
    return " ".join(words[start:]) if 0 < start < len(words) else " ".join(words)


def reduce_part(part: str, lemma: Lemmatiser) -> Concept | None:
    """The concept of one part, or None when it has no content word ("the", "...", "promoting").

    Remembered per part by the lemmatiser (a knowledge base reduces each part several times).
    """
    if part in lemma.parts:
        return lemma.parts[part]
    found = lemma.parts[part] = _reduce_part(part, lemma)
    return found


def _reduce_part(part: str, lemma: Lemmatiser) -> Concept | None:
    words = _strip_shells(_tokens(part))
    content: list[str] = []
    core: list[int] = []
    in_core = True
    for word in words:
        if word in PREPOSITIONS:
            in_core = in_core and not content
            continue
        if word in STOP_WORDS or word in FILLER_WORDS or word in SHELL_VERBS or word.isdigit():
            continue
        lemma_ = lemma(word)
        if lemma_ in STOP_WORDS:
            continue
        if in_core:
            core.append(len(content))
        content.append(lemma_)
    if len(core) >= 2 and len(core) == len(content) and content[core[-1]] in HEAD_SHELLS:
        del content[core.pop()]  # "EV demand" is "demand for EVs" (but in "public concern about X", X is the topic)
    if not content:
        return None
    ordered = tuple(dict.fromkeys(content))
    head = content[core[-1]] if core else ordered[-1]
    return Concept(tuple(sorted(ordered)), ordered, head, " ".join(part.split()))


def phrase_concepts(phrase: str, lemma: Lemmatiser, split: Splitter | None = None) -> list[Concept]:
    """The concepts of a force phrase's parts, in order, without repeats."""
    out: dict[tuple[str, ...], Concept] = {}
    for part in (split or Splitter())(phrase):
        concept = reduce_part(part, lemma)
        if concept is not None:
            out.setdefault(concept.key, concept)
    return list(out.values())


def broader_keys(concept: Concept) -> Iterable[tuple[str, ...]]:
    """Keys of the broader concepts a concept may be a narrower wording of: proper subsets that keep its head.

    Largest subsets first; never fewer than two words (one shared word is too weak a link).
    """
    others = [w for w in concept.key if w != concept.head]
    low = max(1, len(others) - MAX_SUBSET_WORDS)
    for size in range(len(others) - 1, low - 1, -1):
        for subset in combinations(others, size):
            yield tuple(sorted((*subset, concept.head)))


def similarity_text(concepts: Sequence[Concept]) -> str:
    """The content lemmas of some concepts as one string, for fuzzy comparison."""
    return " ".join(w for c in concepts for w in c.words)
