"""Matching beyond exact phrases: same words, compound phrases, narrower wordings, grouping without a taxonomy."""

from __future__ import annotations

import random
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalkb.forces.matching import CONCEPT, ForceResolver, Match, Taxonomy, parse_taxonomy

TAXONOMY = """\
categories: [technological, social]
forces:
  - label: Open-source collaboration
    category: technological
    aliases: [Wider research community collaboration]
  - label: Ageing population
    category: social
"""


def taxonomy(text: str = TAXONOMY) -> Taxonomy:
    parsed, problems = parse_taxonomy(textwrap.dedent(text), "content/forces.yaml")
    assert problems == []
    return parsed


def resolve(phrases: list[str], text: str = TAXONOMY) -> dict[str, list[Match]]:
    return ForceResolver(taxonomy(text)).resolve_all(dict.fromkeys(phrases, 1))


def hows(matches: list[Match]) -> list[tuple[str, str]]:
    return [(m.key, m.how) for m in matches]


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Open-source collaboration", [("open-source-collaboration", "label")]),
        ("wider research-community collaboration", [("open-source-collaboration", "alias")]),
        ("Collaboration in open source", [("open-source-collaboration", "same words")]),
        ("Growing open-source collaborations", [("open-source-collaboration", "same words")]),
        ("European open-source collaboration", [("open-source-collaboration", "narrower")]),
        (
            "Ageing population and open source collaboration",
            [("ageing-population", "label"), ("open-source-collaboration", "label")],
        ),
        ("Technology", []),  # only a generic word: no force; the signal shows the phrase as written
    ],
)
def test_stages_against_a_taxonomy(phrase: str, expected: list[tuple[str, str]]) -> None:
    assert hows(resolve([phrase])[phrase]) == expected


def test_parts_remember_their_wording() -> None:
    (a, b) = resolve(["Ageing population and open source collaboration"])[
        "Ageing population and open source collaboration"
    ]
    assert (a.part, a.via) == ("Ageing population", "Ageing population")
    assert b.part == "open source collaboration"


def test_phrases_with_the_same_words_are_one_force_without_a_taxonomy() -> None:
    found = resolve(["Remote work", "remote-working", "Work done remotely"], "")
    assert found["Remote work"][0].key == found["remote-working"][0].key
    assert found["Remote work"][0].key.startswith(CONCEPT)
    assert found["Remote work"][0].how == "same words"
    assert found["Work done remotely"][0].key != found["Remote work"][0].key


def test_compound_phrases_share_their_parts() -> None:
    found = resolve(
        ["Technological advancements and demographic changes", "Demographic change", "Advancements in technology"], ""
    )
    tech, demo = found["Technological advancements and demographic changes"]
    assert demo.key == found["Demographic change"][0].key
    assert tech.key == found["Advancements in technology"][0].key
    assert (tech.part, demo.part) == ("Technological advancements", "demographic changes")


def test_narrower_wordings_join_the_broader_force_but_one_shared_word_does_not() -> None:
    found = resolve(
        [
            "Technological advancements",
            "Advancement in AI technology",
            "AI capabilities",
            "Chatbot capabilities",
            "Efficiency",
            "Cost efficiency",
        ],
        "",
    )
    assert found["Advancement in AI technology"][0].key == found["Technological advancements"][0].key
    assert found["Advancement in AI technology"][0].how == "narrower"
    assert found["Chatbot capabilities"][0].key != found["AI capabilities"][0].key  # only "capability" in common
    assert found["Efficiency"] == []  # too generic alone to make a force
    assert found["Cost efficiency"] == []  # only generic words, one an abstract quality


def test_generic_parts_are_dropped_when_the_phrase_says_more() -> None:
    found = resolve(["Technology and globalization"], "")["Technology and globalization"]
    assert [m.part for m in found] == ["globalization"]


PHRASES = [
    "Technological advancements and demographic changes",
    "Advancement in AI technology",
    "advancements in technology",
    "Demographic change",
    "AI model capabilities",
    "AI capabilities",
    "Collaboration in open source",
    "open-source collaboration in Europe",
    "Efficiency, productivity, fear of job loss",
    "Mitigating the impact of job loss",
]


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_grouping_does_not_depend_on_the_order_of_phrases(rnd: random.Random) -> None:
    shuffled = list(PHRASES)
    rnd.shuffle(shuffled)
    first = ForceResolver(Taxonomy()).resolve_all(dict.fromkeys(PHRASES, 1))
    second = ForceResolver(Taxonomy()).resolve_all(dict.fromkeys(shuffled, 1))
    assert first == second


def test_single_phrase_resolution_keeps_the_old_stages() -> None:
    resolver = ForceResolver(taxonomy())
    assert resolver.resolve("collaboration in open source") == Match(
        "open-source-collaboration", "same words", via="Open-source collaboration"
    )
    assert resolver.resolve("Something else").how == "same phrase"


def test_declared_phrases_with_and_are_not_split() -> None:
    text = "forces:\n  - label: Research and development\n  - label: Supply and demand of chips\n"
    found = resolve(["Research and development", "supply and demand of chips"], text)
    assert hows(found["Research and development"]) == [("research-and-development", "label")]
    assert hows(found["supply and demand of chips"]) == [("supply-and-demand-of-chips", "label")]


def test_taxonomy_parent_cycle_is_reported_once() -> None:
    text = """\
    forces:
      - label: A
        parent: B
      - label: B
        parent: C
      - label: C
        parent: A
    """
    _, problems = parse_taxonomy(textwrap.dedent(text), "content/forces.yaml")
    cycles = [d for d in problems if "parent cycle" in d.message]
    assert len(cycles) == 1
    assert cycles[0].format().startswith("content/forces.yaml:3: error: parent cycle: a → b → c → a")


def test_distinct_is_read() -> None:
    text = (
        "forces:\n  - label: AI capabilities\n    distinct: [Chatbot capabilities, AI model capabilities]\n"
        "  - label: X\n    distinct: Y\n"
    )
    parsed, problems = parse_taxonomy(text, "content/forces.yaml")
    assert problems == []
    assert parsed.forces[0].distinct == ("Chatbot capabilities", "AI model capabilities")
    assert parsed.forces[1].distinct == ("Y",)
    _, problems = parse_taxonomy("forces:\n  - label: A\n    distinct: {x: 1}\n", "content/forces.yaml")
    assert [d.format() for d in problems] == [
        "content/forces.yaml:3: error: `distinct` must be a list of labels or phrases"
    ]
