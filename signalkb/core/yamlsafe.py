"""YAML with the safe loader only, bounded in size: alias "bombs" are refused before they expand."""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 20_000
"""Most YAML nodes one document may expand to (each use of an alias counts again)."""


class TooLarge(ValueError):
    """The YAML document expands to more than MAX_NODES nodes."""


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a value its constructors reject is a YAMLError with the value's line.

    PyYAML's own raises plain ValueError (or worse) for values such as `!!float x`, and for dates that do not
    exist (`date: 2024-13-45`), which are kept as text here so that the note's reader can warn about them.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Construct one value; a value that cannot be made raises ConstructorError at its position."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError) as exc:
            value = f"{node.value!r} " if isinstance(node, yaml.ScalarNode) else ""
            kind = node.tag.rsplit(":", 1)[-1]
            why = f" ({exc})" if isinstance(exc, ValueError | OverflowError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"{value}is not a valid {kind}{why}", node.start_mark
            ) from exc

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date or time; text that only looks like one (`2024-13-45`) stays text, for the reader to warn about."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeLoader.construct_yaml_timestamp)


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


_TOO_DEEP = "YAML is nested too deeply (hundreds of levels)"


def compose(text: str) -> yaml.Node | None:
    """The YAML node tree of `text`; raises yaml.YAMLError for bad syntax, TooLarge for nesting too deep to read."""
    try:
        return yaml.compose(text, Loader=SafeLoader)
    except RecursionError:  # PyYAML composes recursively
        raise TooLarge(_TOO_DEEP) from None


def load(text: str, max_nodes: int = MAX_NODES) -> Any:
    """Parse YAML with the safe loader; raises yaml.YAMLError for bad syntax or values, TooLarge for bombs."""
    node = compose(text)
    if node is None:
        return None
    _count(node, [max_nodes])
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a subclass of yaml.SafeLoader (above)
    except RecursionError:
        raise TooLarge(_TOO_DEEP) from None
