"""Force pages, the force index (grouped by category, with the network picture) and category pages."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from functools import cached_property, partial

from signalkb.core import urls
from signalkb.core.config import SiteConfig
from signalkb.core.model import Force, KnowledgeBase
from signalkb.forces.analytics import co_occurring, force_network, signals_per_year
from signalkb.pages import svg
from signalkb.pages.overviews import category_radar
from signalkb.pages.views import PageSpec, Refs, View, base_view, category_id, item, linked

NO_CATEGORY = "Uncategorised"
"""The heading of forces without a category on the index."""


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

    def _groups(self, root: str) -> list[View]:
        by_category: dict[str, list[View]] = {}
        for force in self.kb.forces:
            if force.signal_ids:
                by_category.setdefault(force.category or "", []).append(linked(self.refs.forces[force.id], root))
        order = [c for c in self.kb.categories if c in by_category]
        order += sorted(c for c in by_category if c and c not in order)
        if "" in by_category:
            order.append("")
        return [
            {
                "label": c or NO_CATEGORY,
                "anchor": "category-" + (category_id(c) if c else "none"),
                "href": root + self.refs.categories[c]["url"] if c in self.refs.categories else "",
                "colour": self.colours.get(c, svg.NO_CATEGORY),
                "forces": by_category[c],
                "signals": sum(f["signals"] for f in by_category[c]),
            }
            for c in order
        ]

    def _network(self) -> View:
        net = force_network(self.kb)
        nodes = [
            svg.Node(
                f.id,
                f.label,
                f.id + "/",
                len(f.signal_ids),
                len(f.note_ids),
                self.colours.get(f.category or "", svg.NO_CATEGORY),
                f.category or "",
            )
            for f in net.nodes
        ]
        title = (
            f"The {len(nodes)} driving forces named by most notes; a line joins two forces named in the same "
            "notes (thicker: more notes). Larger circles: more signals."
        )
        used = {n.category for n in nodes}
        legend = [{"label": c, "colour": self.colours[c]} for c in self.kb.categories if c in used]
        if "" in used and legend:
            legend.append({"label": NO_CATEGORY, "colour": svg.NO_CATEGORY})
        return {"svg": svg.network(nodes, net.edges, title), "caption": title, "legend": legend}

    def index(self) -> PageSpec:
        """The force index: the network, then forces grouped by category, then unused forces and signals without."""
        url = urls.FORCES
        kb = self.kb
        shared = sum(1 for f in kb.forces if len(f.note_ids) > 1)
        view = base_view(
            self.config,
            url,
            "Driving forces",
            f"{len(kb.forces)} driving forces, {shared} shared by notes.",
            "force-index",
        )
        root = view["root"]
        view.update(
            forces=[linked(self.refs.forces[f.id], root) for f in kb.forces if f.signal_ids],
            shared=shared,
            groups=self._groups(root),
            network=self._network(),
            unused=[linked(self.refs.forces[f.id], root) for f in kb.forces if not f.signal_ids],
            no_force=[item(self.refs.signals[sid], root) for sid in self.no_force],
        )
        return PageSpec(url, "force_index.html", view)

    def plan(self) -> list[Callable[[], PageSpec]]:
        """Every force page, then every category page, each as a function that builds it."""
        plan: list[Callable[[], PageSpec]] = [partial(self.force_page, force) for force in self.kb.forces]
        plan.extend(partial(self.category_page, category) for category in self.kb.categories)
        return plan

    def force_page(self, force: Force) -> PageSpec:
        """A force: what it is, its signals by note (newest first), its timeline and the forces it goes with."""
        kb = self.kb
        url = urls.force(force.id)
        description = (
            force.description
            or f"{len(force.signal_ids)} signals from {len(force.note_ids)} notes share this driving force."
        )
        view = base_view(self.config, url, force.label, description, "force")
        root = view["root"]
        groups: dict[str, list[View]] = {}
        for sid in force.signal_ids:
            ref = self.refs.signals[sid]
            groups.setdefault(kb.signals_by_id[sid].note_id, []).append(item(ref, root) | {"change": ref["change"]})
        by_id = kb.forces_by_id
        years, undated = signals_per_year(force, kb)
        view.update(
            force={
                "label": force.label,
                "description": force.description or "",
                "category": force.category or "",
                "category_href": root + self.refs.categories[force.category]["url"]
                if force.category in self.refs.categories
                else "",
                "aliases": list(force.aliases),
                "phrases": [p for p in force.phrases if p != force.label],
                "declared": force.declared,
                "signals": len(force.signal_ids),
                "notes": len(force.note_ids),
                "parent": linked(self.refs.forces[force.parent], root)
                if force.parent and force.parent in by_id
                else None,
                "children": [linked(self.refs.forces[c], root) for c in force.children if c in by_id],
                "distinct": [linked(self.refs.forces[d], root) for d in force.distinct if d in by_id],
            },
            timeline=svg.timeline(years, f"Signals of “{force.label}” per year"),
            undated=undated,
            co_occurring=[
                linked(self.refs.forces[fid], root) | {"together": n} for fid, n in self.co_occurring.get(force.id, [])
            ],
            similar=[
                linked(self.refs.forces[fid], root) | {"score": f"{score:.2f}"}
                for fid, score in self.similar.get(force.id, [])
            ],
            forces_href=root + urls.FORCES,
            groups=[{"note": linked(self.refs.notes[nid], root), "signals": sigs} for nid, sigs in groups.items()],
        )
        return PageSpec(url, "force.html", view)

    def category_page(self, category: str) -> PageSpec:
        """A category of the taxonomy: the radar of its signals, then its forces, most shared first."""
        url = urls.category(category_id(category))
        forces = [f for f in self.kb.forces if f.category == category]
        view = base_view(
            self.config,
            url,
            f"Category: {category}",
            f"{len(forces)} driving forces in the category {category}.",
            "category",
        )
        root = view["root"]
        colour = self.colours.get(category, svg.NO_CATEGORY)
        view.update(
            category={"label": category, "colour": colour},
            radar=category_radar(self.kb, category, forces, self.refs, root, self.position, colour),
            forces=[linked(self.refs.forces[f.id], root) for f in forces],
            forces_href=root + urls.FORCES,
        )
        return PageSpec(url, "category.html", view)
