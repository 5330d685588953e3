"""Force analytics, computed once per build (pure): co-occurring forces, signals per year, related signals, network."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from signalkb.core.model import Force, KnowledgeBase, Term

FORCE_CAP = 30
"""Forces with more signals than this link each signal only to its nearest neighbours in the force's list."""
NEIGHBOURS = 6
"""Neighbours on each side taken from a large force's list."""
TERM_CAP = 40
"""Keywords and themes named by more notes than this are too common to relate notes."""
RELATED_NOTES = 3
"""Notes (sharing keywords or themes) whose signals are candidates for a signal's related list."""


@dataclass(frozen=True)
class RelatedSignal:
    """A signal related to another, its score and why: shared forces' labels, `A ≈ B` for forces worded alike,
    `keyword K` and `theme T` for what the two notes share."""

    id: str
    score: float
    reasons: tuple[str, ...]


def co_occurring(kb: KnowledgeBase, limit: int = 8) -> dict[str, list[tuple[str, int]]]:
    """For each force, the forces named in the same notes most often: (force id, notes in common)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for note in kb.notes:
        ids = sorted({link.force_id for sid in note.signal_ids for link in kb.signals_by_id[sid].forces})
        for a, b in combinations(ids, 2):
            counts[a][b] += 1
            counts[b][a] += 1
    return {
        fid: sorted(c.items(), key=lambda kv: (-kv[1], kb.forces_by_id[kv[0]].label.casefold(), kv[0]))[:limit]
        for fid, c in counts.items()
    }


def signals_per_year(force: Force, kb: KnowledgeBase) -> tuple[dict[int, int], int]:
    """Signals of a force by the year of their note, and how many have no date."""
    years: Counter[int] = Counter()
    undated = 0
    for sid in force.signal_ids:
        date = kb.notes_by_id[kb.signals_by_id[sid].note_id].date
        if date is None:
            undated += 1
        else:
            years[date.year] += 1
    return dict(sorted(years.items())), undated


def _windows(kb: KnowledgeBase) -> dict[str, tuple[float, tuple[str, ...], dict[str, int]]]:
    """For each force with two signals or more: its weight, its signals, and each signal's position."""
    total = max(1, len(kb.signals))
    return {
        f.id: (math.log(1 + total / len(f.signal_ids)), f.signal_ids, {s: i for i, s in enumerate(f.signal_ids)})
        for f in kb.forces
        if len(f.signal_ids) >= 2
    }


def _note_similarity(kb: KnowledgeBase) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
    """Notes that share keywords or themes: note → other note → (score, the shared terms); rarer terms weigh more."""
    out: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = defaultdict(dict)
    total = max(1, len(kb.notes))
    terms: list[tuple[Term, float, str]] = [(t, 0.3, "keyword") for t in kb.keywords]
    terms += [(t, 0.2, "theme") for t in kb.themes]
    for term, factor, kind in terms:
        if not 2 <= len(term.note_ids) <= TERM_CAP:
            continue
        weight = factor * math.log(1 + total / len(term.note_ids))
        for a, b in combinations(term.note_ids, 2):
            for x, y in ((a, b), (b, a)):
                score, shared = out[x].get(y, (0.0, ()))
                out[x][y] = (score + weight, (*shared, f"{kind} {term.label}"))
    return out


