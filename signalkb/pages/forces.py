"""Force pages, the force index (category → broad force → fine force, with the network of broad forces) and
category pages."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import combinations

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.model import Force, KnowledgeBase
from signalkb.forces.analytics import co_occurring, force_network, signals_per_year
from signalkb.pages import svg
from signalkb.pages.overviews import category_radar
from signalkb.pages.views import PageSpec, Refs, View, base_view, category_id, item, linked

NO_CATEGORY = "Uncategorised"
"""The heading of forces without a category on the index."""
TOP_CHILDREN = 5
"""Fine forces shown under each broad force on the force index."""
NO_HOME_SHOWN = 40
"""Fine forces without a broader force listed before the rest are folded away on the force index."""
MIN_BROAD_NETWORK = 3
"""The force index draws the network of broad forces when at least this many hold signals."""
NETWORK_EDGES = 160
"""At most this many links (the strongest) are drawn in the network of broad forces."""


@dataclass(frozen=True)
class BroadNetwork:
    """The broad forces that hold signals, and (a, b, shared signals) for each pair that shares signals."""

    nodes: tuple[Force, ...]
    edges: tuple[tuple[str, str, int], ...]
    shared: Mapping[str, list[tuple[str, int]]]
    """Each broad force's broad forces sharing most signals with it: (id, signals in common), most first."""


def _in_common(shared: int) -> str:
    return f"{shared} signal{'' if shared == 1 else 's'} in common"


def broad_network(kb: KnowledgeBase, max_edges: int = NETWORK_EDGES) -> BroadNetwork:
    """The network of broad forces: nodes hold signals, edges join two that share signals (weight: how many)."""
    nodes = tuple(f for f in kb.forces if f.broad and f.signal_ids)
    under: dict[str, list[str]] = {}
    for force in nodes:
        for sid in force.signal_ids:
            under.setdefault(sid, []).append(force.id)
    weights: Counter[tuple[str, str]] = Counter()
    for ids in under.values():
        for a, b in combinations(sorted(ids), 2):
            weights[(a, b)] += 1
    labels = {f.id: f.label.casefold() for f in nodes}
    shared: dict[str, list[tuple[str, int]]] = {}
    for (a, b), n in weights.items():
        shared.setdefault(a, []).append((b, n))
        shared.setdefault(b, []).append((a, n))
    for pairs in shared.values():
        pairs.sort(key=lambda kv: (-kv[1], labels[kv[0]], kv[0]))
    strongest = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:max_edges]
    edges = tuple((a, b, n) for (a, b), n in sorted(strongest))
    return BroadNetwork(nodes, edges, shared)


