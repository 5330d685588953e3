"""markup.py: note text is shown, never run; unsafe links are not links; plain text of cells; the fast path."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markupsafe import Markup

from signalkb.notes.markup import (
    block_plain,
    escape,
    inline_plain,
    printable_utf8,
    render_block,
    render_inline,
    safe_url,
)


def reference_md() -> MarkdownIt:
    """markdown-it configured as FORMAT.md and markup.py describe: CommonMark + tables, raw HTML off."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    return md


# --- escaping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [render_inline, render_block])
def test_script_is_escaped(render: object) -> None:
    assert callable(render)
    html = str(render("before <script>alert(1)</script> after"))
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("render", [render_inline, render_block])
@pytest.mark.parametrize(
    "source",
    [
        '<img src=x onerror="alert(1)">',
        "*look* <img src=x onerror=alert(1)>",  # with Markdown, so markdown-it renders it
        "<b>bold</b> and <i>italic</i>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_raw_html_is_shown_as_text(render: object, source: str) -> None:
    assert callable(render)
    html = str(render(source))
    assert "<img" not in html
    assert "<b>" not in html
    assert "<a " not in html
    assert "&lt;" in html


def test_raw_html_block_is_shown_as_text() -> None:
    html = str(render_block('<div onclick="alert(1)">\n\n<script>\nalert(1)\n</script>\n\n</div>'))
    assert "<div" not in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_escape_covers_markup_and_double_quotes() -> None:
    text = escape('<b> & " onmouseover="alert(1)"')
    assert not set(text) & set('<>"')
    assert text == "&lt;b&gt; &amp; &quot; onmouseover=&quot;alert(1)&quot;"


def test_rendered_html_is_shown_as_html_once_marked_safe() -> None:
    """Readers keep HTML as plain strings (fast to cache); views mark it safe, so templates do not escape it again."""
    from jinja2 import Environment

    from signalkb.pages.views import safe

    env = Environment(autoescape=True)
    out = env.from_string("{{ cell }}|{{ raw }}").render(cell=safe(render_inline("*em* <b>")), raw="<b>")
    assert out == "<em>em</em> &lt;b&gt;|&lt;b&gt;"


# --- links --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
    ],
)
@pytest.mark.parametrize("render", [render_inline, render_block])
def test_dangerous_link_schemes_are_not_links(render: object, url: str) -> None:
    assert callable(render)
    html = str(render(f"see [click me]({url}) and <{url}>"))
    assert "href" not in html
    assert "click me" in html  # the text stays


def test_dangerous_image_source_is_not_an_image() -> None:
    html = str(render_inline("![pic](javascript:alert(1))"))
    assert "<img" not in html


def test_web_links_are_links() -> None:
    html = str(render_inline("see [the article](https://example.org/a?b=1&c=2)"))
    assert '<a href="https://example.org/a?b=1&amp;c=2">the article</a>' in html


# --- plain text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("*very* good", "very good"),
        ("__strong__ and _em_", "strong and em"),
        ("`code` here", "code here"),
        ("a [link](https://example.org) b", "a link b"),
        ("a \\| b", "a | b"),
        ("AI \\| ML \\| robotics", "AI | ML | robotics"),
        ("~~gone~~ kept", "gone kept"),
        ("![alt text](pic.png)", "alt text"),
        ("*nested **strong** em*", "nested strong em"),
        ("3 \\* 4", "3 * 4"),
        ("&amp; &lt;tag&gt;", "& <tag>"),
        ("plain text, no markup", "plain text, no markup"),
        ("  padded  ", "padded"),
        ("<b>raw</b>", "<b>raw</b>"),  # raw HTML is text, so its plain text keeps the tags
    ],
)
def test_inline_plain(source: str, plain: str) -> None:
    assert inline_plain(source) == plain


def test_block_plain_joins_paragraphs_and_lists() -> None:
    assert block_plain("First *para*.\n\n* one\n* two\n") == "First para. one two"


# --- the fast path gives the HTML markdown-it gives ---------------------------------------------------

# Letters, digits, spaces and basic punctuation that is not Markdown syntax.
PLAIN_ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:?'\"()/%$@"))
plain_text = st.lists(PLAIN_ALPHABET, min_size=1, max_size=80).map("".join)


@given(plain_text)
def test_fast_path_inline_html_equals_markdown_it(text: str) -> None:
    assert render_inline(text) == Markup(reference_md().renderInline(text.strip()))


@given(st.lists(plain_text, min_size=1, max_size=4))
def test_fast_path_block_html_equals_markdown_it(paragraphs: list[str]) -> None:
    source = "\n\n".join(paragraphs)
    if not source.strip():
        return
    assert render_block(source) == Markup(reference_md().render(source.strip("\n")))


