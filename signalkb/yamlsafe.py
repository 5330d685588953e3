"""YAML with the safe loader only, bounded in size: alias "bombs" are refused before they expand."""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 20_000
"""Most YAML nodes one document may expand to (each use of an alias counts again)."""


class TooLarge(ValueError):
    """The YAML document expands to more than MAX_NODES nodes."""


def _count(node: yaml.Node, budget: list[int]) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise TooLarge(f"YAML expands to more than {MAX_NODES} values (aliases used many times?)")
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))


def load(text: str, max_nodes: int = MAX_NODES) -> Any:
    """Parse YAML with the safe loader; raises yaml.YAMLError for bad syntax and TooLarge for bombs."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None
    _count(node, [max_nodes])
    return yaml.load(text, Loader=yaml.SafeLoader)
