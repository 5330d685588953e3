"""readers/markdown.py: native notes, front-matter notes and plain Markdown → ParsedNote, with exact lines."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from signalkb.core.diagnostics import Diagnostic

from .conftest import native_note, read_md

TABLE = """\
| Signal | Change | 10y horizon | Driving force |
|:--|:--|:--|:--|
| Tiny homes spread | Big to small homes | Tiny-home villages | Housing costs |
"""


def only(diagnostics: list[Diagnostic], severity: str, *parts: str) -> Diagnostic:
    """The one diagnostic of `severity` whose text holds every part (fails when there is none or several)."""
    found = [d for d in diagnostics if d.severity.value == severity and all(p in d.format() for p in parts)]
    assert len(found) == 1, [d.format() for d in diagnostics]
    return found[0]


def lines_of(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.format() for d in diagnostics]


# --- native title lines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title_line",
    [
        "# __Cities plant forests__, from ([20230521](https://news.example.org/issue-7).)",
        "# __Cities plant forests__ (from page [20230521](https://news.example.org/issue-7).)",
        "# __Cities plant forests__, from ([20230521](https://news.example.org/issue-7))",
        "# **Cities plant forests**, from ([20230521](https://news.example.org/issue-7).)",
    ],
)
def test_native_title_line_variants(title_line: str) -> None:
    note, diagnostics = read_md(f"{title_line}\n\n## Signals\n\n{TABLE}")
    assert note is not None
    assert note.kind == "native"
    assert note.title == "Cities plant forests"
    assert note.date == datetime.date(2023, 5, 21)
    assert note.issue == "https://news.example.org/issue-7"
    assert note.title_line == 1
    assert diagnostics == []


def test_native_note_fields() -> None:
    text = native_note(
        "Kelp farms scale up",
        "20220803",
        rows=[("Kelp as feed", "Soy to seaweed", "Ocean farms", "Feed costs")],
        keywords=("kelp", "aquaculture"),
        themes=("food systems",),
        closest=(("Other note", "0123456789abcdef0123456789abcdef"),),
        source="https://example.org/kelp",
    )
    note, diagnostics = read_md(text, rel="0505a73ce4b14c86bd62f374ef83abc9.md")
    assert diagnostics == []
    assert note.title == "Kelp farms scale up"
    assert note.date == datetime.date(2022, 8, 3)
    assert note.source == "https://example.org/kelp"
    assert note.summary_text == "Summary of Kelp farms scale up."
    assert "<p>Summary of Kelp farms scale up.</p>" in note.summary_html
    assert note.keywords == ("kelp", "aquaculture")
    assert note.themes == ("food systems",)
    assert [r.cells["signal"].text for r in note.rows] == ["Kelp as feed"]
    assert [(c.label, c.target) for c in note.closest] == [("Other note", "0123456789abcdef0123456789abcdef")]
    # the title line and the External link are not shown again as content
    assert note.sections == ()


def test_title_without_date_warns_on_line_1() -> None:
    note, diagnostics = read_md(f"# __Undated note__\n\n## Signals\n\n{TABLE}", rel="u.md")
    assert note.title == "Undated note"
    assert note.date is None
    found = only(diagnostics, "warning", "no date")
    assert found.location is not None
    assert (found.location.path, found.location.line) == ("content/u.md", 1)


@pytest.mark.parametrize("date", ["20231345", "2023052", "2O230521", "20230230"])
def test_invalid_date_warns(date: str) -> None:
    note, diagnostics = read_md(
        f"\n# __Bad date__, from ([{date}](https://news.example.org/x).)\n\n## Signals\n\n{TABLE}", rel="d.md"
    )
    assert note.title == "Bad date"
    assert note.date is None
    found = only(diagnostics, "warning", repr(date), "not a valid")
    assert found.location is not None
    assert found.location.line == 2


def read_dated(days_from_today: int) -> tuple[datetime.date, Any, list[Diagnostic]]:
    """A note dated `days_from_today` after the day it is read (before it when negative): the date, the note and
    its diagnostics; read again if the day changed meanwhile (midnight), so the date is relative to the reading."""
    for _ in range(3):
        today = datetime.date.today()
        date = today + datetime.timedelta(days=days_from_today)
        stamp = date.strftime("%Y%m%d")
        note, diagnostics = read_md(f"# __Dated__, from ([{stamp}](https://n.example.org/).)\n\n## Signals\n\n{TABLE}")
        if datetime.date.today() == today:
            return date, note, diagnostics
    pytest.fail("the date changed during each of three readings")


@pytest.mark.parametrize("days", [1, 3 * 366], ids=["tomorrow", "years-ahead"])
def test_future_date_warns(days: int) -> None:
    """A date after today (usually a typo in the year) is kept but warned about, from tomorrow on."""
    date, note, diagnostics = read_dated(days)
    assert note.date == date  # kept, but flagged
    found = only(diagnostics, "warning", "in the future", date.isoformat())
    assert found.location is not None
    assert found.location.line == 1


@pytest.mark.parametrize("days", [0, -1], ids=["today", "yesterday"])
def test_today_or_before_does_not_warn(days: int) -> None:
    date, note, diagnostics = read_dated(days)
    assert note.date == date
    assert diagnostics == []


def test_past_date_does_not_warn() -> None:
    _, diagnostics = read_md(native_note(date="19991231"))
    assert diagnostics == []


# --- source ---------------------------------------------------------------------------------------------


def test_external_link_is_the_source() -> None:
    note, _ = read_md(native_note(source="https://example.org/the-article?x=1"))
    assert note.source == "https://example.org/the-article?x=1"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "vbscript:x"])
def test_unsafe_source_is_dropped_with_a_warning(url: str) -> None:
    note, diagnostics = read_md(native_note(source=url), rel="s.md")
    assert note.source is None
    found = only(diagnostics, "warning", "not a safe web address")
    assert found.location is not None
    assert (found.location.path, found.location.line) == ("content/s.md", 3)


def test_unsafe_issue_link_is_dropped_with_a_warning() -> None:
    note, diagnostics = read_md(f"# __T__, from ([20230101](javascript:alert%281%29).)\n\n## Signals\n\n{TABLE}")
    assert note.issue is None
    assert note.date == datetime.date(2023, 1, 1)
    only(diagnostics, "warning", "not a safe web address")


# --- keywords, themes, other ----------------------------------------------------------------------------


def _note_with(sections: str) -> str:
    return f"# A note\n\n{sections}\n\n## Signals\n\n{TABLE}"


def test_keywords_and_themes_as_bullets() -> None:
    note, _ = read_md(_note_with("## Keywords\n\n* solar\n- wind\n+ *tidal* power\n\n## Themes\n\n1. energy\n2. grids"))
    assert note.keywords == ("solar", "wind", "tidal power")
    assert note.themes == ("energy", "grids")


def test_keywords_and_themes_as_comma_lists() -> None:
    note, _ = read_md(_note_with("## Keywords\n\nsolar, wind;  tidal power,\n\n## Themes\n\nenergy, grids"))
    assert note.keywords == ("solar", "wind", "tidal power")
    assert note.themes == ("energy", "grids")


def test_repeated_keywords_are_dropped() -> None:
    note, _ = read_md(_note_with("## Keywords\n\n* Solar\n* solar\n* wind"))
    assert note.keywords == ("Solar", "wind")


def test_empty_keywords() -> None:
    note, diagnostics = read_md(_note_with("## Keywords\n\n## Themes\n\n* energy"))
    assert note.keywords == ()
    assert note.themes == ("energy",)
    assert diagnostics == []


def test_other_section_bullets_become_metadata() -> None:
    note, _ = read_md(_note_with("## Other\n\n* Author: A. Writer\n* Region: *Northern* Europe\n* not a pair"))
    assert note.meta == (("Author", "A. Writer"), ("Region", "Northern Europe"))


def test_sections_in_another_order() -> None:
    text = (
        "# __Reordered__, from ([20230301](https://n.example.org/).)\n\n"
        "## Closest\n\n* [Other](other-note)\n\n"
        f"## Signals\n\n{TABLE}\n"
        "## Themes\n\n* cities\n\n"
        "## Summary\n\nThe summary comes late.\n\n"
        "## Keywords\n\n* housing\n"
    )
    note, diagnostics = read_md(text)
    assert diagnostics == []
    assert note.summary_text == "The summary comes late."
    assert note.keywords == ("housing",)
    assert note.themes == ("cities",)
    assert [r.cells["signal"].text for r in note.rows] == ["Tiny homes spread"]
    assert [c.target for c in note.closest] == ["other-note"]


def test_section_names_ignore_case_and_level() -> None:
    text = "# T\n\n### SUMMARY\n\nShort.\n\n#### signals\n\n" + TABLE
    note, _ = read_md(text)
    assert note.summary_text == "Short."
    assert len(note.rows) == 1


def test_unknown_sections_are_kept_as_rendered_content() -> None:
    text = _note_with(
        "## Concerns\n\n| name | description |\n|---|---|\n| Privacy | *Who* sees the data |\n\n"
        "## Behaviors\n\nPeople **share** more."
    )
    note, _ = read_md(text)
    titles = [s.title for s in note.sections]
    assert titles == ["Concerns", "Behaviors"]
    concerns, behaviors = note.sections
    assert "<table>" in concerns.html
    assert "<em>Who</em> sees the data" in concerns.html
    assert "<strong>share</strong>" in behaviors.html


def test_headings_inside_fenced_code_are_not_sections() -> None:
    text = (
        "# Code in the summary\n\n## Summary\n\nThe note pasted this:\n\n```markdown\n## Signals\n\n"
        "| Signal | Change | 10y horizon | Driving force |\n|---|---|---|---|\n| Fake | x | x | x |\n```\n\n"
        "~~~\n# Keywords\n~~~\n\n"
        f"## Signals\n\n{TABLE}"
    )
    note, diagnostics = read_md(text)
    assert diagnostics == []
    assert note.keywords == ()
    assert [r.cells["signal"].text for r in note.rows] == ["Tiny homes spread"]
    assert "## Signals" in note.summary_html
    assert "<code" in note.summary_html


def test_text_after_the_signal_table_is_kept() -> None:
    note, _ = read_md(_note_with("") + "\nA remark under the table.\n")
    assert len(note.rows) == 1
    assert any("A remark under the table." in s.html for s in note.sections)


# --- front matter ---------------------------------------------------------------------------------------

FRONT = """\
---
title: "Leaked memo on open models"
date: 2023-05-21
source: https://example.org/memo
keywords: [open source, fine-tuning]
themes: model competition
id: leaked-memo
author: Someone
reviewed: true
---

