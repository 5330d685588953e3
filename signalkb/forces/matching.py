"""Matching force phrases to driving forces, in stages; the first stage that matches wins.

1. `label` / `alias`: the phrase is a declared force's label, id or alias after `name_key` normalisation.
2. `same words`: the phrase (or one part of a compound phrase) has the same content words as a declared
   label or alias, or as parts of other signals (concepts.py: word order, plurals, stop words, filler
   and hyphenation aside: "collaboration in open source" = "open-source collaboration").
3. `narrower`: a part keeps the head and every word of a broader concept of two or more words that
   another signal or the taxonomy uses ("Advancement in AI technology" → "Technological advancement").
4. `same phrase`: anything else is a force of its own, shared by phrases with the same normal form.

Compound phrases are split into parts first ("Technological advancements and demographic changes");
each part that says something specific becomes a force. Grouping looks at all phrases of the knowledge
base at once and depends only on the set of phrases, never on file order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from signalkb.core.slugs import name_key
from signalkb.forces.concepts import Concept, Lemmatiser, Splitter, broader_keys, phrase_concepts, reduce_part
from signalkb.forces.taxonomy import MAX_YAML_NODES, ForceDef, Taxonomy, parse_taxonomy

__all__ = [
    "MAX_YAML_NODES",
    "ForceDef",
    "ForceResolver",
    "Match",
    "Matcher",
    "Taxonomy",
    "TaxonomyMatcher",
    "parse_taxonomy",
    "phrase_label",
    "same_phrase",
    "split_phrases",
]

_SPLIT = re.compile(r"\s*;\s*")
CONCEPT = "concept:"
"""Key prefix of forces found by grouping concepts."""
PHRASE = "phrase:"
"""Key prefix of forces that are a phrase of their own."""


@dataclass(frozen=True)
class Match:
    """The force a phrase (or one part of it) was matched to, and how."""

    key: str
    """The force's identity: a declared force's id, `concept:` + a concept key, or `phrase:` + a normal form."""
    how: str
    """`label`, `alias`, `same words`, `narrower` or `same phrase`."""
    part: str = ""
    """The part of a compound phrase that matched; empty when the whole phrase did."""
    via: str = ""
    """The wording it matched through: the label, the alias, or the broader concept's words."""


def split_phrases(cell_text: str) -> list[str]:
    """The force phrases of a Driving force cell: `;`-separated, blank ones dropped."""
    return [p.strip() for p in _SPLIT.split(cell_text) if p.strip() and name_key(p)]


class Matcher(Protocol):
    """One stage of whole-phrase matching: a phrase's normal form → a match, or None to pass it on."""

    def __call__(self, phrase: str, key: str) -> Match | None: ...


