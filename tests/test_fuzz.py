"""Property tests over hostile and random input: every reader, the table writer and reader, ids, forces, URLs, YAML.

Any text in gives a note or diagnostics, never an exception. The default hypothesis profile keeps these fast
for CI; `make fuzz` runs them with the `fuzz` profile (tests/conftest.py), many times more examples.
"""

from __future__ import annotations

import contextlib
import datetime
import posixpath
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from signalkb.core import urls, yamlsafe
from signalkb.core.config import load_config
from signalkb.core.diagnostics import MAX_MESSAGE, Diagnostic, SourceLocation
from signalkb.core.model import COLUMNS, Cell, ClosestRef, ParsedNote, RawRow
from signalkb.core.slugs import is_windows_reserved, name_key, slugify
from signalkb.forces.matching import ForceResolver, Taxonomy, parse_taxonomy, split_phrases
from signalkb.linking.knowledge_base import build_knowledge_base
from signalkb.notes import markup, readers
from signalkb.notes.importer import export_markdown
from signalkb.notes.readers.markdown import read_markdown
from signalkb.notes.readers.plaintext import read_plaintext
from signalkb.notes.sources import SourceFile, decode

SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""For tests whose examples are whole notes or knowledge bases."""

ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
"""What every id in a URL looks like: lowercase ASCII letters, digits, `-` and `_`."""

# --- strategies ------------------------------------------------------------------------------------------

MD_PIECES = [
    "---",
    "...",
    "# ",
    "## ",
    "## Signals",
    "### signals",
    "## Summary",
    "## Keywords",
    "## Themes",
    "## Closest",
    "## Other",
    "| Signal | Change | 10y horizon | Driving force |",
    "| name | description | change | 10-year |",
    "|---|---|---|---|",
    "|:--|:--:|",
    "| a | b | c | d |",
    "| x \\| y |",
    "|",
    "||",
    "\\",
    "```",
    "~~~",
    "    ",
    "\t",
    "* ",
    "- ",
    "1. ",
    "> ",
    "===",
    "[",
    "]",
    "(",
    ")",
    "[t](0505a73ce4b14c86bd62f374ef83abc9)",
    "[x](javascript:alert(1))",
    "__[External link](https://e.org/a)__",
    "# __T__, from ([20240115](https://n.org/1).)",
    "(from page [2024](x).)",
    "title: x",
    "date: 2024-13-45",
    "date: 2024-02-30",
    "id: ../../etc/passwd",
    "keywords: [a, *b]",
    "&a [1]",
    "*a",
    "!!binary",
    "!!timestamp",
    "!!float",
    "!!python/object:os.system",
    "? [a]",
    "{",
    "}",
    '"',
    "'",
    "&amp;",
    "&#0;",
    "<script>alert(1)</script>",
    "<!--",
    "*",
    "_",
    "`",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\x0b",
    "\x1b[31m",
    "é",
    "日本",
    "🙂",
    " ",
    "  ",
    ":",
    ";",
    ",",
    "!",
    "CON",
]
EXPORT_PIECES = [
    "Futures",
    "Summary",
    "Keywords",
    "Themes",
    "Signals",
    "Closest",
    "Closest notes:",
    "External link",
    "A title, from (20230521.)",
    "Title, from (2023-02-30.)",
    "from (99999999.)",
    "Signal Change 10y horizon Driving force",
    "name description change 10-year driving-force relevancy",
    "Open models spread Cheaper AI Most apps run local models Open-source collaboration",
    "The EU AI Act OpenAI NATO",
    "\t",
    "|",
    "  ",
    " ",
    "“",
    "”",
    "(",
    ")",
    "• ",
    "1. ",
    "\u200b",
    "é",
    "日本",
]


def lines_of(pieces: Sequence[str], max_lines: int = 40) -> st.SearchStrategy[str]:
    """Text made of lines that look like the format (and some that do not), joined by newlines."""
    line = st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=8)), max_size=8).map("".join)
    return st.lists(line, max_size=max_lines).map("\n".join)


markdown_text = st.one_of(lines_of(MD_PIECES), st.text(max_size=400))
export_text = st.one_of(lines_of(EXPORT_PIECES), st.text(max_size=400))
file_stem = st.one_of(
    st.sampled_from(
        [
            "CON",
            "nul",
            "Com1",
            "lpt9",
            "a",
            "A",
            "a b",
            "x.y",
            "日本",
            "\u200b",
            "-",
            "0505a73ce4b14c86bd62f374ef83abc9",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]), min_size=1, max_size=12),
)


def source(text: str, rel: str) -> SourceFile | Diagnostic:
    """A content file as discovery reads it: decoded like a file on disk, or the error that skips it."""
    display = f"content/{rel}"
    decoded, problem = decode(text.encode("utf-8", "surrogatepass"), display)
    if problem is not None:
        return problem
    assert decoded is not None
    return SourceFile(Path(rel), rel, display, decoded, "fuzz")


def well_formed(diagnostics: Sequence[Diagnostic], display: str, text: str) -> None:
    """Every diagnostic names the file (or nothing) and a line that exists."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for d in diagnostics:
        line = d.format()
        assert line, d
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in line), f"control character in {line!r}"
        assert len(line) < MAX_MESSAGE + 500, "an enormous message"
        if d.location is not None:
            assert d.location.path == display, line
            assert d.location.line is None or 1 <= d.location.line <= lines, line


