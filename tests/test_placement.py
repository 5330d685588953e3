"""Placing fine forces under broad forces (forces/broad.py) and what makes no force (words, concepts): pure."""

from __future__ import annotations

import pytest

from signalkb.forces.broad import Placer
from signalkb.forces.concepts import Lemmatiser, reduce_part
from signalkb.forces.meaning import StandInModel
from signalkb.forces.taxonomy import ForceDef

LEMMA = Lemmatiser()
MODEL = StandInModel(synonyms={"fertility": "birth", "births": "birth", "landlords": "rents"})


def broad(force_id: str, *examples: str) -> ForceDef:
    return ForceDef(force_id, force_id.replace("-", " ").capitalize(), 1, examples=examples)


PLACER = Placer(
    [
        broad("ageing", "Falling birth rates", "Falling birth rates worldwide", "Rates of birth falling", "Old age"),
        broad("housing", "Rising rents", "Rising rents in towns", "Rents rising fast", "Housing shortage"),
        broad("ai", "Advances in AI", "Better AI models", "AI chatbots", "AI capabilities"),
    ],
    MODEL,
    LEMMA,
)


def placed(*wordings: str) -> list[str]:
    return [p.broad_id for p in PLACER.place({"force": list(wordings)})["force"]]


def test_a_force_goes_under_the_broad_force_its_words_and_meaning_share() -> None:
    assert placed("Falling fertility rates") == ["ageing"]  # no content word in common, the same meaning
    assert placed("Rising rents in cities") == ["housing"]


def test_a_force_with_nothing_in_common_has_no_broad_home() -> None:
    assert placed("Slug anatomy") == []
    assert placed("") == []


def test_dotted_acronyms_are_the_words_they_spell() -> None:
    assert placed("A.I. chatbots") == placed("AI chatbots") == ["ai"]


def test_a_force_of_many_wordings_goes_where_most_of_them_go() -> None:
    """Each wording is weighed on its own: the words one wording adds do not pull the others down."""
    assert placed("AI capabilities", "Better AI models", "AI capabilities for local translation offline") == ["ai"]
    assert placed("Rising rents", "Slug anatomy", "Moth wings") == []  # one wording of three is not enough


def test_placement_does_not_depend_on_the_order_of_wordings() -> None:
    wordings = ["Rising rents", "Rising rents in cities", "Housing shortage"]
    assert placed(*wordings) == placed(*reversed(wordings)) == ["housing"]


def test_a_vague_force_is_placed_where_its_wording_and_its_signals_agree() -> None:
    """The stand-in makes "landlords" mean "rents" but share no word with the housing examples: too weak alone."""
    assert placed("Landlords") == []
    by_context = PLACER.place({"force": ["Landlords"]}, {"force": ["Rents rising in towns", "Rising rents"]})["force"]
    assert [p.broad_id for p in by_context] == ["housing"]
    assert by_context[0].how == "meaning and context" and by_context[0].example in ("Rising rents", "Rents rising fast")
    # signals about something else do not place it, and never move a force its wordings placed
    assert PLACER.place({"force": ["Landlords"]}, {"force": ["Better AI models"]})["force"] == []
    moved = PLACER.place({"force": ["Rising rents in cities"]}, {"force": ["Better AI models", "AI chatbots"]})
    assert [p.broad_id for p in moved["force"]] == ["housing"]


@pytest.mark.parametrize(
    ("phrase", "generic"),
    [
        ("Efficiency", True),
        ("Research", True),
        ("Cost-effectiveness", True),  # two broad qualities
        ("User experience", True),
        ("Public health", False),  # a field with a broad word names a force
        ("Social media", False),
        ("Education technology", False),
        ("Data privacy", False),
        ("Falling birth rates", False),
    ],
)
def test_only_phrases_of_broad_words_and_no_field_make_no_force(phrase: str, generic: bool) -> None:
    concept = reduce_part(phrase, LEMMA)
    assert concept is not None and concept.generic is generic
