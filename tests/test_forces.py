"""forces.py: forces.yaml is read with every problem reported at its line; phrases match labels and aliases."""

from __future__ import annotations

import textwrap

import pytest

from signalkb.core.diagnostics import Diagnostic
from signalkb.forces.matching import ForceResolver, Taxonomy, parse_taxonomy, phrase_label, split_phrases

from .conftest import Project, messages_matching, native_note

VALID = """\
categories: [social, technological, economic]
forces:
  - label: Open-source collaboration
    id: open-source-collaboration
    category: technological
    parent: Technological change
    description: Communities building shared tools and models in the open.
    aliases:
      - Innovation and collaboration in the open-source community
      - Wider research community collaboration
  - label: Technological change
    category: technological
  - label: Cost of living
    category: economic
    aliases: Household budgets under pressure
"""


def parse(text: str) -> tuple[Taxonomy, list[Diagnostic]]:
    return parse_taxonomy(textwrap.dedent(text), "content/forces.yaml")


def errors_at(diagnostics: list[Diagnostic]) -> list[tuple[int | None, str]]:
    return [(d.location.line if d.location else None, d.message) for d in diagnostics if d.is_error]


def test_valid_file() -> None:
    taxonomy, diagnostics = parse(VALID)
    assert diagnostics == []
    assert taxonomy.categories == ("social", "technological", "economic")
    by_id = {f.id: f for f in taxonomy.forces}
    assert list(by_id) == ["open-source-collaboration", "technological-change", "cost-of-living"]
    osc = by_id["open-source-collaboration"]
    assert osc.label == "Open-source collaboration"
    assert osc.category == "technological"
    assert osc.parent == "technological-change"  # the parent's label resolved to its id
    assert osc.description == "Communities building shared tools and models in the open."
    assert osc.aliases == (
        "Innovation and collaboration in the open-source community",
        "Wider research community collaboration",
    )
    assert osc.line == 3
    assert by_id["cost-of-living"].aliases == ("Household budgets under pressure",)  # one alias as a scalar


def test_empty_file_is_an_empty_taxonomy() -> None:
    taxonomy, diagnostics = parse("")
    assert taxonomy.forces == ()
    assert diagnostics == []