def check_note(note: ParsedNote | None, diagnostics: list[Diagnostic], src: SourceFile) -> None:
    well_formed(diagnostics, src.display_path, src.text)
    if note is None:
        return
    assert note.title.strip(), "a note always has a title (at worst its file name)"
    for row in note.rows:
        assert set(row.cells) == set(COLUMNS)
        assert row.loc.path == src.display_path
        assert row.loc.line is not None and 1 <= row.loc.line <= src.text.count("\n") + 1
        for cell in [*row.cells.values(), *(c for _, c in row.extra)]:
            assert "\n" not in cell.text


# --- readers: any text in, a note or diagnostics out ------------------------------------------------------


@SLOW
@given(markdown_text)
def test_markdown_reader_never_raises(text: str) -> None:
    src = source(text, "note.md")
    if isinstance(src, Diagnostic):
        assert src.is_error
        return
    note, diagnostics = read_markdown(src)
    check_note(note, diagnostics, src)
    if note is None:
        assert any(d.is_error for d in diagnostics), "a note that cannot be read says why"


@SLOW
@given(export_text)
def test_plaintext_reader_never_raises(text: str) -> None:
    src = source(text, "note.txt")
    if isinstance(src, Diagnostic):
        return
    note, diagnostics = read_plaintext(src)
    check_note(note, diagnostics, src)
    if note is not None:
        finished, problems = readers.finish([note])
        assert len(finished) == 1
        well_formed(problems, src.display_path, src.text)


@given(st.binary(max_size=300), st.sampled_from(["a.md", "a.txt"]))
def test_any_bytes_decode_to_text_or_one_error(data: bytes, rel: str) -> None:
    text, problem = decode(data, f"content/{rel}")
    assert (text is None) == (problem is not None)
    if problem is not None:
        assert problem.is_error and problem.location is not None and problem.location.line is not None
        return
    assert text is not None and "\r" not in text and "\x00" not in text
    _note, diagnostics = readers.read_note(SourceFile(Path(rel), rel, f"content/{rel}", text, "fuzz"))
    well_formed(diagnostics, f"content/{rel}", text)


# --- a whole knowledge base: unique, URL-safe ids ----------------------------------------------------------


notes_on_disk = st.lists(
    st.tuples(st.sampled_from(["", "sub/"]), file_stem, st.sampled_from([".md", ".txt", ".MD"]), markdown_text),
    min_size=1,
    max_size=5,
    unique_by=lambda t: t[0] + t[1] + t[2],
)


@SLOW
@given(notes_on_disk)
def test_any_knowledge_base_links_with_unique_url_safe_ids(files: list[tuple[str, str, str, str]]) -> None:
    parsed: list[ParsedNote] = []
    for folder, stem, suffix, text in files:
        src = source(text, f"{folder}{stem}{suffix}")
        if isinstance(src, Diagnostic):
            continue
        note, diagnostics = readers.read_note(src)
        well_formed(diagnostics, src.display_path, src.text)
        if note is not None:
            parsed.append(note)
    parsed, _ = readers.finish(parsed)
    kb, _ = build_knowledge_base(parsed, Taxonomy())
    for kind, ids in (
        ("note", [n.id for n in kb.notes]),
        ("signal", [s.id for s in kb.signals]),
        ("force", [f.id for f in kb.forces]),
        ("keyword", [t.id for t in kb.keywords]),
        ("theme", [t.id for t in kb.themes]),
    ):
        assert len(set(ids)) == len(ids), f"two {kind}s share an id: {ids}"
        for i in ids:
            assert ID.match(i) and not is_windows_reserved(i), f"{kind} id {i!r} is not URL-safe"
            path = urls.output_path(urls.note(i))
            assert posixpath.normpath(path) == path and not path.startswith("/")
    assert len(kb.notes) == len(parsed)


# --- the signal table: written as Markdown, read back the same ---------------------------------------------