## Summary

A memo said so.

## Signals

{table}
## Closest

- [Another note's title](another-note.md)
"""


def test_front_matter_note() -> None:
    note, diagnostics = read_md(FRONT.format(table=TABLE), rel="memo.md")
    assert diagnostics == []
    assert note.kind == "front-matter"
    assert note.title == "Leaked memo on open models"
    assert note.date == datetime.date(2023, 5, 21)
    assert note.source == "https://example.org/memo"
    assert note.keywords == ("open source", "fine-tuning")
    assert note.themes == ("model competition",)
    assert note.id_hint == "leaked-memo"
    assert note.meta == (("author", "Someone"), ("reviewed", "true"))
    assert note.summary_text == "A memo said so."
    assert [r.loc.line for r in note.rows] == [20]
    assert [(c.label, c.target) for c in note.closest] == [("Another note's title", "another-note")]


def test_front_matter_unsafe_source_is_dropped() -> None:
    text = "---\ntitle: T\nsource: javascript:alert(1)\n---\n\n## Signals\n\n" + TABLE
    note, diagnostics = read_md(text, rel="f.md")
    assert note.source is None
    found = only(diagnostics, "warning", "not a safe web address")
    assert found.location is not None
    assert found.location.line == 3


def test_front_matter_bad_date_warns_on_its_line() -> None:
    text = "---\ntitle: T\n\ndate: someday\n---\n\n## Signals\n\n" + TABLE
    note, diagnostics = read_md(text, rel="f.md")
    assert note.date is None
    found = only(diagnostics, "warning", "'someday'", "not a date")
    assert found.location is not None
    assert found.location.line == 4


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("title: ok\nkeywords: a: b\n", 3),
        ("title: ok\ndate: 2023-01-01\nthemes: [unclosed\nother: x\n", None),
        ('title: "unterminated\n', None),
        ("title: ok\n  bad indent: x\n", 3),
        ("title: ok\n\ttab: x\n", 3),
    ],
)
def test_broken_front_matter_is_an_error_naming_file_and_line(front: str, line: int | None) -> None:
    note, diagnostics = read_md(f"---\n{front}---\n\n## Signals\n\n{TABLE}", rel="broken.md")
    assert note is None
    found = only(diagnostics, "error", "front matter")
    assert found.location is not None
    assert found.location.path == "content/broken.md"
    assert found.location.line is not None
    closing = front.count("\n") + 2  # the closing `---`
    assert 2 <= found.location.line <= closing
    if line is not None:
        assert found.location.line == line


def test_unclosed_front_matter_is_an_error() -> None:
    note, diagnostics = read_md("---\ntitle: never closed\n\n## Signals\n\n" + TABLE, rel="open.md")
    assert note is None
    found = only(diagnostics, "error", "not closed")
    assert found.location is not None
    assert (found.location.path, found.location.line) == ("content/open.md", 1)


def test_front_matter_that_is_a_list_is_an_error() -> None:
    note, diagnostics = read_md("---\n- title\n- date\n---\n\n## Signals\n\n" + TABLE, rel="list.md")
    assert note is None
    found = only(diagnostics, "error", "not a mapping")
    assert found.location is not None
    assert found.location.path == "content/list.md"


def test_empty_front_matter_is_allowed() -> None:
    note, diagnostics = read_md("---\n---\n# Heading title\n\n## Signals\n\n" + TABLE)
    assert note is not None
    assert note.title == "Heading title"
    assert diagnostics == []


def test_front_matter_alias_bomb_stays_small() -> None:
    """YAML aliases must not let one short note blow up into megabytes of keywords or metadata."""
    levels = ['l0: &l0 ["ha","ha","ha","ha","ha","ha","ha","ha","ha"]']
    levels += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 6)]
    front = "\n".join([*levels, "keywords: *l5", "notes: *l5"])
    note, diagnostics = read_md(f"---\ntitle: T\n{front}\n---\n\n## Signals\n\n{TABLE}", rel="bomb.md")
    if note is not None:
        size = sum(len(k) for k in note.keywords) + sum(len(k) + len(v) for k, v in note.meta)
        assert size < 100_000, f"{size} characters of keywords and metadata from {len(front)} characters of YAML"
    else:
        only(diagnostics, "error", "front matter")


LONG_FRONT = """\
---
title: A long front matter
date: 2023-05-21
source: https://example.org/long
keywords:
  - solar
  - wind
themes: [energy]
2024: a year as a key
nested:
  owner: Someone
  tags: [a, b]
{bad}...
## Signals
{table}"""


def test_long_front_matter_fields_arrive_and_rows_keep_their_file_line() -> None:
    """Every field of a long block arrives (unknown keys as metadata); the body starts right after `...`."""
    note, diagnostics = read_md(LONG_FRONT.format(bad="", table=TABLE), rel="long.md")
    assert diagnostics == []
    assert note.kind == "front-matter"
    assert (note.title, note.date, note.source) == (
        "A long front matter",
        datetime.date(2023, 5, 21),
        "https://example.org/long",
    )
    assert note.keywords == ("solar", "wind")
    assert note.themes == ("energy",)
    assert note.meta == (("2024", "a year as a key"), ("nested", "owner: Someone; tags: a, b"))
    assert [r.loc.line for r in note.rows] == [17]  # line 15 is the header, 16 the |--| line


def test_yaml_error_deep_in_front_matter_names_its_line_in_the_note() -> None:
    note, diagnostics = read_md(LONG_FRONT.format(bad="\toops: a tab\n", table=TABLE), rel="long.md")
    assert note is None
    found = only(diagnostics, "error", "broken YAML front matter")
    assert found.format().startswith("content/long.md:13: error: broken YAML front matter: found character '\\t'")


def test_yaml_cut_off_at_the_closing_line_names_the_last_yaml_line() -> None:
    _, diagnostics = read_md('---\ntitle: ok\nsummary: "never closed\n---\n\n## Signals\n\n' + TABLE, rel="cut.md")
    found = only(diagnostics, "error", "end of stream")
    assert found.location is not None
    assert found.location.line == 3


def test_heading_right_after_front_matter_without_title_is_the_title() -> None:
    """The closing `---` is not body: no stray rule is shown, and the title's line is the heading's."""
    note, diagnostics = read_md(f"---\nauthor: Someone\n---\n# Heading title\n## Signals\n{TABLE}")
    assert diagnostics == []
    assert (note.kind, note.title, note.title_line) == ("front-matter", "Heading title", 4)
    assert note.meta == (("author", "Someone"),)
    assert note.sections == ()
    assert [r.loc.line for r in note.rows] == [8]


# --- the first body line and the date when the title is not a heading ------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "First line right under the front matter.\nSecond line.\n",
        "First line right under the front matter.\n\nSecond line.\n",
        "- First line right under the front matter.\n- Second line.\n",
    ],
    ids=["paragraph", "two-paragraphs", "list"],
)
def test_text_right_under_front_matter_with_a_title_is_kept(body: str) -> None:
    """With `title:` in front matter the first body line is ordinary content, not a title line to leave out."""
    note, diagnostics = read_md(f"---\ntitle: From front matter\n---\n{body}\n## Signals\n\n{TABLE}", rel="fm.md")
    assert diagnostics == []
    assert (note.kind, note.title) == ("front-matter", "From front matter")
    assert len(note.sections) == 1
    html = note.sections[0].html
    assert "First line right under the front matter." in html
    assert "Second line." in html
    assert [r.loc.line for r in note.rows] == [body.count("\n") + 9]  # 3 front matter lines, then the body


@pytest.mark.parametrize(
    "text",
    [
        "Opening line of a note without a title.\nIts second line.\n\n## Signals\n\n" + TABLE,
        "---\nauthor: Someone\n---\nOpening line of a note without a title.\nIts second line.\n\n## Signals\n\n"
        + TABLE,
    ],
    ids=["plain", "front-matter-without-title"],
)
def test_no_title_keeps_the_first_body_line(text: str) -> None:
    note, diagnostics = read_md(text, rel="untitled.md")
    assert note.title == "untitled"
    only(diagnostics, "warning", "no title")
    assert len(note.sections) == 1
    assert "Opening line of a note without a title." in note.sections[0].html
    assert "Its second line." in note.sections[0].html


@pytest.mark.parametrize(
    "heading",
    ["# Heading title", "Heading title\n=============", "# __Heading title__"],
    ids=["atx", "setext", "native-without-date"],
)
def test_front_matter_date_is_kept_when_the_title_is_a_heading(heading: str) -> None:
    """The heading gives the title but no date: the front matter's `date:` is the note's date, without a warning."""
    note, diagnostics = read_md(f"---\ndate: 2023-05-21\n---\n{heading}\n\nIntro.\n\n## Signals\n\n{TABLE}")
    assert diagnostics == []
    assert note.title == "Heading title"
    assert note.date == datetime.date(2023, 5, 21)
    assert "Intro." in note.sections[0].html
    assert "Heading title" not in note.sections[0].html  # the heading is the title, not content


def test_front_matter_date_and_the_same_title_line_date_agree_silently() -> None:
    text = f"---\ndate: 2023-05-21\n---\n# __T__, from ([20230521](https://news.example.org/7).)\n## Signals\n{TABLE}"
    note, diagnostics = read_md(text)
    assert diagnostics == []
    assert (note.title, note.date, note.issue) == ("T", datetime.date(2023, 5, 21), "https://news.example.org/7")


def test_front_matter_date_wins_over_a_different_title_line_date_with_a_warning() -> None:
    text = f"---\ndate: 2023-05-21\n---\n# __T__, from ([20230522](https://news.example.org/7).)\n## Signals\n{TABLE}"
    note, diagnostics = read_md(text, rel="both.md")
    assert note.date == datetime.date(2023, 5, 21)
    assert note.issue == "https://news.example.org/7"
    found = only(diagnostics, "warning", "2023-05-21", "2023-05-22")
    assert found.format().startswith("content/both.md:4: warning: ")
    assert "front matter" in found.format()
    assert len(diagnostics) == 1


def test_invalid_title_line_date_under_a_front_matter_date() -> None:
    text = f"---\ndate: 2023-05-21\n---\n# __T__, from ([20231345](https://news.example.org/7).)\n## Signals\n{TABLE}"
    note, diagnostics = read_md(text, rel="bad.md")
    assert note.date == datetime.date(2023, 5, 21)
    found = only(diagnostics, "warning", "'20231345'", "not a valid")
    assert found.location is not None
    assert found.location.line == 4
    assert "no date" not in found.format()  # the note has the front matter's date
    assert len(diagnostics) == 1


def test_invalid_front_matter_date_falls_back_to_the_title_line_date() -> None:
    text = f"---\ndate: someday\n---\n# __T__, from ([20230522](https://news.example.org/7).)\n## Signals\n{TABLE}"
    note, diagnostics = read_md(text, rel="bad.md")
    assert note.date == datetime.date(2023, 5, 22)
    found = only(diagnostics, "warning", "'someday'", "not a date")
    assert found.location is not None
    assert found.location.line == 2
    assert "no date" not in found.format()  # the note has the title line's date
    assert len(diagnostics) == 1


@pytest.mark.parametrize("heading_date", ["29990101", "29990102", ""], ids=["same", "different", "none"])
def test_future_front_matter_date_is_warned_about_once(heading_date: str) -> None:
    heading = f"# __T__, from ([{heading_date}](https://n.example.org/).)" if heading_date else "# __T__"
    note, diagnostics = read_md(f"---\ndate: 2999-01-01\n---\n{heading}\n## Signals\n{TABLE}", rel="f.md")
    assert note.date == datetime.date(2999, 1, 1)
    found = only(diagnostics, "warning", "2999-01-01 is in the future")
    assert found.location is not None
    assert found.location.line == 2


def test_dashes_further_down_a_note_without_front_matter_are_not_front_matter() -> None:
    """Only a `---` first line opens front matter: a setext heading and a rule further down are Markdown."""
    text = f"# A note\n\nIntro\n\nPart one\n---\n\nText.\n\n---\n\n## Signals\n\n{TABLE}"
    note, diagnostics = read_md(text)
    assert diagnostics == []
    assert note.kind == "markdown"
    assert note.title == "A note"
    assert len(note.sections) == 1
    assert "<p>Intro</p>" in note.sections[0].html
    assert "<hr />" in note.sections[0].html
    assert [r.loc.line for r in note.rows] == [16]


# --- titles and missing parts ---------------------------------------------------------------------------


def test_plain_heading_is_the_title() -> None:
    note, diagnostics = read_md("# Just a *heading*\n\n## Signals\n\n" + TABLE)
    assert note.title == "Just a heading"
    assert note.kind == "markdown"
    assert diagnostics == []


def test_no_title_uses_the_file_name_and_warns() -> None:
    note, diagnostics = read_md("## Summary\n\nNo title here.\n\n## Signals\n\n" + TABLE, rel="sub/untitled-note.md")
    assert note.title == "untitled-note"
    found = only(diagnostics, "warning", "no title")
    assert found.location is not None
    assert found.location.path == "content/sub/untitled-note.md"


def test_no_signals_section_warns() -> None:
    note, diagnostics = read_md("# T\n\n## Summary\n\nNothing else.\n", rel="n.md")
    assert note.rows == ()
    found = only(diagnostics, "warning", "no Signals section")
    assert found.location is not None
    assert found.location.path == "content/n.md"


def test_signals_section_without_table_warns_at_the_heading() -> None:
    note, diagnostics = read_md("# T\n\n## Signals\n\nTo be written.\n\n## Closest\n", rel="n.md")
    assert note.rows == ()
    found = only(diagnostics, "warning", "no table")
    assert found.location is not None
    assert found.location.line == 3


# --- BOM and CRLF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [native_note(closest=(("X", "x"),)), FRONT.format(table=TABLE)])
def test_bom_and_crlf_read_the_same_as_lf(text: str) -> None:
    lf, lf_diagnostics = read_md(text.encode("utf-8"), rel="same.md")
    crlf, crlf_diagnostics = read_md(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"), rel="same.md")
    assert lf is not None
    assert crlf == lf
    assert crlf_diagnostics == lf_diagnostics
    assert "\r" not in crlf.summary_html
    assert "\ufeff" not in crlf.title


# --- Closest ----------------------------------------------------------------------------------------------


def test_closest_targets() -> None:
    text = _note_with(
        "## Closest\n\n"
        "* [Plain id](0123456789abcdef0123456789abcdef)\n"
        "* [With suffix](some-note.md)\n"
        "* [Relative with anchor](../x/deep-note.md#a)\n"
        "* [Angle brackets](<spaced-note.md>)\n"
        "* [Web page](https://example.org/page)\n"
        "* A title without a link\n"
        "- *Emphasised* title\n"
    )
    note, _ = read_md(text)
    assert [(c.label, c.target) for c in note.closest] == [
        ("Plain id", "0123456789abcdef0123456789abcdef"),
        ("With suffix", "some-note"),
        ("Relative with anchor", "deep-note"),
        ("Angle brackets", "spaced-note"),
        ("Web page", None),
        ("A title without a link", None),
        ("Emphasised title", None),
    ]
    assert [c.loc.line for c in note.closest] == list(range(5, 12))
