"""The report of `python build.py forces`: forces by use, unshared phrases, near-duplicates to review, misspellings.

Suggestions are never applied: near-duplicates come with a `forces.yaml` snippet to paste (merge them
as aliases, or declare them `distinct:`), and likely misspellings of declared labels with a "did you mean".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml
from rapidfuzz import fuzz, process

from signalkb.core import yamlsafe
from signalkb.core.model import Force, KnowledgeBase
from signalkb.core.slugs import name_key
from signalkb.forces.similar import misspelt, near_duplicate_groups

MISSPELLING_SCORE = 85.0
"""rapidfuzz `ratio` (0-100) from which an undeclared phrase is taken for a misspelt declared name."""
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
    return "\n".join(out) + "\n"


def _counts(force: Force) -> str:
    s, n = len(force.signal_ids), len(force.note_ids)
    kind = "declared" if force.declared else "found in notes"
    return f"{s} signal{'s' if s != 1 else ''}, {n} note{'s' if n != 1 else ''}, {kind}"


def _force_line(force: Force) -> str:
    tags = [t for t in (force.category, "declared" if force.declared else "") if t]
    tag = f"  [{', '.join(tags)}]" if tags else ""
    return f"  {len(force.signal_ids):4} signals {len(force.note_ids):4} notes  {force.label}{tag}"


def _cut(lines: Sequence[str], limit: int) -> list[str]:
    if not limit or len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"  … and {len(lines) - limit} more (use --limit 0 to list all)"]
