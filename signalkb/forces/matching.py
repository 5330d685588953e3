"""Matching force phrases to driving forces, in stages; the first stage that matches wins.

1. `label` / `alias`: the phrase is a declared force's label, id or alias after `name_key` normalisation.
2. `same words`: the phrase (or one part of a compound phrase) has the same content words as a declared
   label or alias, or as parts of other signals (concepts.py: word order, plurals, stop words, filler
   and hyphenation aside: "collaboration in open source" = "open-source collaboration").
3. `narrower`: a part keeps the head and every word of a broader concept of two or more words that
   another signal or the taxonomy uses ("Advancement in AI technology" → "Technological advancement").
4. `same phrase`: anything else is a force of its own, shared by phrases with the same normal form.
5. `same meaning` (with a model): a force placed under a broad force (broad.py) joins the force of that
   broad force it means the same as ("Low birth rates" → "Declining fertility rates"): cosine at least
   `MERGE_AT` to that force itself, never merely to another member, so forces do not chain.

A part that is only generic ("research", "efficiency", "cost-effectiveness") makes no force: the
phrase stays on its signal as written. Forces are placed under broad forces by broad.py.

Compound phrases are split into parts first ("Technological advancements and demographic changes");
each part that says something specific becomes a force. Grouping looks at all phrases of the knowledge
base at once and depends only on the set of phrases, never on file order.

What depends on one phrase alone (its words: stages 1, 2 against the taxonomy, and splitting into parts)
and on one force alone (its placement under broad forces, and its vector) is remembered in a `ForceMemo`
from one build to the next: a build after an edit does that work only for the phrases and forces that
changed; grouping across phrases and joining by meaning are done again in full, so the result is the same
as a cold build's.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from signalkb.core.slugs import name_key
from signalkb.forces.broad import Placement, Placer, declared_broader
from signalkb.forces.concepts import Concept, Lemmatiser, Splitter, broader_keys, phrase_concepts, reduce_part
from signalkb.forces.meaning import Embedder
from signalkb.forces.taxonomy import MAX_YAML_NODES, ForceDef, Taxonomy, parse_taxonomy

__all__ = [
    "MAX_YAML_NODES",
    "ForceDef",
    "ForceMemo",
    "ForceResolver",
    "Match",
    "Matcher",
    "Merge",
    "Placement",
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
MERGE_AT = 0.88
"""Least cosine between a force and another force of the same broad force for the second to join the first."""


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


@dataclass(frozen=True)
class Merge:
    """A force joined to another by meaning (stage 5), for the review."""

    member: str
    """The key of the force that joined."""
    leader: str
    """The key of the force it joined."""
    score: float
    """Cosine between the two forces."""
    broad_id: str
    """The broad force both are placed under."""
    wording: str = ""
    """The joined force's wording, as written (what its label would have been)."""


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


Words = tuple[Match, "tuple[Concept, ...] | None"]
"""One phrase's word stage: its whole-phrase match, and its specific parts when that match is a phrase of its own
(None otherwise; empty when every part is generic)."""