MARKUP = [*list("|\\*_`[]()<>&!#~-:=+.;\t "), "&amp;", "&#124;", "**", "__", "~~", "](", "<b>", "\\|", "\xa0", "\u200b"]
cell_text = (
    st.lists(
        st.one_of(st.sampled_from(MARKUP), st.characters(blacklist_characters="\n\r\x00", blacklist_categories=["Cs"])),
        max_size=30,
    )
    .map("".join)
    .map(str.strip)
)
row_cells = st.tuples(cell_text, cell_text, cell_text, cell_text, st.lists(cell_text, max_size=2))
text_line = cell_text.filter(bool)
item_text = st.text(
    alphabet=st.characters(blacklist_characters="\n\r\x00", blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]),
    min_size=1,
    max_size=20,
)


def _loc(line: int) -> SourceLocation:
    return SourceLocation("content/x.txt", line)


@example("C #", None, [("a", "b", "c", "d", [])], [], [], [])  # the closing `#` of a heading lost the title's `#`
@given(
    text_line,
    st.one_of(st.none(), st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31))),
    st.lists(row_cells, min_size=1, max_size=6),
    st.lists(item_text, max_size=3),
    st.lists(item_text, max_size=3),
    st.lists(text_line, max_size=3),
)
def test_a_table_written_as_markdown_reads_back_the_same(
    title: str,
    date: datetime.date | None,
    rows: list[tuple[str, str, str, str, list[str]]],
    keywords: list[str],
    themes: list[str],
    closest: list[str],
) -> None:
    """`import` writes notes with export_markdown; reading one back gives the very same rows, cell for cell."""
    raw_rows = []
    for n, (signal, change, horizon, force, extra) in enumerate(rows, 1):
        cells = dict(zip(COLUMNS, (Cell(t, "") for t in (signal, change, horizon, force)), strict=True))
        raw_rows.append(RawRow(_loc(n), cells, tuple((f"extra {k}", Cell(t, "")) for k, t in enumerate(extra))))
    note = ParsedNote(
        path="x.txt",
        display_path="content/x.txt",
        kind="plain-text",
        title=title,
        title_line=1,
        date=date,
        issue=None,
        source=None,
        summary_html="",
        summary_text="A summary.",
        keywords=tuple(dict.fromkeys(keywords)),
        themes=tuple(dict.fromkeys(themes)),
        rows=tuple(raw_rows),
        closest=tuple(ClosestRef(label, None, _loc(1)) for label in closest),
    )
    text = export_markdown(note)
    src = source(text, "x.md")
    assert isinstance(src, SourceFile)
    back, diagnostics = read_markdown(src)
    assert back is not None, [d.format() for d in diagnostics]
    assert not [d for d in diagnostics if d.is_error], [d.format() for d in diagnostics]
    width = 4 + max(len(r[4]) for r in rows)

    def padded(row: tuple[str, str, str, str, list[str]]) -> list[str]:
        return [*row[:4], *row[4], *[""] * (width - 4 - len(row[4]))]

    got = [[*(r.cells[c].text for c in COLUMNS), *(c.text for _, c in r.extra)] for r in back.rows]
    assert got == [padded(r) for r in rows]
    assert back.title == title
    assert back.date == date
    assert list(back.keywords) == [" ".join(k.split()) for k in dict.fromkeys(keywords)]
    assert list(back.themes) == [" ".join(t.split()) for t in dict.fromkeys(themes)]
    assert [c.label for c in back.closest] == closest


# --- slugs and force names ------------------------------------------------------------------------------------


@given(st.lists(st.text(max_size=40), min_size=1, max_size=30))
def test_force_phrases_always_resolve(cells: list[str]) -> None:
    """Every phrase of every Driving force cell goes to a force, or is kept as a general phrase, whatever it holds."""
    uses: dict[str, int] = {}
    for cell in cells:
        for phrase in split_phrases(cell):
            assert phrase == phrase.strip() and name_key(phrase)
            uses[phrase] = uses.get(phrase, 0) + 1
    resolver = ForceResolver(Taxonomy())
    matches = resolver.resolve_all(uses)
    assert set(matches) == set(uses)
    for phrase, found in matches.items():
        assert bool(found) != (phrase in resolver.general), phrase
        assert all(m.key for m in found)


@given(st.text(max_size=200))
def test_name_key_is_trimmed_single_spaced_and_visible(text: str) -> None:
    key = name_key(text)
    assert key == key.strip()
    assert "  " not in key
    assert not any(ch in key for ch in "\u200b\u200c\u200d\u2060\ufeff\u202e\u202d\u2066\u2069")


@given(st.text(max_size=200))
def test_every_entity_url_stays_inside_the_site(text: str) -> None:
    slug = slugify(text)
    for make in (urls.note, urls.signal, urls.force, urls.theme, urls.keyword, urls.category):
        url = make(slug)
        path = urls.output_path(url)
        assert not path.startswith("/") and ".." not in PurePosixPath(path).parts
        assert posixpath.normpath(path) == path
        assert urls.relative(url, "").count("../") == url.count("/")


# --- YAML: front matter, forces.yaml, site.yaml -------------------------------------------------------------

