"""Markdown notes → ParsedNote: native notes (title line with date), front-matter notes, and plain Markdown.

The block structure (front matter, headings, fenced code, the signal table) is scanned line by line so
every row keeps its exact line number and short or long rows are seen as written; prose is rendered
by markup.py.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from signalkb.core import yamlsafe
from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, warning
from signalkb.core.model import ClosestRef, ParsedNote, RawRow, Section
from signalkb.notes import markup, table
from signalkb.notes.readers.common import check_date, clean_items, parse_date, split_items, yaml_scalar_text
from signalkb.notes.sources import SourceFile

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d{1,9}[.)])\s+(.*)$")
_LINK = re.compile(r"^\[(?P<label>(?:[^\]\\]|\\.)*)\]\(\s*<?(?P<target>[^)>\s]*)>?(?:\s+\"[^\"]*\")?\s*\)(?P<rest>.*)$")
_EXTERNAL = re.compile(r"\[\s*external\s+link\s*\]\(\s*<?([^)>\s]*)>?\s*\)", re.IGNORECASE)
_NATIVE_TITLE = re.compile(
    r"^(?P<title>.*?)[\s,]*\(?\s*from\s+(?:page\s+)?\(?\s*\[(?P<date>[^\]]*)\]\(\s*(?P<url>\S*?)\s*\)\s*\.?\s*\)?\s*\.?\s*$",
    re.IGNORECASE,
)
_STRONG = re.compile(r"^(__|\*\*)(?P<inner>.+)\1$")
_KEY_VALUE = re.compile(r"^(?P<key>[^:]{1,60}):\s*(?P<value>.*)$")
_OPENING = re.compile(r"---[^\S\n]*(?:\n|$)")

KNOWN_SECTIONS = {
    "summary": "summary",
    "keywords": "keywords",
    "themes": "themes",
    "signals": "signals",
    "closest": "closest",
    "closest notes": "closest",
    "other": "other",
}


class FrontMatterHandler(YAMLHandler):
    """python-frontmatter's YAML handler for signal notes: yamlsafe's bounded safe loader, `---` … `---`/`...`.

    One instance reads one note and keeps what python-frontmatter does not pass on: where the block ends
    (`closing_line`, -1 while no closing line was found) and the parsed value even when it is not a mapping.
    """

    FM_BOUNDARY = re.compile(r"^(?:---|\.\.\.)[^\S\n]*$", re.MULTILINE)
    """A line holding only `---` or `...` (trailing blanks allowed): opens (`---` only) or closes the block."""

    def __init__(self) -> None:
        super().__init__()
        self.closing_line = -1
        """0-based index of the line that closes the block; -1 until python-frontmatter has split one off."""
        self.data: Any = None

    def detect(self, text: str) -> bool:
        """True when the note's first line is `---` (python-frontmatter does not call this when given a handler)."""
        return _OPENING.match(text) is not None

    def load(self, fm: str, **kwargs: object) -> Any:
        """Parse the block with yamlsafe (safe loader, alias bombs and deep nesting refused); kwargs are ignored."""
        # `fm` runs from the end of the opening `---` to the start of the closing line: one line break per line.
        self.closing_line = fm.count("\n")
        # Without the line breaks that end the opening line and the last YAML line, as the YAML is written:
        # a YAML error's line + 1 is then its line index in the note, and "end of stream" points at the last line.
        self.data = yamlsafe.load(fm.removeprefix("\n").removesuffix("\n"))
        return self.data


@dataclass
class _Block:
    """A heading and the lines under it (indices into the note's lines)."""

    title: str
    level: int
    line: int
    """0-based index of the heading line (or of the first body line for the preamble)."""
    body: list[int] = field(default_factory=list)