def test_parent_by_id() -> None:
    taxonomy, diagnostics = parse(
        """\
        forces:
          - label: Child
            parent: the-parent
          - label: The parent
        """
    )
    assert diagnostics == []
    assert {f.id: f.parent for f in taxonomy.forces} == {"child": "the-parent", "the-parent": None}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            """\
            forces:
              - label: Energy prices
              - label: Food prices
                id: energy-prices
            """,
            3,
            ["duplicate force id 'energy-prices'", "line 2"],
        ),
        (
            """\
            forces:
              - label: Energy prices
              - label: Energy  PRICES.
            """,
            3,
            ["duplicate force id 'energy-prices'"],
        ),
        (
            """\
            forces:
              - label: Energy prices
                aliases:
                  - Fuel costs
              - label: Food prices
                aliases:
                  - Grocery bills
                  - fuel-costs
            """,
            8,
            ["'fuel-costs'", "claimed by two forces", "'energy-prices'", "'food-prices'"],
        ),
        (
            """\
            forces:
              - label: Energy prices
              - label: Food prices
                aliases: [Energy prices]
            """,
            4,
            ["claimed by two forces"],
        ),
        (
            """\
            forces:
              - label: Food prices
                parent: Price shocks
            """,
            3,
            ["unknown parent force 'Price shocks'"],
        ),
        (
            """\
            forces:
              - label: A
                parent: B
              - label: B
                parent: C
              - label: C
                parent: A
            """,
            3,
            ["parent cycle", "a → b → c → a"],
        ),
        (
            """\
            forces:
              - label: Self
                parent: self
            """,
            3,
            ["parent cycle"],
        ),
        (
            """\
            categories: [social, economic]
            forces:
              - label: Food prices
                category: economics
            """,
            4,
            ["unknown category 'economics'"],
        ),
        (
            """\
            forces:
              - id: nameless
                description: no label here
            """,
            2,
            ["force has no `label`"],
        ),
        (
            """\
            forces:
              - label: Food prices
                aliases:
                  grocery: bills
            """,
            4,
            ["`aliases` must be a list"],
        ),
        (
            """\
            forces:
              - label: Food prices
                aliases: [[nested, list]]
            """,
            3,
            ["`aliases` must be a list"],
        ),
        (
            """\
            forces:
              - label: [not, a, scalar]
            """,
            2,
            ["`label` must be a single value"],
        ),
        (
            """\
            forces:
              - just a string
            """,
            2,
            ["a force must be a mapping"],
        ),
        (
            """\
            forces:
              label: not a list
            """,
            2,
            ["`forces` must be a list"],
        ),
        (
            """\
            forces:
              - label: Food prices
                id: Not A Slug!
            """,
            3,
            ["is not a slug"],
        ),
        (
            """\
            - label: top level list
            """,
            1,
            ["must be a mapping"],
        ),
        (
            """\
            categories: [social
            forces:
              - label: X
            """,
            2,
            ["invalid YAML"],
        ),
        (
            """\
            forces:
              - label: X
                aliases: [a, b
              - label: Y
            """,
            4,
            ["invalid YAML"],
        ),
        (
            """\
            forces:
              - label: "unterminated
            """,
            3,
            ["invalid YAML"],
        ),
    ],
)
def test_invalid_entries_are_errors_at_their_line(text: str, line: int, words: list[str]) -> None:
    _, diagnostics = parse(text)
    errors = [d for d in diagnostics if d.is_error]
    assert errors, [d.format() for d in diagnostics]
    assert all(d.location is not None and d.location.path == "content/forces.yaml" for d in errors)
    found = [d for d in errors if d.format().startswith(f"content/forces.yaml:{line}: error: ")]
    assert any(all(word in d.message for word in words) for d in found), [d.format() for d in errors]


def test_other_forces_survive_an_invalid_one() -> None:
    taxonomy, diagnostics = parse(
        """\
        forces:
          - description: no label
          - label: Kept force
        """
    )
    assert [f.label for f in taxonomy.forces] == ["Kept force"]
    assert errors_at(diagnostics) == [(2, "force has no `label`")]


def test_unknown_keys_are_warnings_at_their_line() -> None:
    _, diagnostics = parse(
        """\
        forces:
          - label: X
            colour: blue
        tags: [a]
        """
    )
    assert not any(d.is_error for d in diagnostics)
    assert sorted((d.location.line if d.location else 0, d.severity.value) for d in diagnostics) == [
        (3, "warning"),
        (4, "warning"),
    ]


def test_alias_bomb_stays_bounded_and_is_an_error() -> None:
    levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 12)]
    text = "\n".join([*levels, "categories: *l11", "forces:", "  - label: X", "    aliases: *l11", "  - *l11"])
    taxonomy, diagnostics = parse_taxonomy(text, "content/forces.yaml")
    errors = [d for d in diagnostics if d.is_error]
    assert errors
    assert all(d.location is not None and d.location.path == "content/forces.yaml" for d in errors)
    assert all(len(f.aliases) < 100 for f in taxonomy.forces)
    assert len(taxonomy.categories) < 100


# --- matching -------------------------------------------------------------------------------------------


def resolver() -> ForceResolver:
    taxonomy, diagnostics = parse(VALID)
    assert diagnostics == []
    return ForceResolver(taxonomy)


