"""Overviews drawn at build time as static SVG (no JavaScript): signals per year by category, a category's radar.

Both take plain data (counts, labels, colours, links) and return SVG text in which every text and attribute is
escaped; the page builders count (`category_years`, `radar_dots`) and mark the text safe. Colours are the
Okabe–Ito ones of svg.py; text and lines take the page's colours through CSS classes (light and dark).
"""

from __future__ import annotations

import datetime
import heapq
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from signalkb.core.model import Force, KnowledgeBase

YEARS_SHOWN = 40
"""The timeline shows at most the last this many years (like svg.timeline)."""
RADAR_SEGMENTS = 8
"""A radar has a segment for each of the category's most shared forces up to this many, then "other forces"."""
RADAR_DOTS = 300
"""At most this many signals (the newest) are drawn on a radar."""
AGE_RINGS = ("≤ 1 year", "1–3 years", "3–5 years", "older")
"""The radar's rings: a signal's age (its note's date) before the knowledge base's newest note date."""
_RING_YEARS = (1, 3, 5)
UNDATED = "undated"
"""The radar's outer ring, for signals of undated notes (drawn only when there are some)."""
OTHER_FORCES = "other forces"


def _e(text: str) -> str:
    return escape(text, quote=True)


def plural(n: int, word: str = "signal") -> str:
    """`1 signal`, `2 signals`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Series:
    """A category in the timeline: its key (empty: no category), label, colour and link (may be empty)."""

    key: str
    label: str
    colour: str
    href: str


def _categories(force: Force, forces: Mapping[str, Force]) -> set[str]:
    """The categories a force touches: its own and its broader forces' (`{""}` when none has one)."""
    found = {force.category or ""} | {forces[b].category or "" for b in force.broader if b in forces}
    return found - {""} or {""}


def category_years(kb: KnowledgeBase) -> tuple[dict[int, Counter[str]], Counter[int], int]:
    """Per year of their note: signals by category (once per category their forces touch, `""` for none), signals
    in all, and how many signals have no date. One pass over the signals' forces.

    A force touches its own category and those of its broader forces."""
    by_year: dict[int, Counter[str]] = {}
    totals: Counter[int] = Counter()
    undated = 0
    forces = kb.forces_by_id
    signals = kb.signals_by_id
    for note in kb.notes:
        if note.date is None:
            undated += len(note.signal_ids)
            continue
        year = note.date.year
        counts = by_year.setdefault(year, Counter())
        totals[year] += len(note.signal_ids)
        for sid in note.signal_ids:
            touched: set[str] = set()
            for link in signals[sid].forces:
                touched.update(_categories(forces[link.force_id], forces))
            counts.update(touched or ("",))
    return by_year, totals, undated


def _ticks(top: int) -> list[int]:
    """Round gridline values from 0 to at least `top` (at most five)."""
    step = 1
    for magnitude in (1, 10, 100, 1000, 10000, 100000):
        for factor in (1, 2, 5):
            step = factor * magnitude
            if top / step <= 4:
                return list(range(0, (math.ceil(top / step) * step) + 1, step))
    return list(range(0, top + step, step))


def years_shown(by_year: Mapping[int, object]) -> list[int]:
    """Every year from the first to the last with signals, at most the last YEARS_SHOWN."""
    if not by_year:
        return []
    last = max(by_year)
    return list(range(max(min(by_year), last - YEARS_SHOWN + 1), last + 1))