def _scan(lines: list[str], start: int) -> tuple[list[_Block], int | None]:
    """Split lines[start:] into a preamble and one block per ATX or setext heading, ignoring fenced code.

    Also returns the index of the line that opens a code fence never closed (it runs to the end), or None.
    """
    blocks = [_Block("", 0, start)]
    fence: str | None = None
    fence_line = 0
    i = start
    while i < len(lines):
        line = lines[i]
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            blocks[-1].body.append(i)
        elif fence_match:
            fence = fence_match.group(1)
            fence_line = i
            blocks[-1].body.append(i)
        elif (m := _ATX.match(line)) is not None:
            blocks.append(_Block((m.group(2) or "").strip(), len(m.group(1)), i))
        elif (
            i + 1 < len(lines)
            and _SETEXT.match(lines[i + 1])
            and line.strip()
            and not line.lstrip().startswith(("|", "*", "-", "+", ">", "#"))
            and (i == start or not lines[i - 1].strip())
            and not table.is_delimiter_row(lines[i + 1])
        ):
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            blocks.append(_Block(line.strip(), level, i))
            i += 1
        else:
            blocks[-1].body.append(i)
        i += 1
    return blocks, (fence_line if fence is not None else None)


def _section_name(title: str) -> str | None:
    key = " ".join(re.sub(r"[*_`:]", "", markup.inline_plain(title)).casefold().split())
    return KNOWN_SECTIONS.get(key)


