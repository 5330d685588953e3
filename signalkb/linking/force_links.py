"""Linking, the force part: forces worded alike (related, near-duplicates), `distinct:` declarations, warnings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from signalkb.core.diagnostics import Diagnostic, SourceLocation, warning
from signalkb.core.model import Force, ForcePair, KnowledgeBase
from signalkb.core.slugs import name_key
from signalkb.forces.concepts import Concept, reduce_part
from signalkb.forces.matching import ForceResolver, Taxonomy
from signalkb.forces.similar import ForceWords, near_duplicate_groups, similar_pairs


@dataclass(frozen=True)
class KeyedForce:
    """A force and the resolver key it was made from."""

    key: str
    force: Force


def _concepts(force: Force, resolver: ForceResolver) -> tuple[Concept, ...]:
    names = [force.label, *force.aliases, *force.phrases]
    out: dict[tuple[str, ...], Concept] = {}
    for name in names:
        concept = reduce_part(name, resolver.lemma)
        if concept is not None and not concept.generic:
            out.setdefault(concept.key, concept)
    return tuple(out.values())


def similar_forces(
    keyed: Sequence[KeyedForce], taxonomy: Taxonomy, resolver: ForceResolver
) -> tuple[list[ForcePair], list[Diagnostic]]:
    """Pairs of forces worded alike (similar.py), with the pairs forces.yaml declares distinct marked."""
    forces = [k.force for k in keyed if k.force.signal_ids]
    words = [ForceWords(f.id, _concepts(f, resolver), f.declared) for f in forces]
    by_name: dict[str, str] = {}
    by_concept: dict[tuple[str, ...], str] = {}
    for force, force_words in zip(forces, words, strict=True):
        for name in (force.id, force.label, *force.aliases, *force.phrases):
            by_name.setdefault(name_key(name), force.id)
        for concept in force_words.concepts:
            by_concept.setdefault(concept.key, force.id)
    ids = {k.key: k.force.id for k in keyed}
    distinct: set[frozenset[str]] = set()
    diagnostics: list[Diagnostic] = []
    for force_def in taxonomy.forces:
        for entry in force_def.distinct:
            entry_concept = reduce_part(entry, resolver.lemma)
            target = by_name.get(name_key(entry)) or (by_concept.get(entry_concept.key) if entry_concept else None)
            if target is None:
                diagnostics.append(
                    warning(
                        f"`distinct` entry {entry!r} of force {force_def.label!r} names no force of the notes",
                        SourceLocation(taxonomy.path, force_def.line),
                        "give the label of a force, or a phrase as the notes write it",
                    )
                )
            elif target != ids.get(force_def.id, force_def.id):
                distinct.add(frozenset((ids.get(force_def.id, force_def.id), target)))
    return similar_pairs(words, distinct), diagnostics


def near_duplicate_warnings(kb: KnowledgeBase) -> list[Diagnostic]:
    """One warning per group of near-duplicate forces that is neither merged nor declared distinct."""
    out: list[Diagnostic] = []
    best: dict[frozenset[str], float] = {frozenset((p.a, p.b)): p.score for p in kb.similar_forces}
    for group in near_duplicate_groups(kb.similar_forces):
        forces = sorted((kb.forces_by_id[i] for i in group), key=lambda f: (-len(f.signal_ids), f.label, f.id))
        main, rest = forces[0], forces[1:]
        first = kb.signals_by_id[rest[0].signal_ids[0]]
        scores = [best.get(frozenset((main.id, f.id)), 0.0) for f in rest]
        listed = ", ".join(f"“{f.label}”" for f in rest)
        out.append(
            warning(
                f"driving forces {listed} are worded like “{main.label}” (similarity {max(scores):.2f}) "
                "but are not merged",
                first.loc,
                "merge them (aliases in forces.yaml) or declare them `distinct:`; "
                "`python build.py forces` prints a snippet to paste",
            )
        )
    return out
