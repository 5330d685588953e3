"""Force ids that outlive edits: a force keeps its published id when a published force had the same resolver key,
else the same label, else at least half of the same phrases; a declared `id:` in forces.yaml always wins."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from signalkb.core.ledger import LIVE, MOVED, ForceRecord
from signalkb.core.slugs import name_key, slugify


@dataclass(frozen=True)
class ForceCandidate:
    """A force as linking made it, before it has an id."""

    key: str
    label: str
    phrases: tuple[str, ...]
    declared_id: str | None = None
    """The id forces.yaml gives it (explicit: always used)."""
    line: int | None = None
    """Its line in forces.yaml, when declared."""


def claim(wanted: str, taken: set[str]) -> str:
    """`wanted`, or the first free `wanted-N`, marked taken."""
    slug, n = wanted, 2
    while slug in taken:
        slug = f"{wanted}-{n}"
        n += 1
    taken.add(slug)
    return slug


def assign_force_ids(
    old: Mapping[str, ForceRecord], forces: Sequence[ForceCandidate]
) -> tuple[list[str], dict[str, ForceRecord], list[tuple[str, int | None]]]:
    """Ids for `forces` (by resolver key), their records, and published ids a declaration took (with its line)."""
    ids: list[str | None] = [f.declared_id for f in forces]
    declared = {f.declared_id for f in forces if f.declared_id}
    used: set[str] = set(declared)
    taken_over: list[tuple[str, int | None]] = []
    for force in forces:
        record = old.get(force.declared_id or "")
        if force.declared_id and record is not None and not _same_force(record, force):
            taken_over.append((force.declared_id, force.line))
    tiers: tuple[tuple[Callable[[ForceRecord], str], Callable[[ForceCandidate], str]], ...] = (
        (lambda r: r.key, lambda f: f.key),
        (lambda r: name_key(r.label), lambda f: name_key(f.label)),
    )
    for key_of_record, key_of_force in tiers:
        index: dict[str, list[str]] = defaultdict(list)
        for rid, record in sorted(old.items()):
            if rid not in used:
                index[key_of_record(record)].append(rid)
        for i, force in enumerate(forces):
            if ids[i] is None:
                hit = next((r for r in index.get(key_of_force(force), []) if r not in used), None)
                if hit is not None:
                    ids[i] = hit
                    used.add(hit)
    _match_by_phrases(old, forces, ids, used)
    taken = set(old) | used
    for i, force in enumerate(forces):
        if ids[i] is None:
            ids[i] = claim(slugify(force.label), taken)
    final = [rid or "" for rid in ids]
    records = {
        rid: ForceRecord(force.label, force.key, _phrases(force)) for rid, force in zip(final, forces, strict=True)
    }
    return final, records, taken_over


def _phrase_index(records: Mapping[str, ForceRecord], live_only: bool) -> dict[str, list[str]]:
    """Phrase (as a name) → ids of the forces that have it, sorted."""
    index: dict[str, list[str]] = defaultdict(list)
    for rid in sorted(records):
        record = records[rid]
        if not live_only or record.state == LIVE:
            for key in {name_key(p) for p in record.phrases}:
                index[key].append(rid)
    return index


def _shared(phrases: Iterable[str], index: Mapping[str, list[str]]) -> Counter[str]:
    """How many of `phrases` each indexed force has."""
    counts: Counter[str] = Counter()
    for key in {name_key(p) for p in phrases}:
        counts.update(index.get(key, ()))
    return counts


def _match_by_phrases(
    old: Mapping[str, ForceRecord], forces: Sequence[ForceCandidate], ids: list[str | None], used: set[str]
) -> None:
    """Unmatched forces take the published (live) force with which they share the most phrases (at least half)."""
    index = _phrase_index(old, live_only=True)
    sizes = {rid: len({name_key(p) for p in r.phrases}) for rid, r in old.items()}
    pairs: list[tuple[int, int, str]] = []
    for i, force in enumerate(forces):
        if ids[i] is not None:
            continue
        mine = len({name_key(p) for p in force.phrases})
        for rid, shared in _shared(force.phrases, index).items():
            if rid not in used and 2 * shared >= min(mine, sizes[rid]):
                pairs.append((-shared, i, rid))
    for _neg, i, rid in sorted(pairs):
        if ids[i] is None and rid not in used:
            ids[i] = rid
            used.add(rid)


class Successors:
    """Finds the current force a retired force went to (merged): same label first, else most shared phrases."""

    def __init__(self, current: Mapping[str, ForceRecord]) -> None:
        self.labels: dict[str, str] = {}
        for rid in sorted(current):
            self.labels.setdefault(name_key(current[rid].label), rid)
        self.index = _phrase_index(current, live_only=False)

    def __call__(self, record: ForceRecord) -> str | None:
        """The id a retired force's URL should lead to, or None (it was removed)."""
        if record.state == MOVED:
            return None
        found = self.labels.get(name_key(record.label))
        if found is not None:
            return found
        counts = _shared(record.phrases, self.index)
        return min(counts, key=lambda rid: (-counts[rid], rid)) if counts else None


def _phrases(force: ForceCandidate | ForceRecord) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(force.phrases), key=lambda p: (name_key(p), p)))


def _same_force(record: ForceRecord, force: ForceCandidate) -> bool:
    if record.key == force.key or name_key(record.label) == name_key(force.label):
        return True
    return bool({name_key(p) for p in record.phrases} & {name_key(p) for p in force.phrases})