@pytest.mark.parametrize(
    ("phrase", "force_id", "how"),
    [
        ("Open-source collaboration", "open-source-collaboration", "label"),
        ("open source  collaboration.", "open-source-collaboration", "label"),
        ("OPEN-SOURCE COLLABORATION", "open-source-collaboration", "label"),
        ("open-source-collaboration", "open-source-collaboration", "label"),  # the id works too
        ("Innovation and collaboration in the open source community", "open-source-collaboration", "alias"),
        ("wider research-community collaboration!", "open-source-collaboration", "alias"),
        ("household budgets under\u200b pressure", "cost-of-living", "alias"),
        ("Technological change", "technological-change", "label"),
    ],
)
def test_labels_and_aliases_match_after_normalisation(phrase: str, force_id: str, how: str) -> None:
    match = resolver().resolve(phrase)
    assert (match.key, match.how) == (force_id, how)


def test_undeclared_phrases_with_the_same_key_are_one_force() -> None:
    r = resolver()
    a, b, c = r.resolve("Remote work"), r.resolve("remote-work."), r.resolve("Ocean acidification")
    assert a.how == "same phrase"
    assert a.key == b.key
    assert a.key != c.key


def test_unused_aliases_are_listed() -> None:
    r = resolver()
    r.resolve("wider research community collaboration")
    unused = [alias for _, alias in r.unused_aliases()]
    assert unused == ["Innovation and collaboration in the open-source community", "Household budgets under pressure"]


@pytest.mark.parametrize(
    ("cell", "phrases"),
    [
        ("Climate policy; Travel habits", ["Climate policy", "Travel habits"]),
        ("Climate policy ;Travel habits;", ["Climate policy", "Travel habits"]),
        ("one", ["one"]),
        ("", []),
        (" ; ; ", []),
        ("—; ...", []),  # punctuation alone names no force
        ("Costs, prices and wages", ["Costs, prices and wages"]),  # commas do not split
    ],
)
def test_split_phrases(cell: str, phrases: list[str]) -> None:
    assert split_phrases(cell) == phrases


def test_phrase_label_is_the_most_used_spelling() -> None:
    assert phrase_label(["remote work", "Remote-work", "remote work"]) == "Remote work"
    assert phrase_label(["b  spelling", "a spelling"]) == "A spelling"  # ties: sort order, spaces folded


# --- through a build ------------------------------------------------------------------------------------


def test_build_uses_forces_yaml_and_warns_about_unused_aliases(project: Project) -> None:
    project.write(
        {
            "forces.yaml": VALID,
            "a.md": native_note(
                "First", "20240101", rows=[("S1", "c", "h", "Wider research community collaboration; Cost of living")]
            ),
            "b.md": native_note("Second", "20230101", rows=[("S2", "c", "h", "open source collaboration")]),
        }
    )
    run = project.build()
    assert run.status == 0, run.err
    data = project.data()
    signals = {s["signal"]: s for s in data["signals"]}
    assert signals["S1"]["forces"] == ["open-source-collaboration", "cost-of-living"]
    assert signals["S2"]["forces"] == ["open-source-collaboration"]
    forces = {f["id"]: f for f in data["forces"]}
    assert forces["open-source-collaboration"]["label"] == "Open-source collaboration"
    assert forces["open-source-collaboration"]["signals"] == [signals["S1"]["id"], signals["S2"]["id"]]
    unused = messages_matching(run, "warning", "Innovation and collaboration in the open-source community")
    assert len(unused) == 1
    assert unused[0].startswith("content/forces.yaml:3: warning: alias ")
    # the alias that matched a note is not warned about; the one no note uses is
    assert not messages_matching(run, "Wider research community collaboration", "matches no")
    assert messages_matching(run, "Household budgets under pressure", "matches no")


def test_build_fails_on_a_broken_forces_yaml(project: Project) -> None:
    project.write({"forces.yaml": "forces:\n  - label: A\n    parent: Nowhere\n", "a.md": native_note()})
    run = project.build()
    assert run.status == 1
    assert messages_matching(run, "content/forces.yaml:3: error: unknown parent force")
    assert not project.site.exists()
