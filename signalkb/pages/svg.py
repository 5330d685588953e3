"""Inline SVG charts made at build time, readable without JavaScript: a force's timeline and the force network.

Colours come from the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies);
every mark has a `<title>`, every node is a link, and text takes the page's colours (light and dark).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
"""Okabe–Ito colours for categories, in the taxonomy's order."""
NO_CATEGORY = "#8C8C8C"
"""The colour of forces without a category."""


def _attr(text: str) -> str:
    return escape(text, quote=True)


def category_colours(categories: Sequence[str]) -> dict[str, str]:
    """A colour for each category (the palette repeats after seven)."""
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}


def timeline(counts: Mapping[int, int], label: str) -> Markup:
    """Bars of signals per year, every year from the first to the last shown (at most the last 40)."""
    if not counts:
        return Markup("")
    years = list(range(max(min(counts), max(counts) - 39), max(counts) + 1))
    top = max(counts.values())
    bar, gap, height, base = 32, 8, 64, 18
    width = len(years) * (bar + gap) + gap
    out = [
        f'<svg class="timeline" viewBox="0 0 {width} {height + base}" width="{width}" height="{height + base}" '
        f'role="img" aria-labelledby="timeline-title"><title id="timeline-title">{escape(label)}</title>'
    ]
    step = max(1, math.ceil(len(years) / 8))
    for i, year in enumerate(years):
        n = counts.get(year, 0)
        x = gap + i * (bar + gap)
        h = round((height - 16) * n / top) if n else 0
        y = height - h
        text = f"{year}: {n} signal{'s' if n != 1 else ''}"
        out.append(f"<g><title>{escape(text)}</title>")
        out.append(f'<rect class="bar" x="{x}" y="{y}" width="{bar}" height="{max(h, 1)}" rx="2"/>')
        if n:
            out.append(f'<text class="value" x="{x + bar / 2:g}" y="{y - 4}" text-anchor="middle">{n}</text>')
        out.append("</g>")
        if i % step == 0 or i == len(years) - 1:
            out.append(f'<text class="axis" x="{x + bar / 2:g}" y="{height + 14}" text-anchor="middle">{year}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute above is escaped


@dataclass(frozen=True)
class Node:
    """A force in the network drawing."""

    id: str
    label: str
    href: str
    signals: int
    notes: int
    colour: str
    category: str


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def hits(self, other: _Box) -> bool:
        return not (self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0)

    def overlap(self, other: _Box) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0


WIDTH, HEIGHT, MARGIN, FONT = 960, 620, 24, 13
MAX_LABEL = 34
"""Longest label drawn in full (longer ones are cut with an ellipsis; the `<title>` has the whole label)."""
SHORT_LABEL = 18
"""A label that finds no free place in full is tried again cut to this length."""
CHAR_WIDTH = 0.6
"""Width of a character of the labels, as a share of the font size (generous: labels are never drawn wider)."""
HEIGHTS = (620, 760, 900, 1060, 1240, 1440)
"""Drawing heights tried in turn, until every label finds a place that covers no other label or node."""


def text_box(x: float, y: float, anchor: str, text: str, font: float = FONT) -> _Box:
    """The box a label takes: its estimated width (characters × font size × CHAR_WIDTH), from above the tallest
    letter to below the baseline's descenders."""
    w = len(text) * font * CHAR_WIDTH
    x0 = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
    return _Box(x0, y - font, x0 + w, y + 0.3 * font)


def _layout(
    nodes: Sequence[Node], edges: Sequence[tuple[str, str, int]], height: int
) -> dict[str, tuple[float, float]]:
    import networkx as nx  # imported here: only the force index needs it

    graph: nx.Graph[str] = nx.Graph()
    for node in nodes:
        graph.add_node(node.id)
    for a, b, weight in edges:
        graph.add_edge(a, b, weight=float(weight))
    if len(nodes) == 1:
        return {nodes[0].id: (WIDTH / 2, height / 2)}
    hub = "\x00hub"  # a hidden centre, weakly tied to every node, keeps separate groups of forces close
    graph.add_edges_from(((hub, node.id) for node in nodes), weight=0.05)
    k = 2.0 / math.sqrt(max(1, len(nodes)))
    raw = nx.spring_layout(graph, k=k, iterations=300, seed=7, weight="weight")
    raw.pop(hub)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    inner_w, inner_h = WIDTH - 2 * MARGIN - 160, height - 2 * MARGIN - 40
    pos = {
        n: [
            MARGIN + 80 + (float(p[0]) - min(xs)) / span_x * inner_w,
            MARGIN + 20 + (float(p[1]) - min(ys)) / span_y * inner_h,
        ]
        for n, p in raw.items()
    }
    _spread(pos, {n.id: _radius(n) for n in nodes}, height)
    return {n: (round(p[0], 1), round(p[1], 1)) for n, p in pos.items()}


def _spread(pos: dict[str, list[float]], radius: Mapping[str, float], height: int, gap: float = 26.0) -> None:
    """Push apart nodes closer than their radii and a gap (a few passes), keeping them inside the drawing."""
    names = sorted(pos)
    for _ in range(60):
        moved = False
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                dx, dy = pos[b][0] - pos[a][0], pos[b][1] - pos[a][1]
                dist = math.hypot(dx, dy) or 0.01
                need = radius[a] + radius[b] + gap
                if dist < need:
                    push = (need - dist) / 2
                    ux, uy = (dx / dist, dy / dist) if dist > 0.01 else (1.0, 0.0)
                    pos[a][0] -= ux * push
                    pos[a][1] -= uy * push
                    pos[b][0] += ux * push
                    pos[b][1] += uy * push
                    moved = True
        for p in pos.values():
            p[0] = min(max(p[0], MARGIN + 20), WIDTH - MARGIN - 20)
            p[1] = min(max(p[1], MARGIN + 10), height - MARGIN - 10)
        if not moved:
            break


def _radius(node: Node) -> float:
    return round(min(5 + 3.2 * math.sqrt(node.signals), 40.0), 1)


def _short(label: str, limit: int = MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _candidates(x: float, y: float, r: float, text: str) -> list[tuple[float, float, str]]:
    """Places for a label around a node at (x, y) of radius r: beside, above, below, at the corners, then further
    out and shifted sideways."""
    w = len(text) * FONT * CHAR_WIDTH
    out: list[tuple[float, float, str]] = []
    for far in (0.0, 8.0, 18.0, 30.0, 46.0, 66.0):
        d = r + 4 + far
        out += [
            (x + d, y + 4, "start"),
            (x - d, y + 4, "end"),
            (x, y - d - 2, "middle"),
            (x, y + d + FONT, "middle"),
            (x + r * 0.7 + far, y - r * 0.7 - 4 - far, "start"),
            (x - r * 0.7 - far, y - r * 0.7 - 4 - far, "end"),
            (x + r * 0.7 + far, y + r * 0.7 + FONT - far / 2, "start"),
            (x - r * 0.7 - far, y + r * 0.7 + FONT - far / 2, "end"),
            (x - w / 2 + 4, y - d - 2, "start"),
            (x + w / 2 - 4, y - d - 2, "end"),
            (x - w / 2 + 4, y + d + FONT, "start"),
            (x + w / 2 - 4, y + d + FONT, "end"),
            (x + d, y + 4 - FONT - 2, "start"),
            (x + d, y + 4 + FONT + 2, "start"),
            (x - d, y + 4 - FONT - 2, "end"),
            (x - d, y + 4 + FONT + 2, "end"),
        ]
    return [(round(cx, 1), round(cy, 1), anchor) for cx, cy, anchor in out]


def _place_labels(
    nodes: Sequence[Node], pos: Mapping[str, tuple[float, float]], height: int
) -> dict[str, tuple[float, float, str, str]]:
    """Label places (x, y, anchor, text) whose boxes cover no other label, no node and stay inside the drawing.

    Nodes with most signals choose first; when some find no place, those choose first in another round (a few at
    most), and the round placing most labels is kept. A label with no free place is tried cut short, then left
    out (its node keeps the whole label in its `<title>`).
    """
    order = sorted(nodes, key=lambda n: (-n.signals, n.label, n.id))
    best: dict[str, tuple[float, float, str, str]] = {}
    for _ in range(4):
        found = _place_in_order(order, nodes, pos, height)
        if len(found) > len(best):
            best = found
        if len(found) == len(nodes):
            break
        order = [n for n in order if n.id not in found] + [n for n in order if n.id in found]
    return best


def _place_in_order(
    order: Sequence[Node], nodes: Sequence[Node], pos: Mapping[str, tuple[float, float]], height: int
) -> dict[str, tuple[float, float, str, str]]:
    pad = 2.0
    discs = [(pos[n.id][0], pos[n.id][1], _radius(n) + 1) for n in nodes]
    placed: list[_Box] = []
    out: dict[str, tuple[float, float, str, str]] = {}

    def free(box: _Box) -> bool:
        if box.x0 < 0 or box.y0 < 0 or box.x1 > WIDTH or box.y1 > height:
            return False
        grown = _Box(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
        if any(grown.hits(other) for other in placed):
            return False
        return not any(_disc_hits(grown, cx, cy, r) for cx, cy, r in discs)

    for node in order:
        x, y = pos[node.id]
        r = _radius(node)
        for text in dict.fromkeys((_short(node.label), _short(node.label, SHORT_LABEL))):
            choice = next(
                (c for c in _candidates(x, y, r, text) if free(text_box(c[0], c[1], c[2], text))),
                None,
            )
            if choice is not None:
                placed.append(text_box(choice[0], choice[1], choice[2], text))
                out[node.id] = (*choice, text)
                break
    return out


def _disc_hits(box: _Box, cx: float, cy: float, r: float) -> bool:
    """True when a circle overlaps a box."""
    nx_, ny_ = min(max(cx, box.x0), box.x1), min(max(cy, box.y0), box.y1)
    return (cx - nx_) ** 2 + (cy - ny_) ** 2 < r * r


def together(weight: int) -> str:
    """What an edge of forces named in the same notes counts."""
    return f"named in {weight} note{'s' if weight != 1 else ''} together"


def network(
    nodes: Sequence[Node],
    edges: Sequence[tuple[str, str, int]],
    title: str,
    what: Callable[[int], str] = together,
) -> Markup:
    """A network: nodes sized by signals and coloured by category, edges (a, b, weight); `what` says what a
    weight counts (in each line's title).

    The drawing grows taller (up to the last of HEIGHTS) until every label has a free place; no label is ever
    drawn over another label or a node (one that finds no place is left out, its node titled with it).
    """
    if not nodes:
        return Markup("")
    tried = []
    for height in HEIGHTS:
        pos = _layout(nodes, edges, height)
        labels = _place_labels(nodes, pos, height)
        tried.append((len(labels), -height, pos, labels))
        if len(labels) == len(nodes):
            break
    _, negative, pos, labels = max(tried, key=lambda t: (t[0], t[1]))
    height = -negative
    names = {n.id: n.label for n in nodes}
    top = max((w for _, _, w in edges), default=1)
    out = [
        f'<svg class="network" viewBox="0 0 {WIDTH} {height}" aria-labelledby="network-title">'
        f'<title id="network-title">{escape(title)}</title><g class="edges">'
    ]
    for a, b, weight in edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        width = round(1 + 4 * weight / top, 1)
        text = f"{names[a]} — {names[b]}: {what(weight)}"
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke-width="{width}"><title>{escape(text)}</title></line>'
        )
    out.append('</g><g class="nodes">')
    for node in sorted(nodes, key=lambda n: (n.signals, n.label)):
        x, y = pos[node.id]
        about = f"{node.label} — {node.signals} signals in {node.notes} notes"
        if node.category:
            about += f" ({node.category})"
        label = ""
        if node.id in labels:
            lx, ly, anchor, text = labels[node.id]
            label = f'<text x="{lx}" y="{ly}" text-anchor="{anchor}" font-size="{FONT}">{escape(text)}</text>'
        out.append(
            f'<a href="{_attr(node.href)}"><title>{escape(about)}</title>'
            f'<circle cx="{x}" cy="{y}" r="{_radius(node)}" fill="{node.colour}"/>{label}</a>'
        )
    out.append("</g></svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute above is escaped