class ForcePages:
    """Plans the force index, one page per force and one per category."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: SiteConfig,
        refs: Refs,
        similar: Mapping[str, list[tuple[str, float]]],
        no_force: list[str],
    ) -> None:
        self.kb = kb
        self.config = config
        self.refs = refs
        self.similar = similar
        self.no_force = no_force
        self.co_occurring = co_occurring(kb)
        self.colours = svg.category_colours(kb.categories)

    def rebased(self, kb: KnowledgeBase, refs: Refs) -> ForcePages:
        """These force pages for `kb` and `refs`, which differ from their own only in signals' cells."""
        other = copy.copy(self)
        other.kb, other.refs = kb, refs
        return other

    @cached_property
    def position(self) -> dict[str, int]:
        """Each signal's place in the knowledge base's order (newest note first), made when first needed."""
        return {s.id: i for i, s in enumerate(self.kb.signals)}

    @cached_property
    def network(self) -> BroadNetwork:
        """The network of broad forces (made when first needed)."""
        return broad_network(self.kb)

    def _colour(self, category: str | None) -> str:
        return self.colours.get(category or "", svg.NO_CATEGORY)

    def _category_href(self, category: str | None, root: str) -> str:
        return root + self.refs.categories[category]["url"] if category in self.refs.categories else ""

    def _children(self, force: Force, root: str) -> list[View]:
        """A broad force's fine forces that hold signals, most signals first, with their counts."""
        by_id = self.kb.forces_by_id
        kids = [by_id[c] for c in force.children if c in by_id and by_id[c].signal_ids]
        kids.sort(key=lambda f: (-len(f.signal_ids), -len(f.note_ids), f.label.casefold(), f.id))
        return [linked(self.refs.forces[f.id], root) for f in kids]

    def _browse(self, root: str) -> list[View]:
        """Categories in the taxonomy's order, each with its broad forces (most signals first) and their top forces."""
        by_category: dict[str, list[Force]] = {}
        for force in self.kb.forces:
            if force.broad and force.signal_ids:
                by_category.setdefault(force.category or "", []).append(force)
        order = [c for c in self.kb.categories if c in by_category]
        order += sorted(c for c in by_category if c and c not in order)
        if "" in by_category:
            order.append("")
        groups = []
        for c in order:
            broad = sorted(by_category[c], key=lambda f: (-len(f.signal_ids), f.label.casefold(), f.id))
            forces = []
            for f in broad:
                children = self._children(f, root)
                forces.append(
                    linked(self.refs.forces[f.id], root)
                    | {
                        "description": f.description or "",
                        "children": children[:TOP_CHILDREN],
                        "more_children": max(0, len(children) - TOP_CHILDREN),
                        "all_children": len(children),
                    }
                )
            groups.append(
                {
                    "label": c or NO_CATEGORY,
                    "anchor": "category-" + (category_id(c) if c else "none"),
                    "href": self._category_href(c, root),
                    "colour": self._colour(c),
                    "forces": forces,
                    "signals": len({sid for f in broad for sid in f.signal_ids}),
                }
            )
        return groups

    def _network(self) -> View:
        """The network of broad forces; with fewer than MIN_BROAD_NETWORK that hold signals (`broad_forces: none`,
        or few placed), that of the forces named by most notes."""
        broad = self.network
        drawn = len(broad.nodes) >= MIN_BROAD_NETWORK
        if drawn:
            forces, edges = broad.nodes, broad.edges
            title = (
                f"The {len(forces)} broader driving forces that hold signals; a line joins two that share signals "
                "(thicker: more signals in common). Larger circles: more signals."
            )
        else:
            fine = force_network(self.kb)
            forces, edges = fine.nodes, fine.edges
            title = (
                f"The {len(forces)} driving forces named by most notes; a line joins two forces named in the same "
                "notes (thicker: more notes). Larger circles: more signals."
            )
        nodes = [
            svg.Node(
                f.id,
                f.label,
                f.id + "/",
                len(f.signal_ids),
                len(f.note_ids),
                self._colour(f.category),
                f.category or "",
            )
            for f in forces
        ]
        used = {n.category for n in nodes}
        legend = [{"label": c, "colour": self.colours[c]} for c in self.kb.categories if c in used]
        if "" in used and legend:
            legend.append({"label": NO_CATEGORY, "colour": svg.NO_CATEGORY})
        what = _in_common if drawn else svg.together
        return {"svg": svg.network(nodes, edges, title, what), "caption": title, "legend": legend}

    def index(self) -> PageSpec:
        """The force index: categories → broad forces → their top fine forces, the network of broad forces, fine
        forces without a broader force, every fine force, then unused forces and signals without."""
        url = urls.FORCES
        kb = self.kb
        fine = [f for f in kb.forces if not f.broad]
        broad = [f for f in kb.forces if f.broad and f.signal_ids]
        shared = sum(1 for f in fine if len(f.note_ids) > 1)
        described = f"{len(fine)} driving forces, {shared} shared by notes"
        view = base_view(
            self.config,
            url,
            "Driving forces",
            described + (f", under {len(broad)} broader forces." if broad else "."),
            "force-index",
        )
        root = view["root"]
        by_id = kb.forces_by_id

        def row(f: Force) -> View:
            return linked(self.refs.forces[f.id], root) | {
                "broader": [linked(self.refs.forces[b], root) for b in f.broader if b in by_id]
            }

        homeless = [linked(self.refs.forces[f.id], root) for f in fine if f.signal_ids and not f.broader]
        view.update(
            forces=[row(f) for f in fine if f.signal_ids],
            shared=shared,
            broad_count=len(broad),
            placed=sum(1 for f in fine if f.signal_ids and f.broader),
            groups=self._browse(root),
            network=self._network(),
            homeless=homeless[:NO_HOME_SHOWN],
            homeless_rest=homeless[NO_HOME_SHOWN:],
            unused=[linked(self.refs.forces[f.id], root) for f in fine if not f.signal_ids],
            no_force=[item(self.refs.signals[sid], root) for sid in self.no_force],
        )
        return PageSpec(url, "force_index.html", view)

    def plan(self) -> list[Callable[[], PageSpec]]:
        """Every force page, then every category page, each as a function that builds it."""
        plan: list[Callable[[], PageSpec]] = [partial(self.force_page, force) for force in self.kb.forces]
        plan.extend(partial(self.category_page, category) for category in self.kb.categories)
        return plan

    def force_page(self, force: Force) -> PageSpec:
        """A force: what it is, where it sits (broader or narrower forces), its signals by note (newest first), its
        timeline and the forces it goes with."""
        kb = self.kb
        url = urls.force(force.id)
        if force.broad:
            fallback = (
                f"{len(force.signal_ids)} signals from {len(force.note_ids)} notes sit under this broader "
                "driving force."
            )
        else:
            fallback = f"{len(force.signal_ids)} signals from {len(force.note_ids)} notes share this driving force."
        view = base_view(self.config, url, force.label, force.description or fallback, "force")
        root = view["root"]
        groups: dict[str, list[View]] = {}
        for sid in force.signal_ids:
            ref = self.refs.signals[sid]
            groups.setdefault(kb.signals_by_id[sid].note_id, []).append(item(ref, root) | {"change": ref["change"]})
        by_id = kb.forces_by_id
        years, undated = signals_per_year(force, kb)
        broader = [
            linked(self.refs.forces[b], root) | {"category_href": self._category_href(by_id[b].category, root)}
            for b in force.broader
            if b in by_id
        ]
        if force.broad:
            children = self._children(force, root)
            together = self.network.shared.get(force.id, [])[:8]
            co = [linked(self.refs.forces[fid], root) | {"together": n} for fid, n in together]
        else:
            children = [linked(self.refs.forces[c], root) for c in force.children if c in by_id]
            co = [
                linked(self.refs.forces[fid], root) | {"together": n} for fid, n in self.co_occurring.get(force.id, [])
            ]
        category = force.category or (by_id[force.broader[0]].category if broader else None) or ""
        trail: list[View] = [{"label": "Home", "href": root}, {"label": "Driving forces", "href": root + urls.FORCES}]
        if category:
            trail.append({"label": category, "href": self._category_href(category, root)})
        if broader:
            trail.append({"label": broader[0]["label"], "href": broader[0]["href"]})
        elif force.parent and force.parent in by_id:
            trail.append({"label": self.refs.forces[force.parent]["label"], "href": root + urls.force(force.parent)})
        trail.append({"label": force.label})
        view.update(
            force={
                "label": force.label,
                "level": force.level,
                "broad": force.broad,
                "description": force.description or "",
                "category": force.category or "",
                "category_href": self._category_href(force.category, root),
                "aliases": list(force.aliases),
                "phrases": [p for p in force.phrases if p != force.label],
                "declared": force.declared,
                "signals": len(force.signal_ids),
                "notes": len(force.note_ids),
                "parent": linked(self.refs.forces[force.parent], root)
                if force.parent and force.parent in by_id
                else None,
                "broader": broader,
                "children": children,
                "distinct": [linked(self.refs.forces[d], root) for d in force.distinct if d in by_id],
            },
            trail=trail,
            timeline=svg.timeline(years, f"Signals of “{force.label}” per year"),
            undated=undated,
            co_occurring=co,
            similar=[
                linked(self.refs.forces[fid], root) | {"score": f"{score:.2f}"}
                for fid, score in self.similar.get(force.id, [])
            ],
            forces_href=root + urls.FORCES,
            groups=[{"note": linked(self.refs.notes[nid], root), "signals": sigs} for nid, sigs in groups.items()],
        )
        return PageSpec(url, "force.html", view)

    def category_page(self, category: str) -> PageSpec:
        """A category: the radar of its signals, its broad forces (with their fine forces), then forces of the
        category without a broader force, most shared first."""
        url = urls.category(category_id(category))
        broad = sorted(
            (f for f in self.kb.forces if f.broad and f.category == category and f.signal_ids),
            key=lambda f: (-len(f.signal_ids), f.label.casefold(), f.id),
        )
        fine = [f for f in self.kb.forces if not f.broad and f.category == category]
        within = {b.id for b in broad}
        own = [f for f in fine if not within.intersection(f.broader)]
        count = len(broad) + len(fine)
        view = base_view(
            self.config,
            url,
            f"Category: {category}",
            f"{count} driving force{'' if count == 1 else 's'} in the category {category}.",
            "category",
        )
        root = view["root"]
        colour = self._colour(category)
        view.update(
            category={"label": category, "colour": colour},
            radar=category_radar(self.kb, category, [*broad, *own], self.refs, root, self.position, colour),
            broad=[
                linked(self.refs.forces[f.id], root)
                | {"description": f.description or "", "children": self._children(f, root)}
                for f in broad
            ],
            forces=[linked(self.refs.forces[f.id], root) for f in own],
            forces_href=root + urls.FORCES,
        )
        return PageSpec(url, "category.html", view)
