"""cellsplit: candidate cuts, evidence, column models, and the choice of a row's split."""

from __future__ import annotations

import math

import pytest

from signalkb.core.model import COLUMNS
from signalkb.notes import cellsplit as cs

PRIOR = [cs.prior_column(c) for c in COLUMNS]


def split(line: str, *summary: str) -> cs.Recovery:
    """Recover a four-column row, with the names of an optional summary as evidence."""
    evidence = cs.prose_evidence(summary) if summary else cs.Evidence()
    return cs.recover(line, PRIOR, evidence)


# --- words and cut points ---------------------------------------------------------------------------


def test_quotes_and_brackets_are_never_cut() -> None:
    words = ["Agency", "report", "(the", "“Big", "Three”", "Review)", "Findings", "“We", "Have", "No", "Moat”", "Now"]
    allowed = cs.cut_points(words)
    inside = [i for i, w in enumerate(words) if w in ("the", "“Big", "Three”", "Review)", "Have", "No", "Moat”")]
    assert not set(inside) & set(allowed)
    assert words.index("(the") in allowed and words.index("“We") in allowed and words.index("Findings") in allowed


def test_an_unclosed_quote_does_not_swallow_the_row() -> None:
    words = ["A", "“stray", "quote", "Then", "more", "words"]
    assert cs.cut_points(words) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Signal", "cap"),
        ("3D-printed", "digit"),
        ("$39", "digit"),
        ("“Net", "quote-cap"),
        ('"much', "quote-low"),
        ("(EVs)", "bracket"),
        ("open-source", "lower"),
        ("–", "other"),
    ],
)
def test_start_class(word: str, kind: str) -> None:
    assert cs.start_class(word) == kind


@pytest.mark.parametrize("word", ["NATO", "EVs", "OpenAI", "DeepMind", "GPT-4", "GPT4All", "LoRA"])
def test_name_shaped(word: str) -> None:
    assert cs.is_name_shaped(word)


@pytest.mark.parametrize("word", ["Boston", "Increased", "A", "Open-source", "3D-printed"])
def test_not_name_shaped(word: str) -> None:
    assert not cs.is_name_shaped(word)


def test_core_strips_quotes_punctuation_and_possessives() -> None:
    assert cs.core("“OpenAI’s”,") == "OpenAI"
    assert cs.core("Policymakers'") == "Policymakers"
    assert cs.key_of("(Vicuna's") == "vicuna"


# --- evidence ---------------------------------------------------------------------------------------


def test_prose_evidence_names_pairs_and_lower_words() -> None:
    ev = cs.prose_evidence(
        [
            "The plan follows the Inflation Reduction Act. Critics say “Big Tech Wins” "
            "and costs rise for Boston Dynamics."
        ]
    )
    assert ev.name_belief("inflation") > 0 and ev.name_belief("act") > 0
    assert ev.pairs[("inflation", "reduction")] and ev.pairs[("reduction", "act")]
    assert ev.name_belief("critics") == 0  # starts a sentence: no evidence either way
    assert ev.name_belief("costs") < 0
    assert ev.name_belief("big") == 0 and ev.name_belief("wins") == 0  # inside quotes: a title, not names
    assert ev.pairs[("boston", "dynamics")]


def test_cell_evidence_pairs_only_within_whole_cells() -> None:
    whole = cs.cell_evidence(["Collaboration between Cohere and Google Cloud"])
    assert whole.name_belief("google") > 0 and whole.pairs[("google", "cloud")]
    flat = cs.cell_evidence(["effects on the Body Impact on organs"], whole=False)
    assert flat.name_belief("body") > 0 and not flat.pairs


def test_evidence_add_weights() -> None:
    local = cs.prose_evidence(["We met at Apple yesterday."])
    other = cs.prose_evidence(["an apple a day", "one apple more"])
    merged = cs.Evidence()
    merged.add(local, 3)
    merged.add(other)
    assert merged.names["apple"] == 3 and merged.lower["apple"] == 2
    assert merged.name_belief("apple") == 0


# --- column models ----------------------------------------------------------------------------------


def test_learn_columns_moves_lengths_and_learns_first_words() -> None:
    rows = [("Short one", "From a to b", "Longer horizon text of many words here", "Desire for it")] * 6
    models = cs.learn_columns(COLUMNS, rows)
    assert math.exp(models[0].mean) < math.exp(PRIOR[0].mean)
    assert math.exp(models[2].mean) > math.exp(PRIOR[2].mean) - 0.5
    change, force = models[1].first_share("from"), models[3].first_share("from")
    assert change is not None and force is not None and change > 0.8 and force < 0.1
    assert "desire for it" in models[3].cells


