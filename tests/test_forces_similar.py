"""similar.py, svg.py and terms.py: related forces, near-duplicate groups, charts that need no JavaScript, terms."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from signalkb.core.model import ForcePair
from signalkb.forces.concepts import Lemmatiser, reduce_part
from signalkb.forces.similar import NEAR_DUPLICATE, RELATED, ForceWords, near_duplicate_groups, similar_pairs
from signalkb.pages.svg import PALETTE, Node, category_colours, network, timeline

LEMMA = Lemmatiser()


def words(force_id: str, *wordings: str, declared: bool = False) -> ForceWords:
    concepts = tuple(c for c in (reduce_part(w, LEMMA) for w in wordings) if c is not None)
    return ForceWords(force_id, concepts, declared)


FORCES = [
    words("training", "AI model training techniques"),
    words("refined", "Refinement of AI model training techniques"),
    words("capabilities", "AI capabilities"),
    words("chatbots", "Chatbot capabilities"),
    words("decarb", "Decarbonisation policy", declared=True),
    words("typo", "Decarbonisaton policy"),
    words("sea", "Rising sea levels"),
    words("tech", "Technological advancements"),
    words("sovereignty", "Technological sovereignty"),
    words("typo2", "AI model trainning techniques"),
    words("global", "Globalization of fast fashion"),
    words("local", "Localization of fast fashion"),
]


def test_similar_pairs() -> None:
    pairs = {(p.a, p.b): p.score for p in similar_pairs(FORCES)}
    assert RELATED <= pairs[("refined", "training")] < NEAR_DUPLICATE  # about one topic, but another head
    assert pairs[("training", "typo2")] >= NEAR_DUPLICATE  # one word misspelt
    assert ("global", "local") not in pairs or pairs[("global", "local")] < NEAR_DUPLICATE  # two real words
    assert pairs[("decarb", "typo")] >= 0.88  # a misspelling
    assert ("capabilities", "chatbots") not in pairs  # one generic-ish shared word is not enough
    assert ("sovereignty", "tech") not in pairs  # "technology" alone is generic
    assert all(0 < s <= 1 for s in pairs.values())


def test_similar_pairs_do_not_depend_on_order() -> None:
    assert similar_pairs(FORCES) == similar_pairs(list(reversed(FORCES)))


def test_two_declared_forces_are_never_near_duplicates() -> None:
    pairs = similar_pairs(
        [words("a", "Energy security", declared=True), words("b", "Energy security policy", declared=True)]
    )
    assert pairs == []


def test_near_duplicate_groups_skip_distinct_pairs_and_join_chains() -> None:
    pairs = [
        ForcePair("a", "b", 0.9),
        ForcePair("b", "c", 0.8),
        ForcePair("d", "e", 0.95, distinct=True),
        ForcePair("f", "g", 0.55),
    ]
    assert near_duplicate_groups(pairs) == [["a", "b", "c"]]


def test_distinct_pairs_are_marked() -> None:
    pairs = similar_pairs(FORCES, {frozenset(("training", "refined"))})
    assert next(p for p in pairs if {p.a, p.b} == {"training", "refined"}).distinct


def test_timeline_is_valid_svg_with_titles() -> None:
    svg = str(timeline({2019: 1, 2021: 3}, "Signals per year"))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert re.findall(r"<title>(\d{4}): (\d) signals?</title>", svg) == [("2019", "1"), ("2020", "0"), ("2021", "3")]
    assert str(timeline({}, "x")) == ""


def test_network_is_valid_svg_with_links_titles_and_palette() -> None:
    nodes = [
        Node("a", "Alpha & <beta>", "a/", 5, 3, PALETTE[0], "social"),
        Node("b", "A rather long label that will certainly be cut short", "b/", 2, 2, PALETTE[1], "economic"),
        Node("c", "Gamma", "c/", 1, 1, "#8C8C8C", ""),
    ]
    svg = str(network(nodes, [("a", "b", 2), ("b", "c", 1)], "Forces"))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert svg.count("<a href=") == 3 and "Alpha &amp; &lt;beta&gt;" in svg and "…" in svg
    assert svg == str(network(nodes, [("a", "b", 2), ("b", "c", 1)], "Forces"))  # deterministic
    for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg):
        assert 0 <= float(x) <= 960 and 0 <= float(y) <= 620


def test_category_colours_follow_the_palette() -> None:
    assert category_colours(["a", "b"]) == {"a": PALETTE[0], "b": PALETTE[1]}


phrases = st.lists(
    st.sampled_from(
        [
            "AI model training techniques",
            "Refinement of AI model training techniques",
            "AI capabilities",
            "Chatbot capabilities",
            "Decarbonisation policy",
            "Decarbonisaton policy",
            "Long COVID prevention",
            "Impact of long COVID on work",
            "Rising sea levels",
            "Sea level rise",
            "Technological advancements",
        ]
    ),
    min_size=2,
    max_size=11,
    unique=True,
)


@settings(max_examples=60, deadline=None)
@given(phrases, st.randoms(use_true_random=False))
def test_similar_pairs_are_ordered_bounded_and_independent_of_input_order(texts: list[str], rnd: Any) -> None:
    forces = [words(f"f{i}", t) for i, t in enumerate(texts)]
    shuffled = list(forces)
    rnd.shuffle(shuffled)
    pairs = similar_pairs(forces)
    assert pairs == similar_pairs(shuffled)
    assert all(p.a < p.b and 0.5 <= p.score <= 1 for p in pairs)
    groups = near_duplicate_groups(pairs)
    members = [m for g in groups for m in g]
    assert len(members) == len(set(members))  # groups are disjoint
    assert all(g == sorted(g) and len(g) >= 2 for g in groups)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(lambda t: t.strip() == t))
def test_yaml_snippet_quoting_round_trips(text: str) -> None:
    from signalkb.forces.report import _yaml

    assert yaml.safe_load(f"label: {_yaml(text)}") == {"label": text}
