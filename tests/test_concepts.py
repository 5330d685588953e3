"""concepts.py: compound phrases split into parts, parts reduced to concepts; table-driven and property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalkb.forces.concepts import Lemmatiser, broader_keys, core_wording, phrase_concepts, reduce_part, split_parts

LEMMA = Lemmatiser()


def key(text: str) -> tuple[str, ...]:
    concept = reduce_part(text, LEMMA)
    assert concept is not None, text
    return concept.key


@pytest.mark.parametrize(
    ("phrase", "parts"),
    [
        ("Technological advancements and demographic changes", ["Technological advancements", "demographic changes"]),
        ("Efficiency, productivity, fear of job loss", ["Efficiency", "productivity", "fear of job loss"]),
        (
            "Energy transition, rising demand, and grid investment",
            ["Energy transition", "rising demand", "grid investment"],
        ),
        ("Research and development spending", ["Research and development spending"]),  # a fixed phrase
        ("Supply and demand shocks", ["Supply and demand shocks"]),
        ("Social and economic changes", ["Social and economic changes"]),  # two adjectives, one noun
        ("Desire for customized and improved services", ["Desire for customized and improved services"]),
        ("Collaboration between cities and universities", ["Collaboration between cities and universities"]),
        ("Pandemic and climate change", ["Pandemic", "climate change"]),
        ("Costs & prices", ["Costs", "prices"]),
        ("R&D tax credits", ["R&D tax credits"]),
        ("Open-source collaboration", ["Open-source collaboration"]),
        ("—, and ...", []),
        ("", []),
    ],
)
def test_split_parts(phrase: str, parts: list[str]) -> None:
    assert split_parts(phrase) == parts


def test_split_parts_keeps_phrases_it_is_told_are_fixed() -> None:
    assert split_parts("Cheap solar and storage in towns", ["Cheap solar and storage"]) == [
        "Cheap solar and storage in towns"
    ]
    assert split_parts("Cheap solar and storage in towns") == ["Cheap solar", "storage in towns"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("collaboration in open source", "Open-source collaboration"),  # order, hyphens, stop words
        ("Technological advancements", "advancements in technology"),  # derivation, plural
        ("Technological advancement", "Pace of technological progress"),  # shells, synonym
        ("Demographic changes", "demographic change"),
        ("Increasing demand for EVs", "EV demand"),  # filler, shell at either end
        ("Growing awareness of the importance of sleep", "sleep"),
        ("Labour shortages", "labor shortage"),  # spelling variants
        ("Decarbonisation targets", "decarbonization targets"),
        ("Artificial intelligence regulation", "regulation of AI"),
        ("electric vehicles adoption", "adoption of EVs"),
        ("The rise of remote work", "remote work"),
        ("AI's role in hiring", "AI role in hiring"),
        ("Well-being at work", "wellbeing at work"),
        ("Mitigating the impact of job loss", "fear of job loss"),
    ],
)
def test_same_concept(a: str, b: str) -> None:
    assert key(a) == key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("AI capabilities", "chatbot capabilities"),
        ("Public health", "Public transport"),
        ("Technological advancements", "Technological sovereignty"),
        ("Rising sea levels", "Rising interest rates"),
        ("Climate targets", "Climate change impacts"),
    ],
)
def test_different_concepts(a: str, b: str) -> None:
    assert key(a) != key(b)


@pytest.mark.parametrize(
    ("part", "head"),
    [
        ("Advancement in AI technology", "advance"),
        ("Technological advancements", "advance"),
        ("Impact of long COVID on labour force participation", "covid"),
        ("Public health concerns", "health"),
        ("Cost-efficiency in AI development", "efficiency"),
    ],
)
def test_head(part: str, head: str) -> None:
    concept = reduce_part(part, LEMMA)
    assert concept is not None
    assert concept.head == head


@pytest.mark.parametrize("text", ["", "...", "—", "the", "of the", "Promoting and demonstrating"])
def test_parts_without_content_have_no_concept(text: str) -> None:
    assert all(reduce_part(p, LEMMA) is None for p in split_parts(text) or [text])


def test_generic_single_words_are_marked() -> None:
    generic = [c.generic for c in phrase_concepts("Technology and globalization", LEMMA)]
    assert generic == [True, False]


def test_broader_keys_keep_the_head_and_two_words() -> None:
    concept = reduce_part("Advancement of AI technology in hospitals", LEMMA)
    assert concept is not None
    keys = list(broader_keys(concept))
    assert tuple(sorted(("advance", "ai", "technology"))) in keys
    assert all("advance" in k and 2 <= len(k) < len(concept.key) for k in keys)
    assert [len(k) for k in keys] == sorted((len(k) for k in keys), reverse=True)


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("Desire for humor", "humor"),
        ("Mitigating the impact of job loss", "job loss"),
        ("Increasing demand for better sleep solutions", "sleep solutions"),
        ("Technological advancements", "Technological advancements"),
        ("Desire for", "Desire for"),  # nothing would be left
    ],
)
def test_core_wording(text: str, core: str) -> None:
    assert core_wording(text) == core


def test_unicode_phrases_have_concepts() -> None:
    assert key("Énergie solaire") == key("énergie  SOLAIRE")
    assert key("人工知能の規制") == ("人工知能の規制",)


def test_very_long_phrase_is_cut() -> None:
    concept = reduce_part(" ".join(f"word{i}x" for i in range(500)), LEMMA)
    assert concept is not None
    assert len(concept.key) <= 40


words = st.sampled_from(["open", "source", "collaboration", "technological", "advancements", "EVs", "policy", "Zürich"])
noise = st.sampled_from(["the", "of the", "growing", "increasing", "a", "rapidly"])


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=8))
def test_concept_of_content_words_does_not_depend_on_order_case_or_spacing(tokens: list[str]) -> None:
    a = reduce_part(" ".join(tokens), LEMMA)
    b = reduce_part("  ".join(reversed(tokens)).upper(), LEMMA)
    assert (a.key if a else None) == (b.key if b else None)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.lists(st.tuples(st.integers(0, 6), noise), max_size=3))
def test_stop_words_and_filler_do_not_change_the_concept(tokens: list[str], inserts: list[tuple[int, str]]) -> None:
    noisy = list(tokens)
    for position, word in inserts:
        noisy.insert(min(position, len(noisy)), word)
    a = reduce_part(" ".join(tokens), LEMMA)
    b = reduce_part(" ".join(noisy), LEMMA)
    assert (a.key if a else None) == (b.key if b else None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_split_and_reduced_without_error(text: str) -> None:
    for part in split_parts(text):
        assert part.strip() == part
        assert part
        concept = reduce_part(part, LEMMA)
        if concept is not None:
            assert concept.key == tuple(sorted(set(concept.key)))
            assert concept.head in concept.key


@settings(max_examples=100, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.sampled_from(["-", " - ", "  "]))
def test_hyphens_are_spaces(tokens: list[str], joiner: str) -> None:
    a = reduce_part(" ".join(tokens), LEMMA)
    b = reduce_part(joiner.join(tokens), LEMMA)
    assert (a.key if a else None) == (b.key if b else None)
