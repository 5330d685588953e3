"""The report of `python build.py forces`: forces by use, unshared phrases, near-duplicates to review, misspellings,
and the review of what was done by meaning: where each fine force was placed, fine forces with no broad home,
and wordings merged by meaning, least certain first.

Suggestions are never applied: near-duplicates come with a `forces.yaml` snippet to paste (merge them
as aliases, or declare them `distinct:`), likely misspellings of declared labels with a "did you mean",
placements with a snippet to pin (`broader: [...]`) or unplace (`broader: []`) them, and merges with a
snippet to confirm (an alias) or split (a force of its own) them. Automatic placements and merges are
not what `--strict` fails on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml
from rapidfuzz import fuzz, process

from signalkb.core import yamlsafe
from signalkb.core.model import Force, KnowledgeBase, Merged
from signalkb.core.slugs import name_key
from signalkb.forces.similar import misspelt, near_duplicate_groups

MISSPELLING_SCORE = 85.0
"""rapidfuzz `ratio` (0-100) from which an undeclared phrase is taken for a misspelt declared name."""
PER_BROAD = 10
"""Fine forces listed under each broad force (unless --limit 0)."""
_PLAIN_YAML = re.compile(r"^[\w][\w .,’'()/–—-]*$", re.UNICODE)


@dataclass(frozen=True)
class NearDuplicates:
    """A group of forces worded alike, neither merged nor declared distinct."""

    forces: tuple[Force, ...]
    """The group, the most used (or declared) force first."""
    score: float


@dataclass(frozen=True)
class Misspelling:
    """An undeclared force that is probably a misspelt label or alias of a declared force."""

    force: Force
    declared: Force
    name: str
    """The declared label or alias it resembles."""
    score: float


@dataclass
class ForceReport:
    """Everything the report prints."""

    kb: KnowledgeBase
    near_duplicates: list[NearDuplicates] = field(default_factory=list)
    misspellings: list[Misspelling] = field(default_factory=list)

    @property
    def unreviewed(self) -> int:
        """Near-duplicate groups and likely misspellings waiting for a decision (what `--strict` fails on)."""
        return len(self.near_duplicates) + len(self.misspellings)


def make_report(kb: KnowledgeBase) -> ForceReport:
    """Find likely misspellings of declared names, then the other near-duplicate groups."""
    report = ForceReport(kb)
    names: dict[str, tuple[Force, str]] = {}
    for force in kb.forces:
        if force.declared:
            for name in (force.label, *force.aliases):
                names.setdefault(name_key(name), (force, name))
    choices = sorted(names)
    for force in kb.forces:
        if force.declared or not choices or not force.signal_ids:
            continue
        for wording in dict.fromkeys((force.label, *force.phrases)):
            key = name_key(wording)
            found = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=MISSPELLING_SCORE)
            if found is not None and found[0] != key and misspelt(key.split(), found[0].split()):
                declared, name = names[found[0]]
                report.misspellings.append(Misspelling(force, declared, name, round(found[1] / 100, 2)))
                break
    explained = {frozenset((m.force.id, m.declared.id)) for m in report.misspellings}
    pairs = [p for p in kb.similar_forces if frozenset((p.a, p.b)) not in explained]
    scores = {frozenset((p.a, p.b)): p.score for p in pairs}
    for group in near_duplicate_groups(pairs):
        forces = sorted(
            (kb.forces_by_id[i] for i in group), key=lambda f: (not f.declared, -len(f.signal_ids), f.label, f.id)
        )
        best = max(scores.get(frozenset((a.id, b.id)), 0.0) for a in forces for b in forces if a.id < b.id)
        report.near_duplicates.append(NearDuplicates(tuple(forces), best))
    return report


def _reads_back(text: str) -> bool:
    """True when `k: text` is YAML for the string `text` (not a date, number, or an invalid value)."""
    try:
        return bool(yamlsafe.load(f"k: {text}") == {"k": text})
    except (yaml.YAMLError, ValueError):
        return False


def _yaml(text: str) -> str:
    """`text` as a YAML scalar: plain when safe, else double-quoted with escapes."""
    if _PLAIN_YAML.match(text) and not text.endswith(" ") and _reads_back(text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(ch if ch.isprintable() else f"\\U{ord(ch):08x}" for ch in quoted)


def _where(kb: KnowledgeBase, force: Force) -> str:
    if not force.signal_ids:
        return ""
    loc = kb.signals_by_id[force.signal_ids[0]].loc
    return f"{loc.path}:{loc.line}" if loc.line else loc.path


def _snippet(group: NearDuplicates) -> list[str]:
    main, rest = group.forces[0], group.forces[1:]
    wordings = list(
        dict.fromkeys(w for f in rest for w in (f.label, *f.phrases) if name_key(w) != name_key(main.label))
    )
    lines = ["    # if they are one force, add to content/forces.yaml:"]
    if main.declared:
        lines.append(f"    #   (under the existing force “{main.label}”, id {main.id})")
    lines += [f"    - label: {_yaml(main.label)}", "      aliases:"]
    lines += [f"        - {_yaml(w)}" for w in wordings]
    lines += ["    # if they are different forces, say so instead:", f"    - label: {_yaml(main.label)}"]
    lines.append("      distinct: [" + ", ".join(_yaml(f.label) for f in rest) + "]")
    return lines


def format_report(report: ForceReport, limit: int = 40) -> str:
    """The report as text (`limit` lines at most per list; 0 for no limit)."""
    kb = report.kb
    used = [f for f in kb.forces if f.signal_ids]
    shared = [f for f in used if len(f.note_ids) > 1]
    single = [f for f in used if len(f.signal_ids) == 1]
    declared = sum(1 for f in kb.forces if f.declared)
    no_force = sum(1 for s in kb.signals if not s.forces)
    out = [
        f"{len(kb.forces)} driving forces ({declared} declared in forces.yaml, {len(kb.forces) - declared} found in "
        f"the notes); {len(shared)} shared by two or more notes; {len(kb.signals)} signals, {no_force} without a force",
        "",
        "Forces by signal count:",
    ]
    ranked = [f for f in used if len(f.signal_ids) > 1]
    out += _cut([_force_line(f) for f in ranked], limit)
    if not ranked:
        out.append("  (no force is named by two signals)")
    out += ["", f"Unshared phrases (named by one signal only): {len(single)}"]
    out += _cut([f"  {_where(kb, f)}  “{(f.phrases or (f.label,))[0]}”" for f in single], limit)
    out += ["", f"Near-duplicates to review (merge, or declare distinct): {len(report.near_duplicates)}"]
    for number, group in enumerate(report.near_duplicates[: limit or None], 1):
        out.append(f"  group {number} (similarity {group.score:.2f}):")
        out += [f"    “{f.label}”  {_counts(f)}  {_where(kb, f)}" for f in group.forces]
        out += _snippet(group)
    if limit and len(report.near_duplicates) > limit:
        out.append(f"  … and {len(report.near_duplicates) - limit} more groups")
    out += ["", f"Did you mean (phrases that look like a misspelt declared force): {len(report.misspellings)}"]
    out += _cut(
        [
            f"  {_where(kb, m.force)}  “{m.force.phrases[0] if m.force.phrases else m.force.label}” → did you mean "
            f"“{m.name}” (force “{m.declared.label}”, similarity {m.score:.2f})? Fix the note, or add it as an alias."
            for m in report.misspellings
        ],
        limit,
    )
    out += _placements(kb, limit)
    out += _homeless(kb, limit)
    out += _merges(kb, limit)
    return "\n".join(out) + "\n"


def _declare(force: Force) -> list[str]:
    """The first line(s) of a forces.yaml entry for `force`, saying so when it is declared already."""
    lines = [f"    #   (under the existing force “{force.label}”, id {force.id})"] if force.declared else []
    return [*lines, f"    - label: {_yaml(force.label)}"]


def _flow(text: str) -> str:
    """`text` as a YAML scalar inside `[...]` or `{...}`: quoted when it holds a flow indicator."""
    plain = _yaml(text)
    if plain == text and any(ch in text for ch in ",[]{}#:"):
        return json.dumps(text, ensure_ascii=False)
    return plain


def pin_snippet(force: Force, broad: Force) -> list[str]:
    """forces.yaml lines that keep `force` under `broad` whatever its meaning says, or under no broad force."""
    label = _flow(force.label)
    known = f" (it is declared already, id {force.id}: add `broader:` to it)" if force.declared else ""
    return [
        f"    # to keep “{force.label}” here, or under no broad force, add one line to forces.yaml "
        f"(under forces:){known}:",
        f"    - {{label: {label}, broader: [{_flow(broad.label)}]}}",
        f"    - {{label: {label}, broader: []}}",
    ]


def merge_snippet(kb: KnowledgeBase, merged: Merged) -> list[str]:
    """forces.yaml lines that confirm a merge by meaning (the wording as an alias) or split it (a force of its own)."""
    force = kb.forces_by_id[merged.force_id]
    return [
        "    # to confirm, add to content/forces.yaml (under forces:):",
        *_declare(force),
        "      aliases:",
        f"        - {_yaml(_wording(merged))}",
        "    # to keep it apart, declare it as a force of its own instead:",
        f"    - label: {_yaml(_wording(merged))}",
    ]


def _wording(merged: Merged) -> str:
    """The wording that was merged, as the notes write it (never an internal concept key)."""
    return merged.wording.removeprefix("concept:")


def _placements(kb: KnowledgeBase, limit: int) -> list[str]:
    broad = sorted((f for f in kb.forces if f.broad), key=lambda f: (-len(f.signal_ids), f.label.casefold(), f.id))
    placed = sum(1 for f in kb.forces if not f.broad and f.broader)
    out = [
        "",
        f"Broad forces and the fine forces placed under them: {len(broad)} broad forces, {placed} fine forces placed",
    ]
    for force in broad:
        kids = []
        for kid_id in force.children:
            kid = kb.forces_by_id.get(kid_id)
            how = next((p for p in kb.placements.get(kid_id, ()) if p.broad_id == force.id), None)
            if kid is not None:
                kids.append((how.score if how else 1.0, kid, how))
        kids.sort(key=lambda k: (-len(k[1].signal_ids), k[0], k[1].label.casefold()))
        out.append(f"  {force.label}  ({len(force.signal_ids)} signals, {len(kids)} fine forces)")
        lines = []
        for score, kid, how in kids:
            why = f"{score:.2f} {how.how}" if how else "declared"
            if how and how.example:
                why += f", closest to “{how.example}”"
            if how and how.word:
                why += f", shares “{how.word}”"
            lines.append(f"    “{kid.label}”  {len(kid.signal_ids)} signals  ({why})")
        out += _cut(lines, min(limit, PER_BROAD) if limit else 0, "    ")
        doubtful = min(
            (k for k in kids if k[2] is not None and k[2].how != "declared"), key=lambda k: k[0], default=None
        )
        if doubtful is not None:
            out += pin_snippet(doubtful[1], force)
    return out


def _homeless(kb: KnowledgeBase, limit: int) -> list[str]:
    fine = [f for f in kb.forces if not f.broad and f.signal_ids and not f.broader]
    fine.sort(key=lambda f: (-len(f.signal_ids), -len(f.note_ids), f.label.casefold(), f.id))
    out = ["", f"Fine forces with no broad home (most signals first): {len(fine)}"]
    out += _cut([f"  {len(f.signal_ids):4} signals {len(f.note_ids):4} notes  {f.label}" for f in fine], limit)
    broad = next((f for f in kb.forces if f.broad), None)
    if fine and broad is not None:
        out += [
            "    # to place one under a broad force, add to content/forces.yaml (under forces:), e.g.:",
            *_declare(fine[0]),
            f"      broader: [{_yaml(broad.label)}]",
        ]
    return out


def _merges(kb: KnowledgeBase, limit: int) -> list[str]:
    out = ["", f"Wordings merged into a force by meaning (least certain first): {len(kb.merges)}"]
    shown = kb.merges[: limit or None]
    for merged in shown:
        force = kb.forces_by_id.get(merged.force_id)
        if force is None:
            continue
        broad = kb.forces_by_id.get(merged.broad_id)
        under = f", both under “{broad.label}”" if broad is not None else ""
        out.append(f"  “{_wording(merged)}” → “{force.label}”  (similarity {merged.score:.2f}{under})")
        out += merge_snippet(kb, merged)
    if limit and len(kb.merges) > limit:
        out.append(f"  … and {len(kb.merges) - limit} more (use --limit 0 to list all)")
    return out


def _counts(force: Force) -> str:
    s, n = len(force.signal_ids), len(force.note_ids)
    kind = "declared" if force.declared else "found in notes"
    return f"{s} signal{'s' if s != 1 else ''}, {n} note{'s' if n != 1 else ''}, {kind}"


def _force_line(force: Force) -> str:
    tags = [t for t in (force.category, "declared" if force.declared else "") if t]
    tag = f"  [{', '.join(tags)}]" if tags else ""
    return f"  {len(force.signal_ids):4} signals {len(force.note_ids):4} notes  {force.label}{tag}"


def _cut(lines: Sequence[str], limit: int, indent: str = "  ") -> list[str]:
    if not limit or len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"{indent}… and {len(lines) - limit} more (use --limit 0 to list all)"]