class TaxonomyMatcher:
    """Matches labels and aliases of declared forces after normalisation."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._index: dict[str, Match] = {}
        for force in taxonomy.forces:
            for alias in force.aliases:
                self._index.setdefault(name_key(alias), Match(force.id, "alias", via=alias))
        for force in taxonomy.forces:
            self._index[name_key(force.label)] = Match(force.id, "label", via=force.label)
            self._index.setdefault(name_key(force.id), Match(force.id, "label", via=force.label))

    def __call__(self, phrase: str, key: str) -> Match | None:
        return self._index.get(key)


def same_phrase(phrase: str, key: str) -> Match:
    """The last stage: the phrase is a force of its own, shared with every phrase of the same normal form."""
    return Match(PHRASE + key, "same phrase")


@dataclass
class _Group:
    """The parts (across all phrases) that share one concept key."""

    concept: Concept
    uses: int = 0
    wordings: set[str] | None = None


class ForceResolver:
    """Resolves force phrases to forces through the stages above; remembers which aliases were used."""

    def __init__(self, taxonomy: Taxonomy, extra: Sequence[Matcher] = ()) -> None:
        self.taxonomy = taxonomy
        self.lemma = Lemmatiser()
        self._exact = TaxonomyMatcher(taxonomy)
        self._matchers: list[Matcher] = [self._exact, *extra]
        self._split = Splitter(n for f in taxonomy.forces for n in (f.label, *f.aliases))
        self._declared: dict[tuple[str, ...], Match] = {}
        for force in taxonomy.forces:
            for name in (force.label, *force.aliases):
                concept = reduce_part(name, self.lemma)
                if concept is not None and not concept.generic:
                    self._declared.setdefault(concept.key, Match(force.id, "same words", via=name))
        self.used_keys: set[str] = set()
        self.concepts: dict[str, Concept] = {}
        """The concept each auto force (`concept:` key) stands for, after `resolve_all`."""

    def resolve(self, phrase: str) -> Match:
        """The match of one whole phrase, without grouping across phrases (stages 1, 2 against the taxonomy, 4)."""
        key = name_key(phrase)
        self.used_keys.add(key)
        for matcher in self._matchers:
            found = matcher(phrase, key)
            if found is not None:
                return found
        concept = reduce_part(phrase, self.lemma)
        if concept is not None and concept.key in self._declared:
            return self._declared[concept.key]
        return same_phrase(phrase, key)

    def resolve_all(self, uses: Mapping[str, int]) -> dict[str, list[Match]]:
        """Matches for every phrase of the knowledge base (`uses`: phrase → number of signals naming it)."""
        out: dict[str, list[Match]] = {}
        pending: dict[str, list[Concept]] = {}
        for phrase in sorted(uses):
            whole = self.resolve(phrase)
            if not whole.key.startswith(PHRASE):
                out[phrase] = [whole]
                continue
            parts = phrase_concepts(phrase, self.lemma, self._split)
            specific = [c for c in parts if not c.generic]
            if not specific:
                out[phrase] = [whole]
                continue
            pending[phrase] = specific
        groups = self._groups(pending, uses)
        roots = self._roots(groups)
        for phrase, parts in pending.items():
            matches: list[Match] = []
            for concept in parts:
                match = self._part_match(concept, groups, roots, name_key(concept.text) == name_key(phrase))
                if all(m.key != match.key for m in matches):
                    matches.append(match)
            out[phrase] = matches
        return out

    def _part_match(
        self,
        concept: Concept,
        groups: Mapping[tuple[str, ...], _Group],
        roots: Mapping[tuple[str, ...], object],
        whole: bool,
    ) -> Match:
        part = "" if whole else concept.text
        text_key = name_key(concept.text)
        exact = self._exact(concept.text, text_key)
        if exact is not None:
            self.used_keys.add(text_key)
            return Match(exact.key, exact.how, part, exact.via)
        if concept.key in self._declared:
            found = self._declared[concept.key]
            return Match(found.key, "same words", part, found.via)
        root = roots.get(concept.key)
        if isinstance(root, Match):
            return Match(root.key, "narrower", part, root.via)
        if isinstance(root, tuple):
            self.concepts[CONCEPT + " ".join(root)] = groups[root].concept
            return Match(CONCEPT + " ".join(root), "narrower", part, " ".join(groups[root].concept.words))
        group = groups[concept.key]
        self.concepts[CONCEPT + concept.key_text] = group.concept
        how = "same phrase" if len(group.wordings or ()) <= 1 else "same words"
        return Match(CONCEPT + concept.key_text, how, part)

    @staticmethod
    def _groups(pending: Mapping[str, list[Concept]], uses: Mapping[str, int]) -> dict[tuple[str, ...], _Group]:
        groups: dict[tuple[str, ...], _Group] = {}
        for phrase, parts in pending.items():
            for concept in parts:
                group = groups.get(concept.key)
                if group is None:
                    group = groups[concept.key] = _Group(concept, 0, set())
                elif (concept.text.casefold(), concept.text) < (group.concept.text.casefold(), group.concept.text):
                    group.concept = concept  # the representative is the same whatever the order of phrases
                group.uses += uses[phrase]
                assert group.wordings is not None
                group.wordings.add(name_key(concept.text))
        return groups

    def _roots(self, groups: Mapping[tuple[str, ...], _Group]) -> dict[tuple[str, ...], Match | tuple[str, ...]]:
        """For each concept that is a narrower wording of another, the broadest concept (or declared force) it joins."""
        parent: dict[tuple[str, ...], Match | tuple[str, ...]] = {}
        for key in sorted(groups):
            if key in self._declared:
                continue
            candidates: list[tuple[str, ...]] = []
            for broader in broader_keys(groups[key].concept):
                if candidates and len(broader) < len(candidates[0]):
                    break
                if broader in self._declared or broader in groups:
                    candidates.append(broader)
            declared = sorted(b for b in candidates if b in self._declared)
            if declared:
                parent[key] = self._declared[declared[0]]
            elif candidates:
                parent[key] = min(candidates, key=lambda b: (-groups[b].uses, b))
        roots: dict[tuple[str, ...], Match | tuple[str, ...]] = {}
        for key in parent:
            current: Match | tuple[str, ...] = parent[key]
            seen = {key}
            while isinstance(current, tuple) and current in parent and current not in seen:
                seen.add(current)
                current = parent[current]
            roots[key] = current
        return roots

    def unused_aliases(self) -> list[tuple[ForceDef, str]]:
        """Aliases that matched no phrase of any note (likely typos or stale entries)."""
        return [(f, a) for f in self.taxonomy.forces for a in f.aliases if name_key(a) not in self.used_keys]


def phrase_label(phrases: Iterable[str]) -> str:
    """The label of an undeclared force: its most used spelling, ties broken by fewest words, then sort order."""
    counts: dict[str, int] = {}
    for phrase in phrases:
        text = " ".join(phrase.split())
        counts[text] = counts.get(text, 0) + 1
    best = sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0].split()), kv[0]))[0][0]
    return best[:1].upper() + best[1:]


def group_phrases(matches: Mapping[str, Sequence[Match]]) -> dict[str, list[str]]:
    """Force key → the distinct wordings (parts, or whole phrases) matched to it."""
    out: dict[str, list[str]] = defaultdict(list)
    for phrase, found in matches.items():
        for match in found:
            out[match.key].append(match.part or phrase)
    return out