YAML_PIECES = [
    "title: ",
    "date: ",
    "2024-13-45",
    "2024-02-29",
    "2023-02-29",
    "2024-01-01 25:00:00",
    "!!timestamp ",
    "!!float ",
    "!!int ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!python/object/apply:os.system ",
    "&a ",
    "*a",
    "<<: *a",
    "[",
    "]",
    "{",
    "}",
    ",",
    "- ",
    "  ",
    "\t",
    "? ",
    ": ",
    "'",
    '"',
    "0x",
    "1e999",
    ".inf",
    "~",
    "null",
    "yes",
    "\n",
    "x",
    "é",
    "forces:",
    "label: ",
    "aliases: ",
    "parent: ",
    "categories: ",
    "home_notes: ",
    "out_dir: ",
]
yaml_text = st.lists(st.sampled_from(YAML_PIECES), max_size=30).map("".join)


@example("date: 2024-13-45")  # ValueError from PyYAML's date constructor
@example("x: !!timestamp ")  # AttributeError
@example("x: !!int ")  # IndexError
@example("k: " + "[" * 2000)  # RecursionError
@given(yaml_text)
def test_yaml_values_never_raise_anything_but_yaml_errors(text: str) -> None:
    import yaml

    with contextlib.suppress(yaml.YAMLError, yamlsafe.TooLarge):
        yamlsafe.load(text)


@SLOW
@example("date: 2024-02-30")  # was a traceback; now a warning, and the note is built without a date
@given(yaml_text)
def test_front_matter_of_any_yaml_gives_a_note_or_an_error(text: str) -> None:
    src = source(f"---\n{text}\n---\n# Title\n", "note.md")
    assert isinstance(src, SourceFile)
    note, diagnostics = read_markdown(src)
    check_note(note, diagnostics, src)


@example("forces: " + "[" * 2000)  # RecursionError
@given(yaml_text)
def test_forces_yaml_of_any_yaml_gives_diagnostics(text: str) -> None:
    taxonomy, diagnostics = parse_taxonomy(text, "content/forces.yaml")
    well_formed(diagnostics, "content/forces.yaml", text)
    ForceResolver(taxonomy).resolve_all({"Open-source collaboration": 1})


@settings(max_examples=40)
@example("title: 2024-13-45")  # was a traceback
@example("title:\nlanguage:")  # was the text "None" on every page
@given(yaml_text)
def test_site_yaml_of_any_yaml_gives_a_config_or_an_error(tmp_path_factory: object, text: str) -> None:
    folder = tmp_path_factory.mktemp("config")  # type: ignore[attr-defined]
    path = folder / "site.yaml"
    path.write_text(text, encoding="utf-8")
    config, diagnostics = load_config(path)
    assert all(isinstance(getattr(config, key), str) for key in ("title", "description", "language"))
    for d in diagnostics:
        assert d.format()


# --- Markdown rendering: no markup a note can write runs in a browser ------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


SAFE_TAGS = {
    "p", "em", "strong", "code", "pre", "a", "img", "s", "del", "br", "hr", "ul", "ol", "li", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_ATTRS = {"href", "src", "alt", "title", "style", "start", "class"}
HOSTILE_PIECES = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href='javascript:x'>",
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](java\tscript:x)",
    "[a](data:text/html,x)",
    "![i](data:image/svg+xml,x)",
    "<javascript:alert(1)>",
    "<data:text/html,x>",
    "[a](vbscript:x)",
    "[a]: javascript:x",
    "[a]",
    "`",
    "*",
    "&#106;avascript:",
    "&colon;",
    "\n",
    "\n\n",
    "| a | b |\n|---|---|\n| c | d |",
    "<!-- x -->",
    '" onmouseover="x',
    "' onfocus='x",
    "<style>",
    "<iframe src=x>",
    "<base href=//evil>",
    "<meta http-equiv=refresh>",
]
hostile_markdown = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=5)), max_size=12).map("".join)


@given(hostile_markdown)
def test_rendered_markdown_has_only_harmless_markup(text: str) -> None:
    for html in (markup.render_block(text), markup.render_inline(text.replace("\n", " "))):
        parser = _Tags()
        parser.feed(html)
        parser.close()
        for tag, attrs in parser.found:
            assert tag in SAFE_TAGS, (tag, html)
            for name, value in attrs:
                assert name in SAFE_ATTRS, (tag, name, html)
                if name in ("href", "src"):
                    value = value or ""
                    assert markup.safe_url(value) is not None or value.startswith("data:image/"), (value, html)


@given(st.text(max_size=80))
def test_safe_url_only_passes_web_schemes(text: str) -> None:
    url = markup.safe_url(text)
    assume(url is not None)
    assert url is not None
    lowered = url.lower().replace("\t", "")
    assert not lowered.startswith(("javascript:", "data:", "vbscript:", "file:"))
