"""The single Markdown configuration: block and inline HTML, and the plain text of inline Markdown.

Raw HTML in notes is never passed through (markdown-it's `html` option is off, so tags are shown as
text), and links with dangerous schemes (`javascript:`, `vbscript:`, `file:`, `data:` other than
images) are not made into links. Text with no Markdown syntax at all takes a fast path that gives the
same HTML as markdown-it.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

# Characters that may start Markdown syntax or an entity; text without them renders as itself.
_SPECIAL = re.compile(r"[\\`*_\[\]<>&!~|#]|^\s*(?:[-+=>]|\d+[.)])|\s{2,}$|^ {4}|\t", re.MULTILINE)
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<>&!~\n]")
"""The same for one line of inline Markdown: block syntax (list markers, headings) means nothing there."""
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "ftps"})


@functools.cache
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    return md


_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)
"""Code points HTML or XML 1.0 forbid in a document: controls but tab and newlines, and the noncharacters."""
_ASCII_ALLOWED = bytes(b for b in range(256) if not ((b < 0x20 and b not in (0x09, 0x0A, 0x0D)) or b == 0x7F))
"""Bytes deleted to see whether a UTF-8 document holds a forbidden ASCII control (what remains)."""
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
"""U+0080 to U+009F in UTF-8."""
_NONCHARACTER_LEADS = (b"\xef", b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")
"""The lead bytes of every noncharacter in UTF-8 (U+FDD0 to U+FDEF and U+xFFFE, U+xFFFF), U+F000 upwards."""
_HIGH = re.compile("[\ufdd0-\ufdef\ufffe\uffff\U00010000-\U0010ffff]")
"""The BMP noncharacters and every astral character (ranges only: a quick scan), to look for the astral
noncharacters among."""


def _has_noncharacter(document: str) -> bool:
    return any((c := ord(m.group())) < 0x10000 or c & 0xFFFE == 0xFFFE for m in _HIGH.finditer(document))


def printable_utf8(document: str) -> bytes:
    """`document` (HTML or XML) in UTF-8, with every code point HTML or XML forbids replaced by U+FFFD (else
    unchanged); found quickly: pages are checked as bytes, with scans done in C.

    A page is re-encoded with the full class only when a byte scan finds what could be forbidden: an ASCII
    control, a C1 control, or a character from U+F000 up (a few pages: emoji, fullwidth forms).
    """
    data = document.encode("utf-8")
    if (
        data.translate(None, _ASCII_ALLOWED)
        or (b"\xc2" in data and _C1_UTF8.search(data))
        or (any(lead in data for lead in _NONCHARACTER_LEADS) and _has_noncharacter(document))
    ):
        return _FORBIDDEN.sub("\ufffd", document).encode("utf-8")
    return data


def escape(text: str) -> str:
    """Escape text for HTML content and attribute values, exactly as markdown-it does (`& < > "`)."""
    return escapeHtml(text)


def _is_plain(text: str) -> bool:
    return _SPECIAL.search(text) is None


def _is_plain_inline(text: str) -> bool:
    return _INLINE_SPECIAL.search(text) is None


def render_block(source: str) -> str:
    """Render block Markdown (paragraphs, lists, tables, code) to safe HTML (a plain `str`; views mark it safe)."""
    text = source.strip("\n")
    if not text.strip():
        return ""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    if all(_is_plain(p) for p in paragraphs):
        parts = (
            "<p>" + escape("\n".join(line.strip() for line in p.strip().split("\n"))) + "</p>\n" for p in paragraphs
        )
        return "".join(parts)
    return str(_md().render(text))


def render_inline(source: str) -> str:
    """Render one line of inline Markdown (a table cell, a list item) to safe HTML (a plain `str`)."""
    text = source.strip()
    if _is_plain_inline(text):
        return escape(text)
    return str(_md().renderInline(text))


def _plain(tokens: list[Token]) -> str:
    out: list[str] = []
    for tok in tokens:
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif tok.type == "image":
            out.append(tok.content)
        elif tok.children:
            out.append(_plain(tok.children))
    return "".join(out)


def inline_plain(source: str) -> str:
    """The text of inline Markdown with the markup removed (`*very* \\| good` → `very | good`)."""
    text = source.strip()
    if _is_plain_inline(text):
        return text
    return "".join(_plain(tok.children or []) for tok in _md().parseInline(text)).strip()


def block_plain(source: str) -> str:
    """The text of block Markdown on one line, markup removed (for descriptions and search)."""
    text = source.strip()
    if _is_plain(text):
        return " ".join(text.split())
    parts = [_plain(tok.children or []) for tok in _md().parse(text) if tok.type == "inline"]
    return " ".join(" ".join(parts).split())


def safe_url(url: str) -> str | None:
    """`url` when it is safe to link to (http, https, mailto, ftp, or relative), else None."""
    candidate = url.strip()
    if not candidate or any(ord(ch) < 32 for ch in candidate):
        return None
    scheme = urlsplit(candidate).scheme.lower()
    if scheme and scheme not in _SAFE_SCHEMES:
        return None
    if not scheme and ":" in candidate.split("/", 1)[0]:
        return None
    return candidate