class RelatedSignals:
    """For each signal, the signals of other notes most related to it, computed when first asked for.

    Shared forces count most (rarer forces weigh more; in a force of more than FORCE_CAP signals only the
    NEIGHBOURS on each side count), then forces worded alike, then keywords and themes of the two notes.
    The indexes are made once; each signal's list is computed on demand (in the worker that builds its page).
    """

    def __init__(self, kb: KnowledgeBase, limit: int = 5) -> None:
        self.kb = kb
        self.limit = limit
        self.windows = _windows(kb)
        self.similar: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for pair in kb.similar_forces:
            if not pair.distinct:
                self.similar[pair.a].append((pair.b, pair.score))
                self.similar[pair.b].append((pair.a, pair.score))
        self.notes = _note_similarity(kb)
        self.note_of = {s.id: s.note_id for s in kb.signals}
        self.forces_of = {s.id: [link.force_id for link in s.forces] for s in kb.signals}
        self.labels = {f.id: f.label for f in kb.forces}
        self._nearby: dict[str, list[str]] = {}

    def _near(self, note_id: str) -> list[str]:
        found = self._nearby.get(note_id)
        if found is None:
            mine = self.notes.get(note_id, {})
            near = heapq.nsmallest(RELATED_NOTES, mine.items(), key=lambda kv: (-kv[1][0], kv[0]))
            found = [other for other_note, _ in near for other in self.kb.notes_by_id[other_note].signal_ids]
            self._nearby[note_id] = found
        return found

    def of(self, sid: str) -> list[RelatedSignal]:
        """The most related signals of other notes, best first."""
        note_id = self.note_of[sid]
        mine = self.notes.get(note_id, {})
        row: dict[str, float] = dict.fromkeys(self._near(note_id), 0.0)
        own = self.forces_of[sid]
        windows, similar = self.windows, self.similar
        get = row.get
        for fid in own:
            found = windows.get(fid)
            if found is None:
                continue
            weight, members, position = found
            if len(members) > FORCE_CAP:
                i = position[sid]
                members = members[max(0, i - NEIGHBOURS) : i + NEIGHBOURS + 1]
            for other in members:
                row[other] = get(other, 0.0) + weight
            for like, score in similar.get(fid, ())[:2]:
                entry = windows.get(like)
                if entry is not None:
                    extra = 0.5 * score * weight
                    for other in entry[1][:5]:
                        row[other] = get(other, 0.0) + extra
        scored = []
        for other, score in row.items():
            other_note = self.note_of[other]
            if other_note != note_id:
                terms = mine.get(other_note)
                scored.append((-(score + terms[0]) if terms else -score, other))
        best = heapq.nsmallest(self.limit, scored)
        return [
            RelatedSignal(
                other,
                round(-score, 3),
                _reasons(self.labels, own, self.forces_of[other], self.note_of[other], mine, similar),
            )
            for score, other in best
        ]


def related_signals(kb: KnowledgeBase, limit: int = 5) -> dict[str, list[RelatedSignal]]:
    """Every signal's most related signals (see RelatedSignals)."""
    index = RelatedSignals(kb, limit)
    return {s.id: index.of(s.id) for s in kb.signals}


def _reasons(
    labels: Mapping[str, str],
    own: list[str],
    theirs: list[str],
    their_note: str,
    mine: Mapping[str, tuple[float, tuple[str, ...]]],
    similar: Mapping[str, list[tuple[str, float]]],
) -> tuple[str, ...]:
    """Why two signals are related: the forces they share (else forces worded alike), then keywords and themes."""
    reasons = ["shares " + labels[f] for f in own if f in theirs]
    if not reasons:
        reasons = [f"{labels[f]} ≈ {labels[like]}" for f in own for like, _ in similar.get(f, ())[:2] if like in theirs]
    terms = mine.get(their_note)
    return (*reasons, *terms[1])[:4] if terms else tuple(reasons[:4])


@dataclass(frozen=True)
class Network:
    """The forces most shared across notes and how often each two are named in the same notes."""

    nodes: tuple[Force, ...]
    edges: tuple[tuple[str, str, int], ...]
    """(force id, force id, notes naming both)."""


def force_network(kb: KnowledgeBase, max_nodes: int = 36) -> Network:
    """The network drawn on the force index: the forces named by most notes (two at least) and their links.

    With fewer than six such forces, the twelve forces with most signals are drawn instead.
    """
    ranked = sorted(
        (f for f in kb.forces if len(f.signal_ids) >= 2),
        key=lambda f: (-len(f.note_ids), -len(f.signal_ids), f.label.casefold(), f.id),
    )
    shared = [f for f in ranked if len(f.note_ids) >= 2]
    ranked = shared[:max_nodes] if len(shared) >= 6 else ranked[:12]
    chosen = {f.id for f in ranked}
    weights: Counter[tuple[str, str]] = Counter()
    for note in kb.notes:
        ids = sorted({link.force_id for sid in note.signal_ids for link in kb.signals_by_id[sid].forces} & chosen)
        for a, b in combinations(ids, 2):
            weights[(a, b)] += 1
    edges = tuple((a, b, n) for (a, b), n in sorted(weights.items()))
    return Network(tuple(ranked), edges)
