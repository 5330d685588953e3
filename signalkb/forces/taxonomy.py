"""The driving-force taxonomy: `content/forces.yaml` → `Taxonomy`; every problem is a diagnostic with its line."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from signalkb.core import yamlsafe
from signalkb.core.diagnostics import Diagnostic, SourceLocation, error, warning
from signalkb.core.slugs import name_key, slugify

MAX_YAML_NODES = 100_000
"""forces.yaml may hold at most this many YAML nodes (aliases counted each time they are used)."""


@dataclass(frozen=True)
class ForceDef:
    """One canonical force declared in forces.yaml."""

    id: str
    label: str
    line: int
    category: str | None = None
    parent: str | None = None
    """The parent's id (resolved from its label or id)."""
    description: str | None = None
    aliases: tuple[str, ...] = ()
    distinct: tuple[str, ...] = ()
    """Labels, ids or phrases declared to be other forces, though worded alike (no near-duplicate warning)."""
    examples: tuple[str, ...] = ()
    """A broad force's example phrasings: fine forces are placed under it by closeness to them."""
    broader: tuple[str, ...] | None = None
    """A fine force's broad forces as declared (labels or ids); None: placed by meaning."""


@dataclass(frozen=True)
class Taxonomy:
    """The declared forces and categories; empty when there is no forces.yaml."""

    categories: tuple[str, ...] = ()
    forces: tuple[ForceDef, ...] = ()
    path: str = "forces.yaml"
    broad: tuple[ForceDef, ...] = ()
    """Broad driving forces declared under `broad:`; fine forces are placed under them."""
    default_broad: bool = True
    """False when `broad_forces: none` turns the shipped default broad forces off."""


# --- forces.yaml --------------------------------------------------------------------------------


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_YAML_NODES

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError("too many YAML nodes (aliases expanding?)")


def _scalar(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value).strip()
    return None


