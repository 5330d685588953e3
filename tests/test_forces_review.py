"""The review in `build.py forces`: placements, fine forces with no broad home, merges, and snippets that parse."""

from __future__ import annotations

import json

import pytest

from signalkb.core.model import Force, KnowledgeBase, Merged, Placed
from signalkb.forces.report import format_report, make_report, merge_snippet, pin_snippet
from signalkb.forces.taxonomy import parse_taxonomy

from .conftest import Project, native_note, run_cli

AWKWARD = [
    "Cost of living",
    "Wages, prices: and [more]",
    "#1 priority",
    'He said "no"',
    "2024",
    "yes",
    "- dash",
    "x: y",
]


def forces_yaml(lines: list[str], broad: str = "") -> str:
    body = "\n".join(line[4:] for line in lines if not line.lstrip().startswith("#"))
    extra = f"broad:\n  - label: {json.dumps(broad)}\n    examples: [an example]\n" if broad else ""
    return f"forces:\n{body}\n{extra}"


def kb_with(label: str, declared: bool = False) -> KnowledgeBase:
    broad = Force("broad/b", "Money: and prices, [all]", (), (), level="broad", children=("f",), declared=True)
    fine = Force("f", label, (), (), declared=declared, broader=("broad/b",))
    merged = Merged("f", label + " too", 0.71, "broad/b")
    return KnowledgeBase(
        (),
        (),
        (fine, broad),
        forces_by_id={"f": fine, "broad/b": broad},
        placements={"f": (Placed("broad/b", 0.66, "meaning", "an example", ""),)},
        merges=(merged,),
    )


@pytest.mark.parametrize("label", AWKWARD)
def test_snippets_parse_as_forces_yaml(label: str) -> None:
    kb = kb_with(label)
    fine, broad = kb.forces
    pin = pin_snippet(fine, broad)
    for line in [x for x in pin if x.startswith("    - ")]:
        taxonomy, problems = parse_taxonomy(forces_yaml([line], broad.label), "forces.yaml")
        assert not [p for p in problems if p.is_error], (line, problems)
        assert taxonomy.forces[0].label == label
        assert taxonomy.forces[0].broader in ((broad.label,), ())
    merge = merge_snippet(kb, kb.merges[0])
    split_at = next(i for i, x in enumerate(merge) if "keep it apart" in x)
    confirm, _ = parse_taxonomy(forces_yaml(merge[:split_at]), "forces.yaml")
    assert confirm.forces[0].label == label and confirm.forces[0].aliases == (label + " too",)
    split, problems = parse_taxonomy(forces_yaml(merge[split_at:]), "forces.yaml")
    assert not [p for p in problems if p.is_error] and split.forces[0].label == label + " too"


def test_report_has_the_review_sections() -> None:
    text = format_report(make_report(kb_with("Cost of living")), 40)
    assert "Broad forces and the fine forces placed under them: 1 broad forces, 1 fine forces placed" in text
    assert "“Cost of living”  0 signals  (0.66 meaning, closest to “an example”)" in text
    assert "Fine forces with no broad home (most signals first): 0" in text
    assert "Wordings merged into a force by meaning (least certain first): 1" in text
    assert "“Cost of living too” → “Cost of living”  (similarity 0.71, both under “Money: and prices, [all]”)" in text


def test_long_lists_are_cut_and_strict_ignores_automatic_merges(project: Project) -> None:
    words = [
        "Quantum sailing",
        "Medieval pottery",
        "Jazz theory",
        "Bee keeping",
        "Glacier tourism",
        "Chess clubs",
        "Origami design",
        "Falconry",
        "Lighthouse keeping",
        "Cave diving",
        "Bonsai growing",
        "Kite fishing",
    ]
    rows = [(f"S{i}", "c", "h", w) for i, w in enumerate(words)]
    project.write({"a.md": native_note("A", rows=rows), "b.md": native_note("B", rows=[("T", "c", "h", "Other")])})
    run = run_cli("forces", "--content", "content", "--limit", "5", cwd=project.root)
    assert run.status == 0, run.err
    homeless = int(run.out.split("Fine forces with no broad home (most signals first): ")[1].split()[0])
    assert homeless > 5
    assert f"… and {homeless - 5} more (use --limit 0 to list all)" in run.out
    every = run_cli("forces", "--content", "content", "--limit", "0", "--strict", cwd=project.root)
    assert every.status == 0, every.err
    assert "Fine forces with no broad home" in every.out and "more (use --limit 0" not in every.out
