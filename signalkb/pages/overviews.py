"""View data of the overviews: the home page's timeline by category and recent signals, a category's radar."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from signalkb.core import urls
from signalkb.core.model import Force, KnowledgeBase
from signalkb.pages import charts, svg
from signalkb.pages.views import Refs, View, category_id, item, safe

RECENT_SIGNALS = 10
"""Signals listed under "Recently added" on the home page."""
NO_CATEGORY = "no category"
"""How signals without a categorised force are named in the timeline."""


def series_order(kb: KnowledgeBase) -> list[str]:
    """Categories in the taxonomy's order, then categories used by forces but not declared (sorted)."""
    declared = set(kb.categories)
    extra = sorted({f.category for f in kb.forces if f.category and f.category not in declared})
    return [*kb.categories, *extra]


def home_timeline(kb: KnowledgeBase, refs: Refs, root: str) -> View:
    """The home page's stacked bars of signals per year by category: SVG, caption and legend."""
    by_year, totals, undated = charts.category_years(kb)
    order = series_order(kb)
    colours = svg.category_colours(order)
    series = [
        charts.Series(
            c, c, colours[c], root + refs.categories[c]["url"] if c in refs.categories else root + urls.FORCES
        )
        for c in order
    ]
    series.append(charts.Series("", NO_CATEGORY, svg.NO_CATEGORY, root + urls.FORCES))
    years = charts.years_shown(by_year)
    used = {key for y in years for key in by_year.get(y, {})}
    shown = [s for s in series if s.key in used]
    if not years:
        return {"svg": "", "caption": "", "legend": []}
    title = f"Signals per year, {years[0]}–{years[-1]}, by the category of their driving forces"
    caption = (
        f"Signals per year of their note, {years[0]}–{years[-1]}, coloured by the category of their driving forces. "
        "A signal whose forces fall in several categories counts once in each, so a bar can be taller than the "
        f"year’s number of signals; signals with no categorised force are grey ({NO_CATEGORY})."
    )
    left_out = sum(n for y, n in totals.items() if y < years[0]) + undated
    if left_out:
        caption += f" Not shown: {charts.plural(left_out)} undated or older than {years[0]}."
    return {
        "svg": safe(charts.category_timeline(by_year, totals, shown, title)),
        "caption": caption,
        "legend": [{"label": s.label, "colour": s.colour, "href": s.href} for s in shown],
    }


def recent_signals(kb: KnowledgeBase, refs: Refs, root: str, limit: int = RECENT_SIGNALS) -> list[View]:
    """The newest signals by their note's date (newest note first, then table order).

    The permalink ledger records ids, not when each was first published, so the note date stands in.
    """
    return [item(refs.signals[s.id], root) for s in kb.signals[:limit]]


def category_radar(
    kb: KnowledgeBase,
    category: str,
    forces: Sequence[Force],
    refs: Refs,
    root: str,
    position: Mapping[str, int],
    colour: str,
) -> View:
    """A category page's radar: its forces as segments, signal age as rings, a dot per (newest) signal."""
    forces = [f for f in forces if f.signal_ids]
    members, shown, total = charts.radar_dots(kb, [f.id for f in forces], position)
    if not shown:
        return {"svg": "", "caption": "", "shown": 0, "total": 0}
    segments = [
        charts.Segment(f.label, root + refs.forces[f.id]["url"], len(members[i]))
        for i, f in enumerate(forces[: charts.RADAR_SEGMENTS])
    ]
    if len(forces) > charts.RADAR_SEGMENTS:
        rest = len(forces) - charts.RADAR_SEGMENTS
        segments.append(charts.Segment(f"{charts.OTHER_FORCES} ({rest})", "", len(members[charts.RADAR_SEGMENTS])))
    newest = charts.newest_date(kb)
    notes = kb.notes_by_id
    dots = []
    rings: dict[int, int] = {}
    for sid, seg in shown:
        signal = kb.signals_by_id[sid]
        note = notes[signal.note_id]
        ring = charts.age_ring(note.date, newest)
        rings[ring] = rings.get(ring, 0) + 1
        when = note.date.isoformat() if note.date else "undated"
        title = f"{signal.text or '(no signal text)'} — {note.title}, {when}"
        dots.append(charts.Dot(seg, ring, root + refs.signals[sid]["url"], title))
    labels = [*charts.AGE_RINGS, charts.UNDATED]
    desc = "Signals by age: " + "; ".join(f"{labels[r]}: {n}" for r, n in sorted(rings.items())) + "."
    anchor = f"the newest note ({newest.isoformat()})" if newest else "the newest note"
    if len(forces) > charts.RADAR_SEGMENTS:
        where = (
            f"in the segment of its most shared force here (the {charts.RADAR_SEGMENTS} most shared have their "
            f"own, the others share “{charts.OTHER_FORCES}”)"
        )
    else:
        where = "in the segment of its most shared force here"
    caption = (
        f"Each dot is a signal of the category {category}, {where}, and in a ring by its note’s age before "
        f"{anchor}: the newest at the centre."
    )
    if len(shown) < total:
        caption += f" The newest {len(shown)} of {charts.plural(total)} are shown."
    elif total == 1:
        caption += " Its one signal is shown."
    else:
        caption += f" All {total} signals are shown."
    title = f"Radar of the category {category}: signals by driving force and age"
    svg_id = "radar-" + (category_id(category) or "category")
    return {
        "svg": safe(charts.radar(segments, dots, colour, title, desc, svg_id)),
        "caption": caption,
        "shown": len(shown),
        "total": total,
    }
