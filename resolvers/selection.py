"""What a query asks for below a connection, so a page can be hydrated in a few batched calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

if TYPE_CHECKING:
    from collections.abc import Iterable

    from strawberry.types.nodes import Selection

    from resolvers.context import Info


def _flatten(selections: Iterable[Selection]) -> list[SelectedField]:
    fields: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            fields.append(selection)
        elif isinstance(selection, (InlineFragment, FragmentSpread)):
            fields += _flatten(selection.selections)
    return fields


def connection_node_fields(info: Info) -> set[str]:
    """Names of the fields selected on `edges { node { ... } }` of the current connection field."""
    names: set[str] = set()
    for field in _flatten(info.selected_fields):
        for edges in _flatten(field.selections):
            if edges.name != "edges":
                continue
            for node in _flatten(edges.selections):
                if node.name == "node":
                    names |= {f.name for f in _flatten(node.selections)}
    return names


def field_names_under(info: Info, *path: str) -> set[str]:
    """Names of the fields selected below `path` inside the current field."""
    level = _flatten(info.selected_fields)
    for name in path:
        level = [child for field in level for child in _flatten(field.selections) if child.name == name]
    return {child.name for field in level for child in _flatten(field.selections)}
