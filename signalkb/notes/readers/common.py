"""Helpers both note readers share: item lists, dates, and YAML values as text."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from signalkb.core.diagnostics import Diagnostic, SourceLocation, warning

_COMMA = re.compile(r"\s*[,;]\s*")
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$|^(\d{4})/(\d{2})/(\d{2})$")


def parse_date(text: str) -> datetime.date | None:
    """`YYYYMMDD`, `YYYY-MM-DD` or `YYYY/MM/DD` as a date; None when it is not exactly that or not a real day."""
    m = _DATE.match(text.strip())
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups() if g is not None)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def split_items(text: str) -> list[str]:
    """Split a comma- or semicolon-separated list written on one line."""
    return [part for part in _COMMA.split(text.strip()) if part]


def clean_items(items: Iterable[str]) -> list[str]:
    """Items stripped, empty ones dropped, repeats (ignoring case) dropped, order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        text = " ".join(item.split())
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def check_date(date: datetime.date, loc: SourceLocation) -> list[Diagnostic]:
    """A warning when a note's date lies in the future (usually a typo in the year)."""
    if date > datetime.date.today():
        return [warning(f"date {date.isoformat()} is in the future", loc, "check the year of the note's date")]
    return []


def yaml_scalar_text(value: object) -> str:
    """A YAML value as display text: scalars as written, lists joined by commas, mappings as `key: value`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(yaml_scalar_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {yaml_scalar_text(v)}" for k, v in value.items())
    return str(value).strip()