@dataclass
class ForceMemo:
    """The work `ForceResolver.resolve_all` keeps for the next build: per phrase and per force, never across them.

    Valid only for the taxonomy and model it was made with (`key`); the build cache pickles it
    (`forces.pickle`) and the preview keeps it in memory.
    """

    key: str = ""
    words: dict[str, Words] = field(default_factory=dict)
    """Phrase → its word stage."""
    placed: dict[bytes, tuple[tuple[Placement, ...], np.ndarray | None]] = field(default_factory=dict)
    """Digest of a force's wordings and context → its placements, and its vector when it is placed or declared
    under a broad force (only forces of a broad force are compared by meaning)."""

    def __getstate__(self) -> dict[str, Any]:
        ids = list(self.placed)
        vectors = [v for _, v in self.placed.values() if v is not None]
        matrix = np.stack(vectors) if vectors else None
        placements = [self.placed[i][0] for i in ids]
        has_vector = [self.placed[i][1] is not None for i in ids]
        return {
            "key": self.key,
            "words": self.words,
            "ids": ids,
            "placements": placements,
            "has_vector": has_vector,
            "vectors": matrix,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.key, self.words = state["key"], state["words"]
        rows = iter(state["vectors"] if state["vectors"] is not None else ())
        self.placed = {
            i: (placements, next(rows) if has else None)
            for i, placements, has in zip(state["ids"], state["placements"], state["has_vector"], strict=True)
        }


def _force_digest(wordings: Sequence[str], context: Sequence[str]) -> bytes:
    """What a force's placement and vector depend on: its distinct wordings in order, and its context texts."""
    digest = hashlib.blake2b(digest_size=16)
    for text in (*wordings, "\x00", *context):
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x01")
    return digest.digest()


@dataclass
class _Group:
    """The parts (across all phrases) that share one concept key."""

    concept: Concept
    uses: int = 0
    wordings: set[str] | None = None


class ForceResolver:
    """Resolves force phrases to forces through the stages above; remembers which aliases were used."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        extra: Sequence[Matcher] = (),
        model: Embedder | None = None,
        memo: ForceMemo | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.model = model
        key = hashlib.blake2b(f"{taxonomy!r}\n{model.name if model else ''}".encode(), digest_size=16).hexdigest()
        self._last = memo if memo is not None and memo.key == key and not extra else ForceMemo(key)
        self.memo = self._last
        """The work of `resolve_all` for the next build (what it used of the memo given, and what it did anew)."""
        self.memo_changed = False
        """True when `resolve_all` did work the memo given did not hold, or left some of it unused."""
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
        self.placements: dict[str, list[Placement]] = {}
        """Force key → the broad forces it is placed under, best first, after `resolve_all` (with a model)."""
        self.merges: list[Merge] = []
        """Forces joined by meaning, after `resolve_all`."""
        self.general: set[str] = set()
        """Phrases too generic to make a force ("research"), after `resolve_all`."""
        self.declared_broader, self.problems = declared_broader(taxonomy)
        self._placer = Placer(taxonomy.broad, model, self.lemma) if model is not None else None

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

    def resolve_all(
        self, uses: Mapping[str, int], contexts: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, list[Match]]:
        """Matches for every phrase of the knowledge base (`uses`: phrase → number of signals naming it).

        `contexts` (optional) maps a phrase to the texts of the signals naming it (their Signal and Change
        cells): they help place a vague force under a broad force (broad.py).
        """
        out: dict[str, list[Match]] = {}
        pending: dict[str, list[Concept]] = {}
        known = self._last.words
        words: dict[str, Words] = {}
        for phrase in sorted(uses):
            found = known.get(phrase)
            if found is None:
                found = self._words(phrase)
            else:
                self.used_keys.add(name_key(phrase))  # as `resolve` would
            words[phrase] = whole, specific = found
            if specific is None:
                out[phrase] = [whole]
            elif not specific:
                out[phrase] = []
                self.general.add(phrase)
            else:
                pending[phrase] = list(specific)
        self.memo = ForceMemo(self._last.key, words)
        groups = self._groups(pending, uses)
        roots = self._roots(groups)
        for phrase, parts in pending.items():
            matches: list[Match] = []
            for concept in parts:
                match = self._part_match(concept, groups, roots, name_key(concept.text) == name_key(phrase))
                if all(m.key != match.key for m in matches):
                    matches.append(match)
            out[phrase] = matches
        if self._placer is not None:
            out = self._by_meaning(out, uses, self._placer, contexts or {})
        last = self._last
        self.memo_changed = (
            len(words) != len(last.words)
            or len(self.memo.placed) != len(last.placed)
            or any(p not in last.words for p in words)
            or any(k not in last.placed for k in self.memo.placed)
        )
        return out

    def _words(self, phrase: str) -> Words:
        """One phrase's word stage (see `Words`)."""
        whole = self.resolve(phrase)
        if not whole.key.startswith(PHRASE):
            return whole, None
        return whole, tuple(c for c in phrase_concepts(phrase, self.lemma, self._split) if not c.generic)

    def _by_meaning(
        self,
        matches: dict[str, list[Match]],
        uses: Mapping[str, int],
        placer: Placer,
        contexts: Mapping[str, Sequence[str]],
    ) -> dict[str, list[Match]]:
        """Place every force under broad forces; join forces of one broad force that mean the same (stage 5)."""
        wordings = group_phrases(matches)
        count: dict[str, int] = defaultdict(int)
        around: dict[str, list[str]] = defaultdict(list)
        for phrase, found in matches.items():
            for match in found:
                count[match.key] += uses[phrase]
                around[match.key].extend(contexts.get(phrase, ()))
        keys, vectors, placements = self._placed(placer, wordings, around)
        for force_id, broad_ids in self.declared_broader.items():
            if force_id in placements or force_id in count:
                placements[force_id] = [Placement(b, 1.0, "declared") for b in broad_ids]
        row = {k: i for i, k in enumerate(keys)}
        declared = {f.id for f in self.taxonomy.forces}
        members: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            for placement in placements[key]:
                members[placement.broad_id].append(key)
        joined: dict[str, Merge] = {}
        leading: set[str] = set()
        for broad_id in sorted(members):
            group = sorted(members[broad_id], key=lambda k: (k not in declared, -count[k], k))
            leaders: list[str] = []
            rows = np.empty((len(group), vectors.shape[1]), dtype=vectors.dtype)  # the leaders' vectors
            for key in group:
                if key in joined:
                    continue
                if key not in declared and key not in leading and leaders:
                    sims = rows[: len(leaders)] @ vectors[row[key]]
                    best = int(np.argmax(sims))
                    if float(sims[best]) >= MERGE_AT:
                        score = round(float(sims[best]), 4)
                        joined[key] = Merge(key, leaders[best], score, broad_id, phrase_label(wordings[key]))
                        leading.add(leaders[best])
                        continue
                rows[len(leaders)] = vectors[row[key]]
                leaders.append(key)
        self.merges = sorted(joined.values(), key=lambda m: (m.score, m.member))
        self.placements = {k: p for k, p in placements.items() if k not in joined}
        if not joined:
            return matches
        out: dict[str, list[Match]] = {}
        for phrase, found in matches.items():
            rewritten: list[Match] = []
            for match in found:
                merge = joined.get(match.key)
                if merge is not None:
                    via = wordings[merge.leader][0] if wordings.get(merge.leader) else ""
                    match = Match(merge.leader, "same meaning", match.part, via)
                if all(m.key != match.key for m in rewritten):
                    rewritten.append(match)
            out[phrase] = rewritten
        return out

    def _placed(
        self, placer: Placer, wordings: Mapping[str, Sequence[str]], around: Mapping[str, Sequence[str]]
    ) -> tuple[list[str], np.ndarray, dict[str, list[Placement]]]:
        """Every force's key (sorted), vector and placements; those the memo holds are not worked out again."""
        keys = sorted(wordings)
        known = self._last.placed
        digests: dict[str, bytes] = {}
        todo: dict[str, tuple[str, ...]] = {}
        for key in keys:
            distinct = tuple(dict.fromkeys(wordings[key]))
            digest = digests[key] = _force_digest(distinct, sorted(set(around.get(key, ()))))
            if digest not in known:
                todo[key] = distinct
        fresh: dict[bytes, tuple[tuple[Placement, ...], np.ndarray | None]] = {}
        if todo:
            embedded = placer.embed(todo)
            made_keys, made = placer.vectors(embedded)
            placed = placer.place(embedded, {k: around.get(k, ()) for k in todo})
            for i, key in enumerate(made_keys):
                compared = placed[key] or key in self.declared_broader  # a force of a broad force
                fresh[digests[key]] = tuple(placed[key]), made[i] if compared else None
        remembered = {d: fresh[d] if d in fresh else known[d] for d in digests.values()}
        self.memo.placed = remembered
        placements = {k: list(remembered[digests[k]][0]) for k in keys}
        vectors = np.zeros((len(keys), placer.dims), dtype=np.float32)  # zero where unplaced: never compared
        for i, key in enumerate(keys):
            vector = remembered[digests[key]][1]
            if vector is not None:
                vectors[i] = vector
        return keys, vectors, placements

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
