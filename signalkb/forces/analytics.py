"""Force analytics (pure): co-occurring forces, signals per year, related signals (made at link time), network."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from signalkb.core.model import Force, KnowledgeBase, Signal, Term
from signalkb.forces.meaning import Embedder, unit_rows

FORCE_CAP = 30
"""Forces with more signals than this link each signal only to its nearest neighbours in the force's list."""
NEIGHBOURS = 6
"""Neighbours on each side taken from a large force's list."""
TERM_CAP = 40
"""Keywords and themes named by more notes than this are too common to relate notes."""
RELATED_NOTES = 3
"""Notes (sharing keywords or themes) whose signals are candidates for a signal's related list (without a model)."""
RELATED_KEPT = 8
"""Related signals kept for each signal (pages show fewer)."""
RELATED_FLOOR = 0.42
"""Least cosine of two signals that share no force, when their notes also share a keyword (the second evidence)."""
RELATED_SURE = 0.60
"""Least cosine of two signals that share no force and whose notes share no keyword (judged on the real notes:
half of such pairs below it were unrelated, nine in ten with a shared keyword were related)."""
SHARED_FLOOR = 0.15
"""Least cosine for two signals that share a fine force (the shared force is most of the evidence)."""
BROAD_FLOOR = 0.25
"""Least cosine for two signals that share only a broad force (a broad force is wider: meaning must agree)."""
ROUNDING = 1e-4
"""More than rounding a cosine to four places can add: a cosine this far below every floor is dropped unrounded."""
WIDE_FORCE_SHARE = 0.02
WIDE_FORCE_MIN = 10
"""A fine force holding more signals than both (a share of all signals, a count) is no evidence of relatedness on
its own: a vague force many notes name ("Technological advancements") relates signals no more than meaning alone
(judged on the real notes: half of its pairs were unrelated, where pairs of narrower forces mostly were)."""
CANDIDATES = 32
"""Nearest signals of other notes considered for each signal (with its nearest fellows in its fine forces)."""
EXACT_UP_TO = 8192
"""Up to this many signals, every pair is compared; beyond, clusters of signals (see `nearest`)."""
PROBE = 5
"""Clusters (of about √n signals each) whose signals a signal is compared with, its own included."""
KMEANS_ROUNDS = 6
"""Rounds of k-means that make the clusters."""
BLOCK_CELLS = 1 << 24
"""Cosines computed at once (rows × all signals, float32: 64 MB), so memory stays bounded at any size."""
MEANING_COLUMNS = ("signal", "change", "horizon", "driving_force")
"""The cells whose meaning together is a signal's meaning."""
MEANING_WEIGHTS = (2.0, 1.0, 1.0, 1.0)
"""How much each of MEANING_COLUMNS counts: the signal's own text twice (what it is about), the rest once."""

Related = tuple[str, float, tuple[str, ...]]
"""A related signal as `KnowledgeBase.related` holds it: its id, its score (cosine), the reasons why."""


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


class _ByTerms:
    """Related signals without a meaning model: shared forces, forces worded alike, then keywords and themes.

    Shared forces count most (rarer forces weigh more; in a force of more than FORCE_CAP signals only the
    NEIGHBOURS on each side count), then forces worded alike, then keywords and themes of the two notes.
    """

    def __init__(self, kb: KnowledgeBase, limit: int) -> None:
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


def _reasons(
    labels: Mapping[str, str],
    own: list[str],
    theirs: list[str],
    their_note: str,
    mine: Mapping[str, tuple[float, tuple[str, ...]]],
    similar: Mapping[str, list[tuple[str, float]]],
) -> tuple[str, ...]:
    """Why two signals are related: the forces they share (else forces worded alike), then keywords and themes."""
    reasons = ["same driving force: " + labels[f] for f in own if f in theirs]
    if not reasons:
        reasons = [f"{labels[f]} ≈ {labels[like]}" for f in own for like, _ in similar.get(f, ())[:2] if like in theirs]
    terms = mine.get(their_note)
    return (*reasons, *terms[1])[:4] if terms else tuple(reasons[:4])


