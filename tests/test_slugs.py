"""Slugs and name keys: the ids in every URL and the key that decides when two force phrases are one force."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalkb.core.slugs import MAX_SLUG, SlugAllocator, is_windows_reserved, name_key, short_hash, slugify

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HASHED = re.compile(r"^x-[0-9a-f]{8}$")
RESERVED = ["con", "prn", "aux", "nul", *[f"com{i}" for i in range(1, 10)], *[f"lpt{i}" for i in range(1, 10)]]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Open-source collaboration", "open-source-collaboration"),
        ("  Hello,   World!  ", "hello-world"),
        ("Zürich’s café scene", "zurichs-cafe-scene"),
        ("Crème BRÛLÉE", "creme-brulee"),
        ("AI & the 10-year horizon", "ai-the-10-year-horizon"),
        ("snake_case_name", "snake-case-name"),
        ("---leading and trailing---", "leading-and-trailing"),
        ("2023: a year", "2023-a-year"),
        ("ﬁnance", "finance"),  # the ligature is folded, not dropped
        ("a/b\\c", "a-b-c"),
        ("CON", "con-x"),
        ("nul", "nul-x"),
        ("Com1", "com1-x"),
        ("LPT9", "lpt9-x"),
        ("console", "console"),  # only the exact reserved names are changed
        ("com10", "com10"),
    ],
)
def test_slugify_table(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize("text", ["人工知能の未来", "🚀🌍", "—", "   ", "", "!!!", "Ω"])
def test_text_without_ascii_letters_gets_a_stable_hash_slug(text: str) -> None:
    slug = slugify(text)
    assert HASHED.match(slug), slug
    assert slug == slugify(text)  # stable across calls (and so across builds)
    assert slug == "x-" + short_hash(text)


def test_different_cjk_texts_get_different_slugs() -> None:
    assert slugify("人工知能") != slugify("機械学習")
    assert slugify("🚀") != slugify("🌍")


def test_long_text_is_cut_at_a_word_boundary() -> None:
    words = ["foresight"] * 20  # 9 letters + hyphen each
    slug = slugify(" ".join(words))
    assert len(slug) <= MAX_SLUG
    assert slug.split("-") == ["foresight"] * len(slug.split("-"))  # no word is cut in half
    assert len(slug) > MAX_SLUG - 10  # and not much shorter than allowed


def test_one_long_word_is_cut_at_the_limit() -> None:
    assert slugify("a" * 200) == "a" * MAX_SLUG
    assert slugify("b" * 200, max_length=10) == "b" * 10


def test_max_length_is_respected() -> None:
    slug = slugify("alpha beta gamma delta epsilon", max_length=12)
    assert len(slug) <= 12
    assert slug == "alpha-beta"


@pytest.mark.parametrize("name", RESERVED)
def test_windows_reserved_names(name: str) -> None:
    assert is_windows_reserved(name)
    assert is_windows_reserved(name.upper() + ".txt")
    assert not is_windows_reserved(slugify(name))


# --- properties ------------------------------------------------------------------------------------

any_text = st.text(max_size=300)
wordy_text = st.lists(
    st.sampled_from(["con", "nul", "aux", "com1", "lpt3", "alpha", "Beta", "ß", "日本", "🙂", "-", " ", "_", ".", "x"]),
    max_size=60,
).map("".join)


@given(st.one_of(any_text, wordy_text))
def test_slug_shape(text: str) -> None:
    slug = slugify(text)
    assert SLUG.match(slug), slug
    assert slug
    assert not is_windows_reserved(slug)
    assert len(slug) <= MAX_SLUG or (slug.endswith("-x") and len(slug) <= MAX_SLUG + 2)


@given(st.one_of(any_text, wordy_text))
def test_slugify_is_idempotent(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug


@given(st.one_of(any_text, wordy_text), st.integers(min_value=4, max_value=120))
def test_slug_shape_for_any_max_length(text: str, max_length: int) -> None:
    slug = slugify(text, max_length)
    assert SLUG.match(slug), slug
    assert not is_windows_reserved(slug)
    assert len(slug) <= max(max_length, 10) + 2  # the hash form is 10 characters; reserved names get "-x"


@given(any_text)
def test_name_key_is_idempotent_and_ignores_case(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    assert name_key(text.upper()) == name_key(text.lower()) or not text.isascii()


# --- name keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Open-source collaboration", "open source  collaboration."),
        ("Open-source collaboration", "OPEN SOURCE COLLABORATION"),
        ("open\u200bsource", "opensource"),  # zero-width space
        ("open source\ufeff", "open source"),  # BOM / zero-width no-break space
        ("Climate change;", "climate_change"),
        ("  climate\tchange  ", "climate change"),
        ("“Quoted” force", "quoted force"),
        ("Straße", "STRASSE"),  # casefold, not lower
        ("ﬁnance", "finance"),  # NFKC
        ("e\u0301lite", "\u00e9lite"),  # composed and decomposed accents
    ],
)
def test_name_key_folds(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("climate change", "climate changes"),
        ("open source", "closed source"),
        ("AI regulation", "AI deregulation"),
    ],
)
def test_name_key_keeps_different_names_apart(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


# --- allocator -------------------------------------------------------------------------------------


def test_allocator_numbers_repeats_from_two() -> None:
    allocator = SlugAllocator()
    assert [allocator.claim("note") for _ in range(4)] == ["note", "note-2", "note-3", "note-4"]
    assert "note-3" in allocator
    assert "other" not in allocator


def test_allocator_skips_taken_numbers() -> None:
    allocator = SlugAllocator({"x", "x-2"})
    assert allocator.claim("x") == "x-3"
    assert allocator.claim("x-2") == "x-2-2"
    assert allocator.claim("y") == "y"


@given(st.lists(st.sampled_from(["a", "a-2", "b", "a-3"]), max_size=30))
def test_allocator_never_hands_out_a_slug_twice(wanted: list[str]) -> None:
    allocator = SlugAllocator()
    got = [allocator.claim(w) for w in wanted]
    assert len(set(got)) == len(got)
    assert all(g == w or g.startswith(w + "-") for g, w in zip(got, wanted, strict=True))
