"""Inline SVG charts made at build time, readable without JavaScript: a force's timeline and the force network.

Colours come from the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies);
every mark has a `<title>`, every node is a link, and text takes the page's colours (light and dark).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


def _layout(nodes: Sequence[Node], edges: Sequence[tuple[str, str, int]]) -> dict[str, tuple[float, float]]:
    import networkx as nx  # imported here: only the force index needs it

    graph: nx.Graph[str] = nx.Graph()
    for node in nodes:
        graph.add_node(node.id)
    for a, b, weight in edges:
        graph.add_edge(a, b, weight=float(weight))
    if len(nodes) == 1:
        return {nodes[0].id: (WIDTH / 2, HEIGHT / 2)}
    hub = "\x00hub"  # a hidden centre, weakly tied to every node, keeps separate groups of forces close
    graph.add_edges_from(((hub, node.id) for node in nodes), weight=0.05)
    k = 2.0 / math.sqrt(max(1, len(nodes)))
    raw = nx.spring_layout(graph, k=k, iterations=300, seed=7, weight="weight")
    raw.pop(hub)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    inner_w, inner_h = WIDTH - 2 * MARGIN - 240, HEIGHT - 2 * MARGIN - 40
    pos = {
        n: [
            MARGIN + 120 + (float(p[0]) - min(xs)) / span_x * inner_w,
            MARGIN + 20 + (float(p[1]) - min(ys)) / span_y * inner_h,
        ]
        for n, p in raw.items()
    }
    _spread(pos, {n.id: _radius(n) for n in nodes})
    return {n: (round(p[0], 1), round(p[1], 1)) for n, p in pos.items()}


def _spread(pos: dict[str, list[float]], radius: Mapping[str, float], gap: float = 26.0) -> None:
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
            p[1] = min(max(p[1], MARGIN + 10), HEIGHT - MARGIN - 10)
        if not moved:
            break


def _radius(node: Node) -> float:
    return round(5 + 3.2 * math.sqrt(node.signals), 1)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _place_labels(nodes: Sequence[Node], pos: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float, str]]:
    """Label positions (x, y, anchor): beside, above or below each node, avoiding other labels and nodes."""
    placed: list[_Box] = [
        _Box(pos[n.id][0] - _radius(n), pos[n.id][1] - _radius(n), pos[n.id][0] + _radius(n), pos[n.id][1] + _radius(n))
        for n in nodes
    ]
    out: dict[str, tuple[float, float, str]] = {}
    for node in sorted(nodes, key=lambda n: (-n.signals, n.label)):
        x, y = pos[node.id]
        r = _radius(node)
        w = len(_short(node.label)) * FONT * 0.56
        options = [
            (x + r + 4, y + 4, "start", _Box(x + r + 2, y - 9, x + r + 6 + w, y + 7)),
            (x - r - 4, y + 4, "end", _Box(x - r - 6 - w, y - 9, x - r - 2, y + 7)),
            (x, y - r - 6, "middle", _Box(x - w / 2, y - r - 20, x + w / 2, y - r - 3)),
            (x, y + r + 15, "middle", _Box(x - w / 2, y + r + 2, x + w / 2, y + r + 18)),
            (x + r, y - r - 4, "start", _Box(x + r - 2, y - r - 18, x + r + 2 + w, y - r - 1)),
            (x - r, y - r - 4, "end", _Box(x - r - 2 - w, y - r - 18, x - r + 2, y - r - 1)),
            (x + r, y + r + 13, "start", _Box(x + r - 2, y + r, x + r + 2 + w, y + r + 17)),
            (x - r, y + r + 13, "end", _Box(x - r - 2 - w, y + r, x - r + 2, y + r + 17)),
        ]
        inside = [o for o in options if o[3].x0 >= 0 and o[3].x1 <= WIDTH and o[3].y0 >= 0 and o[3].y1 <= HEIGHT]
        own = _Box(x - r, y - r, x + r, y + r)
        choice = min(
            inside or options,
            key=lambda o: sum(o[3].overlap(b) for b in placed if b != own),
        )
        placed.append(choice[3])
        out[node.id] = (round(choice[0], 1), round(choice[1], 1), choice[2])
    return out


def network(nodes: Sequence[Node], edges: Sequence[tuple[str, str, int]], title: str) -> Markup:
    """The force network: nodes sized by signals and coloured by category, edges by notes naming both."""
    if not nodes:
        return Markup("")
    pos = _layout(nodes, edges)
    labels = _place_labels(nodes, pos)
    names = {n.id: n.label for n in nodes}
    top = max((w for _, _, w in edges), default=1)
    out = [
        f'<svg class="network" viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="network-title">'
        f'<title id="network-title">{escape(title)}</title><g class="edges">'
    ]
    for a, b, weight in edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        width = round(1 + 4 * weight / top, 1)
        text = f"{names[a]} — {names[b]}: named in {weight} note{'s' if weight != 1 else ''} together"
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke-width="{width}"><title>{escape(text)}</title></line>'
        )
    out.append('</g><g class="nodes">')
    for node in sorted(nodes, key=lambda n: (n.signals, n.label)):
        x, y = pos[node.id]
        lx, ly, anchor = labels[node.id]
        what = f"{node.label} — {node.signals} signals in {node.notes} notes"
        if node.category:
            what += f" ({node.category})"
        out.append(
            f'<a href="{_attr(node.href)}"><title>{escape(what)}</title>'
            f'<circle cx="{x}" cy="{y}" r="{_radius(node)}" fill="{node.colour}"/>'
            f'<text x="{lx}" y="{ly}" text-anchor="{anchor}">{escape(_short(node.label))}</text></a>'
        )
    out.append("</g></svg>")
    return Markup("".join(out))  # noqa: S704 - every text and attribute above is escaped
