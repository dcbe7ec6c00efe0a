"""What a query asks for below a connection, so a page can be hydrated in a few batched calls.

The answer depends only on the parsed document (fragments included; `@skip`/`@include` are not
evaluated, as in strawberry's `info.selected_fields`), and the parser cache hands every
request with the same query the same document. So it is read from graphql-core's field
nodes directly and kept per field node, instead of converting the whole selection into
strawberry's objects on every request.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

if TYPE_CHECKING:
    from collections.abc import Iterable

    from graphql import FragmentDefinitionNode, SelectionSetNode

    from resolvers.context import Info

_CONNECTION_NODE = ("edges", "node")
_names: dict[tuple[int, tuple[str, ...]], tuple[weakref.ref[FieldNode], frozenset[str]]] = {}


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    """The fields of a selection set, fragments flattened."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            fields += _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fields += _fields(fragments[selection.name.value].selection_set, fragments)
    return fields


def _names_under(
    nodes: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode], path: tuple[str, ...]
) -> frozenset[str]:
    level = [field for node in nodes for field in _fields(node.selection_set, fragments)]
    for name in path:
        level = [
            child
            for field in level
            if field.name.value == name
            for child in _fields(field.selection_set, fragments)
        ]
    return frozenset(field.name.value for field in level)


def field_names_under(info: Info, *path: str) -> set[str]:
    """Names of the fields selected below `path` inside the current field."""
    raw = info._raw_info  # noqa: SLF001 - the field nodes, without strawberry's per-request conversion
    first = raw.field_nodes[0]
    key = (id(first), path)
    cached = _names.get(key)
    if cached is not None and cached[0]() is first and len(raw.field_nodes) == 1:
        return set(cached[1])
    names = _names_under(raw.field_nodes, raw.fragments, path)
    if len(raw.field_nodes) == 1:
        _names[key] = (weakref.ref(first, lambda _: _names.pop(key, None)), names)
    return set(names)


def connection_node_fields(info: Info) -> set[str]:
    """Names of the fields selected on `edges { node { ... } }` of the current connection field."""
    return field_names_under(info, *_CONNECTION_NODE)