def category_timeline(
    by_year: Mapping[int, Mapping[str, int]],
    totals: Mapping[int, int],
    series: Sequence[Series],
    title: str,
    svg_id: str = "overview-timeline",
) -> str:
    """Stacked bars, one per year, a segment per category in `series` order (bottom up); each segment links."""
    years = years_shown(by_year)
    if not years:
        return ""
    stacks = {y: sum(by_year.get(y, {}).values()) for y in years}
    ticks = _ticks(max(max(stacks.values()), 1))
    gap, top_pad, plot, axis = 10, 10, 180, 26
    left = max(44, round(len(f"{ticks[-1]:,}") * CHAR) + 12)
    bar = max(14, min(64, (600 - gap * len(years)) // len(years)))
    every = math.ceil(40 / (bar + gap))
    width = left + len(years) * (bar + gap) + gap
    height = top_pad + plot + axis
    base = top_pad + plot
    scale = plot / ticks[-1]
    out = [
        f'<svg class="overview-timeline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{_e(svg_id)}-title"><title id="{_e(svg_id)}-title">{_e(title)}</title>'
        '<g class="grid">'
    ]
    for tick in ticks:
        y = round(base - tick * scale, 1)
        out.append(
            f'<line class="gridline" x1="{left - 4}" y1="{y}" x2="{width}" y2="{y}"/>'
            f'<text class="tick" x="{left - 8}" y="{y + 4}" text-anchor="end">{tick:,}</text>'
        )
    out.append("</g>")
    for i, year in enumerate(years):
        x = left + gap + i * (bar + gap)
        counts = by_year.get(year, {})
        out.append(f'<g class="year" data-year="{year}"><title>{year}: {plural(totals.get(year, 0))}</title>')
        done = 0
        for s in series:
            n = counts.get(s.key, 0)
            if not n:
                continue
            y0, y1 = round(base - (done + n) * scale, 1), round(base - done * scale, 1)
            done += n
            label = f"{year} · {s.label}: {plural(n)}"
            rect = (
                f'<rect class="segment" data-category="{_e(s.key)}" data-count="{n}" x="{x}" y="{y0}" '
                f'width="{bar}" height="{max(round(y1 - y0, 1), 0.5)}" fill="{_e(s.colour)}"/>'
            )
            if s.href:
                out.append(f'<a href="{_e(s.href)}"><title>{_e(label)}</title>{rect}</a>')
            else:
                out.append(f"<g><title>{_e(label)}</title>{rect}</g>")
        if (len(years) - 1 - i) % every == 0:
            out.append(f'<text class="axis" x="{x + bar / 2:g}" y="{base + 18}" text-anchor="middle">{year}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Dot:
    """A signal on a radar: its segment and ring (indexes), link and tooltip text."""

    segment: int
    ring: int
    href: str
    title: str


@dataclass(frozen=True)
class Segment:
    """A radar segment: its label, link (may be empty) and how many signals it holds in all."""

    label: str
    href: str
    signals: int


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_ring(date: datetime.date | None, newest: datetime.date | None) -> int:
    """The ring of a signal dated `date` when the newest note is dated `newest`; undated: len(AGE_RINGS)."""
    if date is None or newest is None:
        return len(AGE_RINGS)
    for ring, years in enumerate(_RING_YEARS):
        if date >= _years_before(newest, years):
            return ring
    return len(_RING_YEARS)


def newest_date(kb: KnowledgeBase) -> datetime.date | None:
    """The knowledge base's newest note date (notes are newest first, undated last): the radar's "now"."""
    return kb.notes[0].date if kb.notes else None


def _point(cx: float, cy: float, r: float, angle: float) -> tuple[float, float]:
    """A point at radius r and angle (radians, clockwise from the top)."""
    return round(cx + r * math.sin(angle), 1), round(cy - r * math.cos(angle), 1)


GOLDEN = (math.sqrt(5) - 1) / 2
"""Successive dots of a cell turn by the golden ratio of its angle: spread evenly, without randomness."""
CHAR = 6.8
"""Width of an average character of 12px text, in viewBox units (for fitting labels)."""


def _ring_radii(counts: Sequence[int], outer: float) -> list[float]:
    """Outer radius of each ring: a minimum width (room for its label), the rest shared by how many dots it holds."""
    least = [44.0] + [24.0] * (len(counts) - 1)
    free = max(0.0, outer - sum(least))
    total = sum(counts) or 1
    radii, edge = [], 0.0
    for width, count in zip(least, counts, strict=True):
        edge += width + free * count / total
        radii.append(round(edge, 1))
    return radii


def _place(
    members: Sequence[Dot],
    centre: tuple[float, float],
    bounds: tuple[float, float],
    start: float,
    span: float,
    label: float,
) -> list[tuple[Dot, tuple[float, float], float]]:
    """Positions and dot size for the dots of one cell: a ring (inner, outer radius) and a segment (start angle and
    span; a span of 0 is the whole circle), spread evenly by area, clear of the spokes and of a ring label
    (`label`: its half width; 0: none) written across the top spoke. Dots shrink (to 2.5) in crowded cells."""
    whole = span == 0.0
    span = 2 * math.pi if whole else span
    room = (bounds[1] ** 2 - bounds[0] ** 2) * span / 2 / len(members)
    size = round(max(2.5, min(4.5, 0.3 * math.sqrt(room))), 1)
    inner, outer = bounds[0] + size + 1, max(bounds[0] + size + 1, bounds[1] - size - 1)
    pad = 0.0 if whole else min(span / 4, (size + 2) / max(inner, outer * 0.5, 1.0))
    out = []
    for j, dot in enumerate(members):
        t = (j + 0.5) / len(members)
        r = math.sqrt(inner * inner + t * (outer * outer - inner * inner))
        low, high = start + pad, start + span - pad
        if label:
            clear = math.asin(min(1.0, (label + size + 2) / r))
            if max(low, clear) < min(high, 2 * math.pi - clear):
                low, high = max(low, clear), min(high, 2 * math.pi - clear)
        out.append((dot, _point(*centre, r, low + ((j * GOLDEN) % 1.0) * (high - low)), size))
    return out


def radar(segments: Sequence[Segment], dots: Sequence[Dot], colour: str, title: str, desc: str, svg_id: str) -> str:
    """Segments around a circle, rings of age from the centre out; every dot a linked signal."""
    if not segments or not dots:
        return ""
    rings = list(AGE_RINGS) + ([UNDATED] if any(d.ring == len(AGE_RINGS) for d in dots) else [])
    width, big_r, top = 900, 210, 36
    cx, cy = width / 2, top + big_r
    height = round(cy + big_r + top)
    radii = _ring_radii([sum(1 for d in dots if d.ring == i) for i in range(len(rings))], big_r)
    sid = _e(svg_id)
    out = [
        f'<svg class="radar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{sid}-title" aria-describedby="{sid}-desc">'
        f'<title id="{sid}-title">{_e(title)}</title><desc id="{sid}-desc">{_e(desc)}</desc><g class="rings">'
    ]
    for i in reversed(range(len(rings))):
        out.append(f'<circle class="ring ring-{i % 2}" cx="{cx:g}" cy="{cy:g}" r="{radii[i]}"/>')
    n = len(segments)
    span = 2 * math.pi / n
    if n > 1:
        for k in range(n):
            x, y = _point(cx, cy, big_r, k * span)
            out.append(f'<line class="spoke" x1="{cx:g}" y1="{cy:g}" x2="{x}" y2="{y}"/>')
    out.append('</g><g class="segments">')
    for k, seg in enumerate(segments):
        mid = (k + 0.5) * span if n > 1 else math.pi
        x, y = _point(cx, cy, big_r + 14, mid)
        sin, cos = math.sin(mid), math.cos(mid)
        anchor = "start" if sin > 0.2 else "end" if sin < -0.2 else "middle"
        y = round(y + (12 if cos < -0.2 else 4 if abs(cos) <= 0.2 else 0), 1)
        room = x if anchor == "end" else width - x if anchor == "start" else 2 * min(x, width - x)
        short = _short(seg.label, max(12, min(40, int((room - 8) / CHAR))))
        text = f'<text class="segment-label" x="{x}" y="{y}" text-anchor="{anchor}">{_e(short)}</text>'
        what = f"{seg.label}: {plural(seg.signals)}"
        if seg.href:
            out.append(f'<a href="{_e(seg.href)}"><title>{_e(what)}</title>{text}</a>')
        else:
            out.append(f"<g><title>{_e(what)}</title>{text}</g>")
    out.append(f'</g><g class="dots" fill="{_e(colour)}">')
    cells: dict[tuple[int, int], list[Dot]] = {}
    for dot in dots:
        cells.setdefault((dot.segment, dot.ring), []).append(dot)
    half = [len(label) * CHAR / 2 + 2 for label in rings]
    for (segment, ring), members in sorted(cells.items()):
        bounds = ((radii[ring - 1] if ring else half[0]), radii[ring])
        whole = 0.0 if n == 1 else span
        for dot, (x, y), size in _place(members, (cx, cy), bounds, segment * span, whole, half[ring] if ring else 0):
            out.append(
                f'<a href="{_e(dot.href)}" class="dot"><title>{_e(dot.title)}</title>'
                f'<circle cx="{x}" cy="{y}" r="{size}"/></a>'
            )
    out.append('</g><g class="ring-labels">')
    for i, label in enumerate(rings):
        mid = (radii[i - 1] + radii[i]) / 2 if i else 0.0
        out.append(
            f'<text class="ring-label" x="{cx:g}" y="{round(cy - mid + 4, 1)}" text-anchor="middle">{_e(label)}</text>'
        )
    out.append("</g></svg>")
    return "".join(out)


def radar_dots(
    kb: KnowledgeBase, forces: Sequence[str], position: Mapping[str, int], limit: int = RADAR_DOTS
) -> tuple[list[list[str]], list[tuple[str, int]], int]:
    """The signals of a category's forces (ids, most shared first) as radar data.

    Returns the signal ids of each segment (the first RADAR_SEGMENTS forces, then one for the rest), the
    newest `limit` signals as (id, segment) newest first, and how many signals the category has in all. A
    signal named by several of the forces sits in the segment of the most shared one. `position` orders
    signals (kb.signals' order: newest note first).
    """
    segment_of: dict[str, int] = {}
    for index, fid in enumerate(forces):
        seg = min(index, RADAR_SEGMENTS)
        for sid in kb.forces_by_id[fid].signal_ids:
            if segment_of.get(sid, seg + 1) > seg:
                segment_of[sid] = seg
    members: list[list[str]] = [[] for _ in range(min(len(forces), RADAR_SEGMENTS + 1))]
    for sid, seg in segment_of.items():
        members[seg].append(sid)
    shown = heapq.nsmallest(limit, segment_of, key=position.__getitem__)
    return members, [(sid, segment_of[sid]) for sid in shown], len(segment_of)