# --- recovery ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Alpha signal\tSome change\tA horizon of years\tA driving force",
        "| Alpha signal | Some change | A horizon of years | A driving force |",
        "Alpha signal  Some change  A horizon of years  A driving force",
    ],
)
def test_surviving_separators_are_used(line: str) -> None:
    got = cs.recover(line, PRIOR)
    assert got.cells == ("Alpha signal", "Some change", "A horizon of years", "A driving force")
    assert got.how == "separators" and not got.doubtful


def test_some_surviving_separators_are_kept_as_cuts() -> None:
    got = cs.recover("Alpha Beta Gamma signal\tDelta change Epsilon horizon Zeta force", PRIOR)
    assert len(got.cells) == 4
    assert any(c.endswith("signal") for c in got.cells) and any(c.startswith("Delta") for c in got.cells)
    assert " ".join(got.cells) == "Alpha Beta Gamma signal Delta change Epsilon horizon Zeta force"


def test_seed_like_row() -> None:
    got = split(
        "OpenAI’s ability to maintain an edge is in question OpenAI’s stance on open source is a disadvantage "
        "Open-source alternatives may surpass OpenAI without a change in strategy "
        "Need to adapt to open-source innovation",
        "Both Google and OpenAI are losing ground to open-source models.",
    )
    assert got.cells == (
        "OpenAI’s ability to maintain an edge is in question",
        "OpenAI’s stance on open source is a disadvantage",
        "Open-source alternatives may surpass OpenAI without a change in strategy",
        "Need to adapt to open-source innovation",
    )


def test_cells_starting_with_acronym_digit_and_quote() -> None:
    got = split(
        "Allies agree a higher spending goal NATO members pledge 5% of GDP “Peace dividend” ends for good "
        "3D-printed drones and cheap missiles",
        "Leaders of NATO met in June; the “peace dividend” is over and 3D-printed parts are used at scale.",
    )
    assert got.cells == (
        "Allies agree a higher spending goal",
        "NATO members pledge 5% of GDP",
        "“Peace dividend” ends for good",
        "3D-printed drones and cheap missiles",
    )


def test_title_case_names_inside_cells() -> None:
    got = split(
        "Boston Dynamics and Agility Robotics ship humanoids Robots leave the lab for warehouses "
        "Humanoids work beside people under the Inflation Reduction Act Falling costs of motors",
        "Firms such as Boston Dynamics and Agility Robotics benefit from the Inflation Reduction Act.",
    )
    assert got.cells == (
        "Boston Dynamics and Agility Robotics ship humanoids",
        "Robots leave the lab for warehouses",
        "Humanoids work beside people under the Inflation Reduction Act",
        "Falling costs of motors",
    )


def test_fewer_capitalised_words_than_cuts_still_gives_four_cells() -> None:
    got = split("Rising demand for lithium more mines open prices fall and recycling grows")
    assert got.how == "few-starts" and got.doubtful
    assert len(got.cells) == 4 and all(got.cells)
    assert " ".join(got.cells) == "Rising demand for lithium more mines open prices fall and recycling grows"


def test_too_few_words_leaves_cells_for_the_reader_to_pad() -> None:
    got = split("Only three words")
    assert got.how == "short" and got.doubtful
    assert got.cells == ("Only", "three", "words")


def test_a_close_call_is_doubtful_and_names_the_runner_up() -> None:
    got = split("Alpha Beta Gamma Delta Epsilon")
    assert got.doubtful and got.runner_up is not None and got.runner_up != got.cells
    assert got.margin < cs.AMBIGUOUS_MARGIN


def test_a_clear_row_is_not_doubtful() -> None:
    got = split(
        "Difficulty in maintaining competitive advantage Challenges in protecting technology secrets "
        "Open collaboration dilutes the value of proprietary research Wider research community collaboration"
    )
    assert not got.doubtful and got.margin >= cs.AMBIGUOUS_MARGIN


def test_six_columns() -> None:
    names = ["signal", "description", "change", "horizon", "driving_force", "relevancy"]
    columns = [cs.prior_column(n) for n in names]
    line = (
        "Robotaxis expand Driverless cars now carry paying riders in several large cities without a safety driver "
        "From pilots to paid service Robotaxis common in most large cities Falling sensor costs High"
    )
    got = cs.recover(line, columns)
    assert got.cells == (
        "Robotaxis expand",
        "Driverless cars now carry paying riders in several large cities without a safety driver",
        "From pilots to paid service",
        "Robotaxis common in most large cities",
        "Falling sensor costs",
        "High",
    )