@pytest.mark.parametrize(
    "text",
    [
        "Remote work becomes the norm",
        "Costs fall 50% by 2030 (estimate)",
        'A "quoted" claim',
        "The firm's own models",
        "Q3: revenue up; margins down?",
    ],
)
def test_fast_path_examples(text: str) -> None:
    assert render_inline(text) == Markup(reference_md().renderInline(text))


# --- safe_url ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("http://example.org", "http://example.org"),
        ("  https://example.org/padded  ", "https://example.org/padded"),
        ("HTTPS://EXAMPLE.ORG", "HTTPS://EXAMPLE.ORG"),
        ("mailto:someone@example.org", "mailto:someone@example.org"),
        ("ftp://files.example.org/x", "ftp://files.example.org/x"),
        ("/notes/x/", "/notes/x/"),
        ("../x.md", "../x.md"),
        ("page.html#top", "page.html#top"),
        ("#anchor", "#anchor"),
        ("a/b:c", "a/b:c"),  # a colon after the first slash is not a scheme
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        (" javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("java\nscript:alert(1)", None),
        ("vbscript:msgbox(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("file:///etc/passwd", None),
        ("c:\\windows\\system32", None),
        ("weird:thing", None),
        ("", None),
        ("   ", None),
    ],
)
def test_safe_url(url: str, safe: str | None) -> None:
    assert safe_url(url) == safe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain é 日本 👩\u200d👧 \u202e\u2028\xa0\ufffd", "plain é 日本 👩\u200d👧 \u202e\u2028\xa0\ufffd"),
        ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),
        ("bell\x07 vt\x0b ff\x0c nul\x00 esc\x1b", "bell\ufffd vt\ufffd ff\ufffd nul\ufffd esc\ufffd"),
        ("del\x7f c1\x80\x85\x9f", "del\ufffd c1\ufffd\ufffd\ufffd"),
        ("\ufdd0\ufdef\ufffe\uffff\U0001fffe\U0010ffff", "\ufffd" * 6),
        ("only astral: 👩 \U0001fffe 𝄞 \U0010ffff", "only astral: 👩 \ufffd 𝄞 \ufffd"),
        ("astral, none forbidden: 👩 𝄞 \U0010fffd", "astral, none forbidden: 👩 𝄞 \U0010fffd"),
    ],
)
def test_printable_replaces_what_html_and_xml_forbid(text: str, expected: str) -> None:
    """Controls (but tab, newline, CR) and noncharacters become U+FFFD; everything else is left as it is."""
    assert printable_utf8(text) == expected.encode("utf-8")


def _forbidden(c: int) -> bool:
    """What HTML and XML 1.0 forbid, as their specifications list it."""
    return (
        (c < 0x20 and c not in (0x09, 0x0A, 0x0D)) or 0x7F <= c <= 0x9F or 0xFDD0 <= c <= 0xFDEF or c & 0xFFFE == 0xFFFE
    )


_NEAR_FORBIDDEN = st.one_of(
    st.integers(0, 0x2FF),
    st.integers(0xFDC0, 0xFDFF),
    st.integers(0xEFF0, 0xFFFF),
    st.sampled_from([0x1F469, 0x1FFFD, 0x1FFFE, 0x1FFFF, 0x2FFFE, 0xEFFFF, 0x10FFFD, 0x10FFFE, 0x10FFFF]),
).filter(lambda c: not 0xD800 <= c <= 0xDFFF)


@given(
    st.lists(_NEAR_FORBIDDEN.filter(lambda c: not _forbidden(c)), max_size=40),
    st.lists(_NEAR_FORBIDDEN.filter(_forbidden), max_size=2),
    st.randoms(use_true_random=False),
)
def test_pages_are_made_printable_exactly_as_the_specifications_say(
    allowed: list[int], forbidden: list[int], rnd: random.Random
) -> None:
    """The quick byte scans of printable_utf8 miss no forbidden code point, alone or among others, and change
    nothing else (the bytes written)."""
    codes = list(allowed)
    for c in forbidden:
        codes.insert(rnd.randint(0, len(codes)), c)
    text = "".join(map(chr, codes))
    expected = "".join("\ufffd" if _forbidden(c) else chr(c) for c in codes)
    assert printable_utf8(text) == expected.encode("utf-8")
    assert printable_utf8("<p>" + "x" * 500 + text + "</p>") == ("<p>" + "x" * 500 + expected + "</p>").encode("utf-8")