def _mapping(node: yaml.Node, budget: _Budget) -> list[tuple[str, yaml.Node]]:
    pairs: list[tuple[str, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            budget.spend()
            pairs.append((_scalar(key_node) or "", value_node))
    return pairs


def _strings(node: yaml.Node, budget: _Budget) -> list[tuple[str, int]] | None:
    if isinstance(node, yaml.ScalarNode):
        return [(str(node.value).strip(), node.start_mark.line + 1)] if str(node.value).strip() else []
    if isinstance(node, yaml.SequenceNode):
        out: list[tuple[str, int]] = []
        for item in node.value:
            budget.spend()
            text = _scalar(item)
            if text is None:
                return None
            if text:
                out.append((text, item.start_mark.line + 1))
        return out
    return None


def parse_taxonomy(text: str, path: str) -> tuple[Taxonomy, list[Diagnostic]]:
    """Read forces.yaml; every problem is a diagnostic with the file and line, never an exception."""
    diagnostics: list[Diagnostic] = []

    def loc(node: yaml.Node | int) -> SourceLocation:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        return SourceLocation(path, line)

    try:
        root = yamlsafe.compose(text)
    except yamlsafe.TooLarge as exc:
        return Taxonomy(path=path), [error(f"forces.yaml is not usable: {exc}", SourceLocation(path))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = SourceLocation(path, mark.line + 1 if mark else None)
        return Taxonomy(path=path), [error(f"invalid YAML: {exc.problem or exc.context}", where)]
    except yaml.YAMLError as exc:
        return Taxonomy(path=path), [error(f"invalid YAML: {exc}", SourceLocation(path))]
    if root is None:
        return Taxonomy(path=path), []
    budget = _Budget()
    try:
        return _read_root(root, path, loc, budget, diagnostics), diagnostics
    except ValueError as exc:
        return Taxonomy(path=path), [error(f"forces.yaml is not usable: {exc}", SourceLocation(path))]


def _read_root(root: yaml.Node, path: str, loc: object, budget: _Budget, diagnostics: list[Diagnostic]) -> Taxonomy:
    assert callable(loc)
    if not isinstance(root, yaml.MappingNode):
        diagnostics.append(error("forces.yaml must be a mapping with a `forces:` list", loc(root)))
        return Taxonomy(path=path)
    top = dict(_mapping(root, budget))
    categories: list[str] = []
    if "categories" in top:
        cats = _strings(top["categories"], budget)
        if cats is None:
            diagnostics.append(error("`categories` must be a list of names", loc(top["categories"])))
        else:
            categories = [c for c, _ in cats]
    for key, node in top.items():
        if key not in _ROOT_KEYS:
            diagnostics.append(warning(f"unknown key `{key}` is ignored", loc(node), f"use {', '.join(_ROOT_KEYS)}"))
    default_broad = True
    if "broad_forces" in top:
        choice = (_scalar(top["broad_forces"]) or "").casefold()
        if choice not in ("default", "none"):
            diagnostics.append(
                error(
                    "`broad_forces` must be `default` or `none`",
                    loc(top["broad_forces"]),
                    "`default` keeps the shipped broad forces (and adds those under `broad:`); `none` keeps only yours",
                )
            )
        default_broad = choice != "none"
    lists: dict[str, list[dict[str, object]]] = {"forces": [], "broad": []}
    for name in lists:
        found = top.get(name)
        if found is None:
            continue
        node = found
        if not isinstance(node, yaml.SequenceNode):
            diagnostics.append(error(f"`{name}` must be a list of forces (`- label: ...`)", loc(node)))
            continue
        for item in node.value:
            budget.spend()
            entry = _read_force(item, categories, loc, budget, diagnostics, broad=name == "broad")
            if entry is not None:
                lists[name].append(entry)
    fine = _link_forces(lists["forces"], loc, diagnostics)
    broad = _link_forces(lists["broad"], loc, diagnostics)
    fine_ids = {f.id for f in fine}
    for force in broad:
        if force.id in fine_ids:
            diagnostics.append(
                error(
                    f"force id {force.id!r} is both a broad force and a force",
                    loc(force.line),
                    "give the broad force another label or `id:`",
                )
            )
    broad = [f for f in broad if f.id not in fine_ids]
    return Taxonomy(tuple(categories), tuple(fine), path, tuple(broad), default_broad)


_ROOT_KEYS = ("categories", "forces", "broad", "broad_forces")
_FORCE_KEYS = ("label", "id", "category", "parent", "description", "aliases", "distinct", "broader")
_BROAD_KEYS = ("label", "id", "category", "description", "examples")


def _read_force(
    item: yaml.Node,
    categories: list[str],
    loc: object,
    budget: _Budget,
    diagnostics: list[Diagnostic],
    *,
    broad: bool = False,
) -> dict[str, object] | None:
    assert callable(loc)
    if not isinstance(item, yaml.MappingNode):
        diagnostics.append(error("a force must be a mapping with at least `label:`", loc(item)))
        return None
    fields = dict(_mapping(item, budget))
    known = _BROAD_KEYS if broad else _FORCE_KEYS
    for key, node in fields.items():
        if key not in known:
            what = "broad force" if broad else "force"
            diagnostics.append(
                warning(f"unknown {what} key `{key}` is ignored", loc(node), f"known keys: {', '.join(known)}")
            )
    entry: dict[str, object] = {"line": item.start_mark.line + 1}
    for key in ("label", "id", "category", "parent", "description"):
        if key in fields:
            value = _scalar(fields[key])
            if value is None:
                diagnostics.append(error(f"`{key}` must be a single value", loc(fields[key])))
            elif value:
                entry[key] = value
                entry[key + "_line"] = fields[key].start_mark.line + 1
    if "label" not in entry:
        diagnostics.append(error("force has no `label`", loc(item), "add `label: <the force's name>`"))
        return None
    category = entry.get("category")
    if category is not None and categories and category not in categories and not broad:
        diagnostics.append(
            error(
                f"unknown category {category!r}",
                loc(int(str(entry["category_line"]))),
                f"use one of: {', '.join(categories)}, or add it to `categories`",
            )
        )
    aliases: list[tuple[str, int]] = []
    if "aliases" in fields:
        found = _strings(fields["aliases"], budget)
        if found is None:
            diagnostics.append(error("`aliases` must be a list of phrases", loc(fields["aliases"])))
        else:
            aliases = found
    entry["aliases"] = aliases
    distinct: list[tuple[str, int]] = []
    if "distinct" in fields:
        found = _strings(fields["distinct"], budget)
        if found is None:
            diagnostics.append(error("`distinct` must be a list of labels or phrases", loc(fields["distinct"])))
        else:
            distinct = found
    entry["distinct"] = distinct
    for key, what in (("examples", "example phrasings"), ("broader", "broad forces (labels or ids)")):
        if key in fields and key in known:
            found = _strings(fields[key], budget)
            if found is None:
                diagnostics.append(error(f"`{key}` must be a list of {what}", loc(fields[key])))
            else:
                entry[key] = found
                entry[key + "_line"] = fields[key].start_mark.line + 1
    return entry


def _link_forces(raw: list[dict[str, object]], loc: object, diagnostics: list[Diagnostic]) -> list[ForceDef]:
    assert callable(loc)
    by_id: dict[str, dict[str, object]] = {}
    label_to_id: dict[str, str] = {}
    for entry in raw:
        label = str(entry["label"])
        force_id = str(entry.get("id") or slugify(label))
        if force_id != slugify(force_id, max_length=200):
            diagnostics.append(
                error(
                    f"force id {force_id!r} is not a slug",
                    loc(int(str(entry.get("id_line", entry["line"])))),
                    f"use {slugify(force_id)!r}",
                )
            )
            force_id = slugify(force_id)
        if force_id in by_id:
            first = by_id[force_id]["line"]
            diagnostics.append(
                error(
                    f"duplicate force id {force_id!r} (first declared at line {first})", loc(int(str(entry["line"])))
                ),
            )
            continue
        entry["_id"] = force_id
        by_id[force_id] = entry
        label_to_id.setdefault(name_key(label), force_id)
    claimed: dict[str, tuple[str, int]] = {}
    for force_id, entry in by_id.items():
        names = [(str(entry["label"]), int(str(entry["line"])))]
        names += [(a, line) for a, line in entry["aliases"]]  # type: ignore[attr-defined]
        for name, line in names:
            key = name_key(name)
            owner = claimed.get(key)
            if owner is not None and owner[0] != force_id:
                diagnostics.append(
                    error(
                        f"phrase {name!r} is claimed by two forces ({owner[0]!r} at line {owner[1]} and {force_id!r})",
                        loc(line),
                        "keep it under one force only",
                    )
                )
            else:
                claimed.setdefault(key, (force_id, line))
    parents: dict[str, str | None] = {}
    for force_id, entry in by_id.items():
        parent = entry.get("parent")
        if parent is None:
            parents[force_id] = None
            continue
        target = str(parent) if str(parent) in by_id else label_to_id.get(name_key(str(parent)))
        if target is None:
            diagnostics.append(
                error(
                    f"unknown parent force {parent!r}",
                    loc(int(str(entry["parent_line"]))),
                    "give the label or id of a force in this file",
                )
            )
        parents[force_id] = target
    reported: set[frozenset[str]] = set()
    for force_id in by_id:
        seen = [force_id]
        current = parents.get(force_id)
        while current is not None:
            if current in seen:
                if current == force_id and frozenset(seen) not in reported:
                    reported.add(frozenset(seen))
                    diagnostics.append(
                        error(
                            f"parent cycle: {' → '.join([*seen, current])}",
                            loc(int(str(by_id[force_id].get("parent_line", by_id[force_id]["line"])))),
                            "a force cannot be its own ancestor",
                        )
                    )
                break
            seen.append(current)
            current = parents.get(current)
    return [
        ForceDef(
            id=force_id,
            label=str(entry["label"]),
            line=int(str(entry["line"])),
            category=str(entry["category"]) if "category" in entry else None,
            parent=parents.get(force_id),
            description=str(entry["description"]) if "description" in entry else None,
            aliases=tuple(a for a, _ in entry["aliases"]),  # type: ignore[attr-defined]
            distinct=tuple(d for d, _ in entry["distinct"]),  # type: ignore[attr-defined]
            examples=tuple(e for e, _ in entry.get("examples", ())),  # type: ignore[attr-defined]
            broader=tuple(b for b, _ in entry["broader"]) if "broader" in entry else None,  # type: ignore[attr-defined]
        )
        for force_id, entry in by_id.items()
    ]