class _Reader:
    """Reads one Markdown note; collects diagnostics as it goes."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.lines = source.text.split("\n")
        self.diagnostics: list[Diagnostic] = []

    def loc(self, index: int | None) -> SourceLocation:
        return SourceLocation(self.source.display_path, None if index is None else index + 1)

    def warn(self, message: str, index: int | None, hint: str | None = None) -> None:
        self.diagnostics.append(warning(message, self.loc(index), hint))

    # front matter ------------------------------------------------------------------------------

    def front_matter(self) -> tuple[dict[str, Any] | None, int]:
        """The front-matter mapping (None if there is none or it is broken) and the first body line index.

        python-frontmatter splits the block off and parses it with FrontMatterHandler (yamlsafe's loader). The
        body it returns is stripped, so the body is read from the file's own lines after the closing line:
        rows keep their exact line numbers and the first body line its indentation.
        """
        handler = FrontMatterHandler()
        if not handler.detect(self.source.text):
            return None, 0
        try:
            metadata, _ = frontmatter.parse(self.source.text, handler=handler)
        except yamlsafe.TooLarge as exc:
            self.diagnostics.append(
                error(f"front matter is too large: {exc}", self.loc(0), "remove the YAML aliases or the deep nesting")
            )
            return None, handler.closing_line + 1
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = (mark.line + 1) if mark is not None else 0  # the YAML starts on the note's second line
            problem = exc.problem or exc.context or "invalid YAML"
            self.diagnostics.append(
                error(f"broken YAML front matter: {problem}", self.loc(line), "fix the YAML between the `---` lines")
            )
            return None, handler.closing_line + 1
        except yaml.YAMLError as exc:
            self.diagnostics.append(error(f"broken YAML front matter: {exc}", self.loc(0)))
            return None, handler.closing_line + 1
        if handler.closing_line < 0:  # python-frontmatter found no closing line and returned the text as it was
            self.diagnostics.append(
                error("front matter is not closed", self.loc(0), "end it with a line holding only `---`")
            )
            return None, len(self.lines)
        if handler.data is not None and not isinstance(handler.data, dict):  # python-frontmatter drops these
            self.diagnostics.append(
                error(
                    "front matter is not a mapping of keys to values",
                    self.loc(0),
                    "write `key: value` lines such as `title: ...` and `date: 2024-01-31`",
                )
            )
            return None, handler.closing_line + 1
        return {str(k): v for k, v in metadata.items()}, handler.closing_line + 1

    # the parts of a note -------------------------------------------------------------------------

    def body_text(self, indices: list[int]) -> str:
        return "\n".join(self.lines[i] for i in indices)

    def items(self, block: _Block) -> list[str]:
        """Keywords/Themes: list items, or comma-separated text."""
        raw: list[str] = []
        for i in block.body:
            line = self.lines[i].strip()
            if not line:
                continue
            m = _LIST_ITEM.match(line)
            raw.extend([m.group(1)] if m else split_items(line))
        return clean_items(markup.inline_plain(item) for item in raw)

    def closest(self, block: _Block) -> list[ClosestRef]:
        refs: list[ClosestRef] = []
        for i in block.body:
            line = self.lines[i].strip()
            if not line:
                continue
            m = _LIST_ITEM.match(line)
            item = (m.group(1) if m else line).strip()
            link = _LINK.match(item)
            if link:
                target = link.group("target").strip()
                refs.append(ClosestRef(markup.inline_plain(link.group("label")), _target_id(target), self.loc(i)))
            elif item:
                refs.append(ClosestRef(markup.inline_plain(item), None, self.loc(i)))
        return refs

    def signal_table(self, block: _Block) -> tuple[list[RawRow], list[int]]:
        """The first table of the Signals section and the indices of the lines it used."""
        body = block.body
        for pos, i in enumerate(body[:-1]):
            if "|" in self.lines[i] and table.is_delimiter_row(self.lines[body[pos + 1]]):
                break
        else:
            self.warn(
                "the Signals section has no table; the note has no signals",
                block.line,
                "add a table with the columns Signal | Change | 10y horizon | Driving force",
            )
            return [], []
        header, problems = table.read_header(table.split_row(self.lines[i]), self.loc(i))
        self.diagnostics.extend(problems)
        used = [i, body[pos + 1]]
        rows: list[RawRow] = []
        for j in body[pos + 2 :]:
            line = self.lines[j]
            if not line.strip() or "|" not in line:
                break
            used.append(j)
            if header.missing:
                continue
            row, row_problems = table.make_row(header, table.split_row(line), self.loc(j))
            self.diagnostics.extend(row_problems)
            rows.append(row)
        if not rows and not header.missing:
            self.warn("the signal table has no rows; the note has no signals", i, "add a row under the |---| line")
        return rows, used

    def other_pairs(self, block: _Block) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for i in block.body:
            m = _LIST_ITEM.match(self.lines[i])
            if m and (kv := _KEY_VALUE.match(m.group(1).strip())):
                pairs.append((markup.inline_plain(kv.group("key")), markup.inline_plain(kv.group("value"))))
        return pairs

    def read(self) -> ParsedNote | None:
        meta_map, start = self.front_matter()
        if meta_map is None and start > 0:
            return None
        blocks, open_fence = _scan(self.lines, start)
        if open_fence is not None:
            after = len(self.lines) - open_fence - (2 if self.lines[-1] == "" else 1)
            self.warn(
                f"this code fence is never closed, so the {after} lines after it are read as code "
                "(headings and tables there are not sections)",
                open_fence,
                "close it with a line of the same backticks (or tildes), or remove it",
            )
        kind = "front-matter" if meta_map is not None else "markdown"
        title: str | None = None
        title_line = start
        date: datetime.date | None = None
        heading_dated = False  # the date comes from the title line, not from front matter
        issue: str | None = None
        source: str | None = None
        meta: list[tuple[str, str]] = []
        id_hint: str | None = None
        front = meta_map or {}

        if meta_map is not None:
            title, date, source, id_hint = self.front_fields(front, meta)
        bad_front_date = date is None and front.get("date") is not None

        preamble = blocks[0]
        first = blocks[1] if len(blocks) > 1 else None
        if first is not None and first.level == 1 and title is None:
            title_line = first.line
            # A date in front matter is explicit and wins; the title line's date fills in where there is none.
            title, heading_date, issue, native = self.title_line(first, date)
            if date is None and heading_date is not None:
                date, heading_dated = heading_date, True
            if native:
                kind = "native"
            preamble = _Block("", 0, first.line, preamble.body + first.body)
            blocks = [preamble, *blocks[2:]]
        if bad_front_date:
            self.warn(
                f"front matter date {str(front['date'])[:40]!r} is not a date; "
                + (f"the title line's date {date.isoformat()} is used" if date else "the note has no date"),
                self._key_line("date"),
                "write `date: YYYY-MM-DD`",
            )
        if title is None:
            title = PurePosixPath(self.source.rel_path).stem
            self.warn(
                "note has no title; the file name is used",
                None,
                "start the note with `# Title` or give `title:` in front matter",
            )

        source_lines: list[int] = []
        for i in preamble.body:
            m = _EXTERNAL.search(self.lines[i])
            if m and source is None:
                source = self.checked_url(m.group(1), i)
                source_lines.append(i)

        summary_html = markup.render_block("")
        summary_text = ""
        keywords = clean_items(_as_list(front.get("keywords")))
        themes = clean_items(_as_list(front.get("themes")))
        rows: list[RawRow] = []
        closest: list[ClosestRef] = [
            ClosestRef(str(t), _target_id(str(t)), self.loc(0)) for t in _as_list(front.get("closest"))
        ]
        sections: list[Section] = []
        seen_signals = False
        # Everything but the External link line is content: a heading used as the title is never in a body.
        rest = [i for i in preamble.body if i not in source_lines]
        if self.body_text(rest).strip():
            sections.append(Section("", markup.render_block(self.body_text(rest))))
        for block in blocks[1:]:
            name = _section_name(block.title)
            text = self.body_text(block.body)
            if name == "summary":
                summary_html = markup.render_block(text)
                summary_text = markup.block_plain(text)
            elif name == "keywords":
                keywords = clean_items([*keywords, *self.items(block)])
            elif name == "themes":
                themes = clean_items([*themes, *self.items(block)])
            elif name == "closest":
                closest.extend(self.closest(block))
            elif name == "other":
                pairs = self.other_pairs(block)
                meta.extend(pairs)
                if not pairs and text.strip():
                    sections.append(Section(markup.inline_plain(block.title), markup.render_block(text)))
            elif name == "signals" and not seen_signals:
                seen_signals = True
                rows, used = self.signal_table(block)
                used_lines = set(used)
                remainder = [i for i in block.body if i not in used_lines]
                if self.body_text(remainder).strip():
                    sections.append(
                        Section(markup.inline_plain(block.title), markup.render_block(self.body_text(remainder)))
                    )
            else:
                if name == "signals":
                    self.warn(
                        "a second Signals section; it is shown as ordinary content and its rows are not signals",
                        block.line,
                        "move its rows into the first Signals table",
                    )
                sections.append(Section(markup.inline_plain(block.title), markup.render_block(text)))
        if not seen_signals:
            self.warn(
                "no Signals section; the note has no signals",
                None,
                "add `## Signals` with a table Signal | Change | 10y horizon | Driving force",
            )
        if heading_dated and date is not None:  # a front matter date was checked on its own line
            self.diagnostics.extend(check_date(date, self.loc(title_line)))
        return ParsedNote(
            path=self.source.rel_path,
            display_path=self.source.display_path,
            kind=kind,
            title=title,
            title_line=title_line + 1,
            date=date,
            issue=issue,
            source=source,
            summary_html=summary_html,
            summary_text=summary_text,
            keywords=tuple(keywords),
            themes=tuple(themes),
            rows=tuple(rows),
            closest=tuple(closest),
            sections=tuple(sections),
            meta=tuple(meta),
            id_hint=id_hint,
        )

    def checked_url(self, url: str, index: int | None) -> str | None:
        safe = markup.safe_url(url)
        if safe is None and url.strip():
            self.diagnostics.append(
                warning(
                    f"link {url[:80]!r} is not a safe web address and is left out",
                    self.loc(index),
                    "use an http(s) URL",
                )
            )
        return safe

    def title_line(
        self, block: _Block, front_date: datetime.date | None
    ) -> tuple[str, datetime.date | None, str | None, bool]:
        """Title, date, issue link and whether it is a native title line (`# __Title__, from ([YYYYMMDD](url).)`).

        `front_date` is the front matter's date, which wins over the title line's: a title line without a
        date is then fine, and one with another date is warned about (the front matter's date is kept).
        """
        text = block.title
        m = _NATIVE_TITLE.match(text)
        raw_title = m.group("title") if m else text
        strong = _STRONG.match(raw_title.strip().rstrip(","))
        native = m is not None or strong is not None
        title = markup.inline_plain(strong.group("inner") if strong else raw_title).strip()
        if not title:
            title = PurePosixPath(self.source.rel_path).stem
            self.warn("the title line has no title; the file name is used", block.line)
        if m is None:
            if strong is not None and front_date is None:
                self.warn(
                    "native title line has no date",
                    block.line,
                    "write it as `# __Title__, from ([YYYYMMDD](issue-url).)`",
                )
            return title, None, None, native
        date = parse_date(m.group("date"))
        if date is None:
            kept = "the note has no date" if front_date is None else f"the front matter's date {front_date} is used"
            self.warn(
                f"title line date {m.group('date')!r} is not a valid YYYYMMDD date; {kept}",
                block.line,
                "write the date as YYYYMMDD, e.g. 20230521",
            )
        elif front_date is not None and date != front_date:
            date_line = self._key_line("date")
            where = "" if date_line is None else f" (line {date_line + 1})"
            self.warn(
                f"the title line's date {m.group('date')} ({date.isoformat()}) differs from the front matter's "
                f"`date: {front_date.isoformat()}`{where}; the front matter's date is used",
                block.line,
                "remove one of the two dates, or make them the same",
            )
        issue = self.checked_url(m.group("url"), block.line) if m.group("url") else None
        return title, date, issue, True

    def front_fields(
        self, front: dict[str, Any], meta: list[tuple[str, str]]
    ) -> tuple[str | None, datetime.date | None, str | None, str | None]:
        title = yaml_scalar_text(front.get("title")) or None
        date: datetime.date | None = None
        raw_date = front.get("date")
        if isinstance(raw_date, datetime.datetime):
            date = raw_date.date()
        elif isinstance(raw_date, datetime.date):
            date = raw_date
        elif raw_date is not None:
            date = parse_date(str(raw_date))  # None when it is not a date: read() warns, once the title line is read
        if date is not None:
            self.diagnostics.extend(check_date(date, self.loc(self._key_line("date"))))
        source = None
        for key in ("source", "url", "link"):
            if front.get(key):
                source = self.checked_url(yaml_scalar_text(front[key]), self._key_line(key))
                break
        id_hint = yaml_scalar_text(front.get("id")) or None
        known = {"title", "date", "source", "url", "link", "id", "keywords", "themes", "closest"}
        meta.extend((k, yaml_scalar_text(v)) for k, v in front.items() if k not in known)
        return title, date, source, id_hint

    def _key_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        return next((i for i, line in enumerate(self.lines[1:], 1) if pattern.match(line)), None)


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [yaml_scalar_text(v) for v in value if v is not None]
    return split_items(yaml_scalar_text(value))


def _target_id(target: str) -> str | None:
    """A Closest link target reduced to a note id or file stem (`../x/abc.md#top` → `abc`)."""
    path = target.split("#", 1)[0].split("?", 1)[0].strip().rstrip("/")
    if not path or "://" in path:
        return None
    stem = PurePosixPath(path).name
    for suffix in (".md", ".markdown", ".txt", ".html"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    if stem == "index":
        stem = PurePosixPath(path).parent.name
    return stem or None


def read_markdown(source: SourceFile) -> tuple[ParsedNote | None, list[Diagnostic]]:
    """Read a Markdown note; None when it cannot be read at all (the diagnostics say why)."""
    reader = _Reader(source)
    note = reader.read()
    return note, reader.diagnostics


def iter_table_lines(text: str) -> Iterator[str]:
    """Yield the lines of every pipe table in a Markdown text (used by tools that learn cell shapes)."""
    lines = text.split("\n")
    for block in _scan(lines, 0)[0]:
        in_table = False
        for pos, i in enumerate(block.body):
            line = lines[i]
            nxt = lines[block.body[pos + 1]] if pos + 1 < len(block.body) else ""
            if not in_table and "|" in line and table.is_delimiter_row(nxt):
                in_table = True
            if in_table:
                if not line.strip() or "|" not in line:
                    in_table = False
                    continue
                yield line