def signal_texts(signal: Signal) -> tuple[str, ...]:
    """The texts whose meaning is a signal's: its signal, change, horizon and driving force cells."""
    return tuple(signal.cells[column].text if column in signal.cells else "" for column in MEANING_COLUMNS)


def signal_vectors(signals: Sequence[Signal], model: Embedder) -> np.ndarray:
    """One unit row per signal: the weighted mean of its cells' vectors (MEANING_WEIGHTS; empty cells count nothing)."""
    texts = [text for signal in signals for text in signal_texts(signal)]
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    rows = model.embed(texts)
    weights = np.asarray(MEANING_WEIGHTS, dtype=np.float32)[None, :, None]
    rows = (rows.reshape(len(signals), len(MEANING_COLUMNS), rows.shape[1]) * weights).sum(axis=1)
    return unit_rows(rows)


def nearest(vectors: np.ndarray, groups: np.ndarray, k: int, block: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `k` nearest rows of other groups, best first: exact up to EXACT_UP_TO rows, else by clusters.

    Beyond EXACT_UP_TO rows, all pairs cost too much (60,000² cosines): rows are put in clusters (k-means
    on the unit sphere, a fixed start, so the same rows give the same clusters) and each cluster's rows
    are compared with the rows of its PROBE nearest clusters only.
    """
    n = len(vectors)
    if n <= EXACT_UP_TO:
        return nearest_exact(vectors, vectors, groups, groups, k, block)
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    count = max(2, round(math.sqrt(n)))
    centroids = matrix[np.linspace(0, n - 1, count).astype(np.int64)].copy()
    for _ in range(KMEANS_ROUNDS):
        label = _assign(matrix, centroids)
        order = np.argsort(label, kind="stable")
        sizes = np.bincount(label, minlength=count)
        filled = sizes > 0
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[filled]
        centroids[filled] = unit_rows(np.add.reduceat(matrix[order], starts, axis=0))
    label = _assign(matrix, centroids)
    near = np.argsort(-(centroids @ centroids.T), axis=1, kind="stable")[:, :PROBE]
    k = max(0, min(k, n))
    index = np.full((n, k), -1, dtype=np.int64)
    score = np.full((n, k), -np.inf, dtype=np.float32)
    members = [np.flatnonzero(label == c) for c in range(count)]
    for c in range(count):
        rows = members[c]
        if len(rows) == 0:
            continue
        pool = np.sort(np.concatenate([members[o] for o in near[c]]))
        found, sims = nearest_exact(matrix[rows], matrix[pool], groups[rows], groups[pool], k, block)
        found = np.where(found >= 0, pool[np.maximum(found, 0)], -1)
        index[rows, : found.shape[1]], score[rows, : found.shape[1]] = found, sims
    return index, score


def _assign(matrix: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each row's nearest centroid, BLOCK_CELLS cosines at a time."""
    out = np.empty(len(matrix), dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(1, len(centroids)))
    for start in range(0, len(matrix), step):
        out[start : start + step] = np.argmax(matrix[start : start + step] @ centroids.T, axis=1)
    return out


def nearest_exact(
    queries: np.ndarray, vectors: np.ndarray, query_groups: np.ndarray, groups: np.ndarray, k: int, block: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Each query row's `k` nearest rows of `vectors` in other groups by cosine: (indexes, cosines), best first.

    Rows of one group (a note) are never each other's neighbours. Computed by matrix products over `block`
    rows at a time (by default as many as BLOCK_CELLS allows), the best `k` of each row by `argpartition`.
    A row with fewer than `k` rows of other groups gets -1 indexes (and -inf cosines) at the end.
    """
    n, q = len(vectors), len(queries)
    block = block or max(16, min(1024, BLOCK_CELLS // max(1, n)))
    k = max(0, min(k, n))
    index = np.full((q, k), -1, dtype=np.int64)
    score = np.full((q, k), -np.inf, dtype=np.float32)
    if k == 0:
        return index, score
    members: dict[int, np.ndarray] = {}
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for chunk in np.split(order, bounds):
        members[int(groups[chunk[0]])] = chunk
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    asked = np.ascontiguousarray(queries, dtype=np.float32)
    for start in range(0, q, block):
        stop = min(q, start + block)
        sims = asked[start:stop] @ matrix.T
        np.negative(sims, out=sims)  # smallest first: argpartition without a copy
        for row in range(start, stop):
            mine = members.get(int(query_groups[row]))
            if mine is not None:
                sims[row - start, mine] = np.inf
        top = np.argpartition(sims, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (stop - start, 1))
        picked = np.take_along_axis(sims, top, axis=1)
        ranked = np.lexsort((top, picked), axis=1)  # closest first, ties by row: the same in any order
        top = np.take_along_axis(top, ranked, axis=1)
        picked = -np.take_along_axis(picked, ranked, axis=1)
        top[~np.isfinite(picked)] = -1
        index[start:stop], score[start:stop] = top, picked
    return index, score


def _within_forces(
    vectors: np.ndarray, forces: Sequence[Sequence[int]], groups: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each signal, the `k` nearest signals of other notes sharing one of its forces (fine or broad): pairs
    (signal rows, their rows, cosines), force after force."""
    mine: list[np.ndarray] = []
    theirs: list[np.ndarray] = []
    cosines: list[np.ndarray] = []
    for members in forces:
        if len(members) < 2:
            continue
        rows = np.asarray(members, dtype=np.int64)
        found, sims = nearest(vectors[rows], groups[rows], k)
        valid = found >= 0
        mine.append(np.repeat(rows, valid.sum(axis=1)))
        theirs.append(rows[found[valid]])
        cosines.append(sims[valid])
    if not mine:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(mine), np.concatenate(theirs), np.concatenate(cosines)


def _sharing(
    first: np.ndarray, second: np.ndarray, sets: Sequence[frozenset[str]], where: np.ndarray | None = None
) -> np.ndarray:
    """For each pair of rows (`first[p]`, `second[p]`), True when their `sets` meet (only where `where` is True)."""
    if where is not None:
        out = np.zeros(len(first), dtype=bool)
        out[where] = _sharing(first[where], second[where], sets)
        return out
    index: dict[str, int] = {}
    values = np.fromiter((index.setdefault(x, len(index)) for s in sets for x in sorted(s)), dtype=np.int64)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    width = max(1, len(index))

    def exploded(rows: np.ndarray) -> np.ndarray:  # pair number * width + member, for each member of each pair's set
        lengths = offsets[rows + 1] - offsets[rows]
        pair = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
        within = np.arange(len(pair), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keys: np.ndarray = pair * width + values[np.repeat(offsets[rows], lengths) + within]
        return keys

    keys = np.sort(np.concatenate([exploded(first), exploded(second)]))
    out = np.zeros(len(first), dtype=bool)
    out[keys[1:][keys[1:] == keys[:-1]] // width] = True  # a set holds a member once: twice means both hold it
    return out


def related_by_meaning(kb: KnowledgeBase, model: Embedder, limit: int = RELATED_KEPT) -> dict[str, tuple[Related, ...]]:
    """Every signal's most related signals of other notes, by meaning (see `related_index`).

    Candidate pairs (a signal's nearest fellows in its forces, then its nearest signals, the last cosine of a
    pair kept) are ranked as arrays: by tier, cosine rounded to four places, then the other signal's id.
    """
    signals = kb.signals
    if not signals:
        return {}
    n = len(signals)
    vectors = signal_vectors(signals, model)
    note_number = {note_id: i for i, note_id in enumerate(dict.fromkeys(s.note_id for s in signals))}
    groups = np.fromiter((note_number[s.note_id] for s in signals), dtype=np.int64, count=n)
    position = {s.id: i for i, s in enumerate(signals)}
    fine: list[frozenset[str]] = []
    narrow: list[frozenset[str]] = []
    broad: list[frozenset[str]] = []
    wide = max(WIDE_FORCE_MIN, WIDE_FORCE_SHARE * n)
    for s in signals:
        own = [link.force_id for link in s.forces if link.force_id in kb.forces_by_id]
        fine.append(frozenset(own))
        narrow.append(frozenset(f for f in own if len(kb.forces_by_id[f].signal_ids) <= wide))
        broad.append(frozenset(b for f in own for b in kb.forces_by_id[f].broader))
    members = [[position[s] for s in f.signal_ids if s in position] for f in kb.forces]
    near_i, near_j, near_cos = _within_forces(vectors, members, groups, limit)
    found, sims = nearest(vectors, groups, CANDIDATES)
    valid = found >= 0
    first = np.concatenate([near_i, np.repeat(np.arange(n, dtype=np.int64), valid.sum(axis=1))])
    second = np.concatenate([near_j, found[valid]])
    cosine = np.concatenate([near_cos, sims[valid]]).astype(np.float64)
    # one candidate per pair: the last cosine written (the nearest signals' over the forces' fellows)
    pair = first * n + second
    order = np.argsort(pair, kind="stable")
    ranked = pair[order]
    ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True)) if len(pair) else order
    last = order[ends]  # the last of each run of one pair
    first, second, cosine = first[last], second[last], cosine[last]
    keep = cosine >= min(SHARED_FLOOR, BROAD_FLOOR, RELATED_FLOOR, RELATED_SURE) - ROUNDING  # no floor met below
    first, second = first[keep], second[keep]
    cosine = np.round(cosine[keep], 4)  # as round(x, 4): x * 10,000 is exact for a float32's value
    words = _Words(kb)
    terms = [frozenset(kb.notes_by_id[s.note_id].keyword_ids) - words.common for s in signals]
    tier = np.full(len(first), 2, dtype=np.int64)
    tier[_sharing(first, second, broad)] = 1
    tier[_sharing(first, second, narrow)] = 0
    floor = np.where(tier == 0, SHARED_FLOOR, np.where(tier == 1, BROAD_FLOOR, RELATED_SURE))
    doubtful = (tier == 2) & (cosine >= RELATED_FLOOR) & (cosine < RELATED_SURE)
    floor[_sharing(first, second, terms, doubtful)] = RELATED_FLOOR
    keep = cosine >= floor
    first, second, cosine, tier = first[keep], second[keep], cosine[keep], tier[keep]
    id_rank = np.empty(n, dtype=np.int64)
    id_rank[sorted(range(n), key=lambda k: signals[k].id)] = np.arange(n)
    order = np.lexsort((id_rank[second], -cosine, tier, first))
    first, second, cosine = first[order], second[order], cosine[order]
    starts = np.searchsorted(first, np.arange(n + 1))
    out: dict[str, tuple[Related, ...]] = {}
    for i, signal in enumerate(signals):
        begin = int(starts[i])
        end = min(int(starts[i + 1]), begin + limit)
        out[signal.id] = tuple(
            (
                signals[j].id,
                c,
                words.reasons(signal, signals[j], fine[i] & fine[j], broad[i] & broad[j], c),
            )
            for j, c in zip(second[begin:end].tolist(), cosine[begin:end].tolist(), strict=True)
        )
    return out


class _Words:
    """Reasons in words, each string made once (the knowledge base pickles them once)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.labels = {f.id: f.label for f in kb.forces}
        self.kb = kb
        self.terms = {t.id: t.label for t in kb.keywords}
        self.common = {t.id for t in kb.keywords if len(t.note_ids) > TERM_CAP}
        self._made: dict[str, str] = {}
        self._forces: dict[tuple[frozenset[str], frozenset[str]], tuple[str, ...]] = {}
        self._close: dict[float, str] = {}
        self._keyword_sets: dict[str, frozenset[str]] = {}

    def _once(self, text: str) -> str:
        return self._made.setdefault(text, text)

    def reasons(
        self, mine: Signal, theirs: Signal, fine: frozenset[str], broad: frozenset[str], cosine: float
    ) -> tuple[str, ...]:
        """Why: the driving forces they share (else the broader forces), how close, the keywords of both notes.

        The forces' part and the closeness are made once per distinct input: a large knowledge base asks for
        hundreds of thousands of reasons made of far fewer parts.
        """
        forces = self._forces.get((fine, broad))
        if forces is None:
            labels = self.labels
            out = [self._once("same driving force: " + labels[f]) for f in sorted(fine, key=lambda f: labels[f])][:2]
            if not out:
                out = [self._once("same broader force: " + labels[b]) for b in sorted(broad, key=lambda b: labels[b])][
                    :1
                ]
            forces = self._forces[(fine, broad)] = tuple(out)
        close = self._close.get(cosine)
        if close is None:
            close = self._close[cosine] = self._once(f"close in meaning ({cosine:.2f})")
        b = self._keyword_sets.get(theirs.note_id)
        if b is None:
            b = self._keyword_sets[theirs.note_id] = frozenset(self.kb.notes_by_id[theirs.note_id].keyword_ids)
        shared = [k for k in self.kb.notes_by_id[mine.note_id].keyword_ids if k in b and k in self.terms][:2]
        return (*forces, close, *(self._once("shared keyword: " + self.terms[k]) for k in shared))


def related_index(
    kb: KnowledgeBase, model: Embedder | None, limit: int = RELATED_KEPT
) -> dict[str, tuple[Related, ...]]:
    """Every signal's most related signals of other notes, best first, as `KnowledgeBase.related` holds them.

    With a model: by meaning. Each signal is a vector (its signal, change, horizon and driving force
    together); its candidates are its CANDIDATES nearest signals of other notes and its nearest fellows in
    each of its forces. Signals sharing a fine force come first (kept from SHARED_FLOOR; a force wider than
    WIDE_FORCE_SHARE does not count), then those sharing a broad force (from BROAD_FLOOR), then the rest
    (from RELATED_FLOOR when their notes share a keyword, else from RELATED_SURE), each by closeness. Without a model:
    by shared forces and the keywords and themes of the notes (`_ByTerms`).
    """
    if model is not None:
        return related_by_meaning(kb, model, limit)
    ranking = _ByTerms(kb, limit)
    return {s.id: tuple((r.id, r.score, r.reasons) for r in ranking.of(s.id)) for s in kb.signals}


class RelatedSignals:
    """For each signal, the signals of other notes most related to it: `kb.related`, cut at `limit`.

    A knowledge base made without `related` (by hand, in tests) gets them by terms, computed when asked for.
    """

    def __init__(self, kb: KnowledgeBase, limit: int = 5) -> None:
        self.kb = kb
        self.limit = limit
        self._by_terms: _ByTerms | None = None

    def of(self, sid: str) -> list[RelatedSignal]:
        """The most related signals of other notes, best first."""
        found = self.kb.related.get(sid)
        if found is not None:
            return [RelatedSignal(other, score, reasons) for other, score, reasons in found[: self.limit]]
        if self._by_terms is None:
            self._by_terms = _ByTerms(self.kb, self.limit)
        return self._by_terms.of(sid)


def related_signals(kb: KnowledgeBase, limit: int = 5) -> dict[str, list[RelatedSignal]]:
    """Every signal's most related signals (see RelatedSignals)."""
    index = RelatedSignals(kb, limit)
    return {s.id: index.of(s.id) for s in kb.signals}


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
