"""urls.py: every page links to every other with a relative link, so the site works under any sub-path."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalkb.core import urls


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("", "index.html"),
        ("notes/", "notes/index.html"),
        ("notes/abc/", "notes/abc/index.html"),
        ("signals/x-1/", "signals/x-1/index.html"),
        ("signals.json", "signals.json"),
        ("assets/style.css", "assets/style.css"),
    ],
)
def test_output_path(url: str, path: str) -> None:
    assert urls.output_path(url) == path


def test_entity_urls() -> None:
    assert urls.note("abc") == "notes/abc/"
    assert urls.signal("s-1") == "signals/s-1/"
    assert urls.force("f") == "forces/f/"
    assert urls.asset("style.css") == "assets/style.css"
    assert urls.output_path(urls.note("abc")) == "notes/abc/index.html"


@pytest.mark.parametrize(
    ("from_url", "to_url", "link"),
    [
        ("", "", "./"),
        ("", "notes/a/", "./notes/a/"),
        ("", "signals.json", "./signals.json"),
        ("notes/", "", "../"),
        ("notes/", "notes/a/", "../notes/a/"),
        ("notes/a/", "", "../../"),
        ("notes/a/", "signals/b/", "../../signals/b/"),
        ("notes/a/", "notes/a/", "../../notes/a/"),
        ("notes/a/", "assets/style.css", "../../assets/style.css"),
        ("forces/", "forces/f/", "../forces/f/"),
        ("signals.json", "notes/a/", "./notes/a/"),
        ("assets/style.css", "", "../"),
    ],
)
def test_relative(from_url: str, to_url: str, link: str) -> None:
    assert urls.relative(from_url, to_url) == link


@pytest.mark.parametrize(
    ("url", "root"), [("", "./"), ("notes/", "../"), ("notes/a/", "../../"), ("x/y/z/", "../../../")]
)
def test_root(url: str, root: str) -> None:
    assert urls.root(url) == root


word = st.text(alphabet="abcxyz0189", min_size=1, max_size=6)
segment = st.lists(word, min_size=1, max_size=3).map("-".join)  # a slug
page_url = st.lists(segment, max_size=4).map(lambda parts: "".join(p + "/" for p in parts))
file_url = st.tuples(page_url, segment, st.sampled_from([".json", ".css", ".html"])).map(lambda t: t[0] + t[1] + t[2])


def resolve(from_url: str, link: str) -> str:
    """Where a browser lands following `link` from the page at `from_url` (as a site-relative path)."""
    if from_url.endswith("/") or from_url == "":
        base = from_url
    else:
        base = posixpath.dirname(from_url) + "/" if "/" in from_url else ""
    return posixpath.normpath(posixpath.join(base, link))


@given(page_url, st.one_of(page_url, file_url))
def test_relative_link_resolves_to_its_target(from_url: str, to_url: str) -> None:
    link = urls.relative(from_url, to_url)
    assert not link.startswith("/")
    assert "://" not in link
    assert resolve(from_url, link) == posixpath.normpath(to_url or ".")
    assert link.endswith("/") == (to_url == "" or to_url.endswith("/"))  # directory links stay directory links


@given(file_url, st.one_of(page_url, file_url))
def test_relative_link_from_a_file_resolves_to_its_target(from_url: str, to_url: str) -> None:
    assert resolve(from_url, urls.relative(from_url, to_url)) == posixpath.normpath(to_url or ".")


@given(page_url)
def test_links_never_climb_above_the_site_root(from_url: str) -> None:
    link = urls.relative(from_url, "")
    assert link.count("../") == from_url.count("/")
