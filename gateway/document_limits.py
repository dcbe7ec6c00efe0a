"""Static limits on a GraphQL document, checked in time linear in its size, before validation.

A document's size is bounded by the token limit, but the work it causes is not: fragments
that spread the one below them twice double every walk that inlines them, per level, and
graphql-core's OverlappingFieldsCanBeMerged compares every pair of fields that share a
response name, so one field repeated a thousand times costs a million comparisons. Both
stalled the event loop for seconds.

So before graphql-core sees a document, one walk inlines its fragments under a fixed budget
of selections, and stops as soon as any limit is passed:

- fragments must be known and free of cycles (checked first, on the fragment graph);
- at most `max_selections` selections once fragments are inlined;
- fields no deeper than `max_depth` (introspection fields excepted, as strawberry's limiter did);
- at most `max_aliases` aliased fields, counted once per time they are inlined;
- at most `max_same_name_pairs` pairs of fields that share a response path, or of fragments
  spread into one selection set, which bounds what OverlappingFieldsCanBeMerged compares.

Operations are walked, and fragments that no operation uses (graphql-core still compares
their fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import DocumentNode, ExecutableDefinitionNode, Node, SelectionSetNode

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_depth: int
    max_aliases: int
    # Legitimate documents inline to a few hundred selections (GraphiQL's introspection
    # query: about 170); a walk of this many takes about 2 ms
    max_selections: int = 4000
    # A document whose fields all have distinct response paths has none (GraphiQL's
    # introspection query: 0). graphql-core needs 5 to 20 microseconds per pair, so this bounds
    # its comparisons to about 10 ms
    max_same_name_pairs: int = 500


class _LimitPassedError(Exception):
    def __init__(self, message: str, node: Node | None = None) -> None:
        super().__init__(message)
        self.error = GraphQLError(message, node, extensions={"code": VALIDATION_FAILED})


def _spreads_in(selection_set: SelectionSetNode) -> Iterator[FragmentSpreadNode]:
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection
            elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                pending.append(selection.selection_set)


class FragmentGraph:
    """Which fragments each definition spreads; checks that all exist and none spreads itself."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        self.operations: list[OperationDefinitionNode] = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode):
                self.operations.append(definition)
        self._spreads: dict[str, list[FragmentSpreadNode]] = {
            name: list(_spreads_in(fragment.selection_set)) for name, fragment in self.fragments.items()
        }

    def check(self) -> None:
        """Raises for the first unknown fragment or cycle."""
        for definition in [*self.operations, *self.fragments.values()]:
            for spread in _spreads_in(definition.selection_set):
                if spread.name.value not in self.fragments:
                    raise _LimitPassedError(f"Unknown fragment '{spread.name.value}'.", spread)
        self.dependencies_first()

    def dependencies_first(self) -> list[FragmentDefinitionNode]:
        """Every fragment after the fragments it spreads (a depth-first walk without recursion,
        since a chain of fragments can be longer than Python's stack)."""
        done: set[str] = set()
        on_path: set[str] = set()
        order: list[FragmentDefinitionNode] = []
        for root in self.fragments:
            if root in done:
                continue
            stack: list[tuple[str, Iterator[FragmentSpreadNode]]] = [(root, iter(self._spreads[root]))]
            on_path.add(root)
            while stack:
                name, spreads = stack[-1]
                spread = next(spreads, None)
                if spread is None:
                    stack.pop()
                    on_path.discard(name)
                    done.add(name)
                    order.append(self.fragments[name])
                    continue
                target = spread.name.value
                if target in on_path:
                    raise _LimitPassedError(f"Cannot spread fragment '{target}' within itself.", spread)
                if target in done or target not in self.fragments:
                    continue
                on_path.add(target)
                stack.append((target, iter(self._spreads[target])))
        return order

    def used_by_operations(self) -> set[str]:
        used: set[str] = set()
        pending = [spread.name.value for op in self.operations for spread in _spreads_in(op.selection_set)]
        while pending:
            name = pending.pop()
            if name not in used and name in self.fragments:
                used.add(name)
                pending.extend(spread.name.value for spread in self._spreads[name])
        return used


# One response path of the merged selection tree: [fields seen at this path, children by name]
_MergedField = list[Any]
# The key under which a merged selection set counts the fragments spread into it; no response
# name can look like this
_SPREADS = "..."


class _InliningWalk:
    """Inlines fragments, counting what the limits bound, and stops at the first one passed."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], limits: DocumentLimits) -> None:
        self.fragments = fragments
        self.limits = limits
        self.selections = 0
        self.aliases = 0
        self.same_name_pairs = 0
        self._label = ""

    def walk(self, definition: ExecutableDefinitionNode) -> None:
        limits = self.limits
        self._label = definition.name.value if definition.name else "anonymous"
        # (selection set, merged children at its path, nesting level, inside introspection)
        pending: list[tuple[SelectionSetNode, dict[str, _MergedField], int, bool]] = [
            (definition.selection_set, {}, 0, False)
        ]
        while pending:
            selection_set, merged, level, introspection = pending.pop()
            for selection in selection_set.selections:
                self.selections += 1
                if self.selections > limits.max_selections:
                    raise _LimitPassedError(
                        f"the document inlines to more than {limits.max_selections} selections "
                        "once its fragments are expanded",
                        selection,
                    )
                if isinstance(selection, FieldNode):
                    self._field(selection, merged, level, introspection, pending)
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, merged, level, introspection))
                elif isinstance(selection, FragmentSpreadNode):
                    # graphql-core compares every two fragments spread into one selection set
                    self._pair_up(merged, _SPREADS, selection)
                    fragment = self.fragments[selection.name.value]
                    pending.append((fragment.selection_set, merged, level, introspection))

    def _field(
        self,
        field: FieldNode,
        merged: dict[str, _MergedField],
        level: int,
        introspection: bool,
        pending: list[tuple[SelectionSetNode, dict[str, _MergedField], int, bool]],
    ) -> None:
        limits = self.limits
        if not introspection and level > limits.max_depth:
            # strawberry's QueryDepthLimiter said it this way; clients may match on it
            raise _LimitPassedError(
                f"'{self._label}' exceeds maximum operation depth of {limits.max_depth}", field
            )
        if field.alias is not None:
            self.aliases += 1
            if self.aliases > limits.max_aliases:
                raise _LimitPassedError(
                    f"the document has more than {limits.max_aliases} aliases once its fragments "
                    "are expanded",
                    field,
                )
        entry = self._pair_up(merged, (field.alias or field.name).value, field)
        if field.selection_set is not None:
            inside = introspection or field.name.value.startswith("__")
            pending.append((field.selection_set, entry[1], level + 1, inside))

    def _pair_up(self, merged: dict[str, _MergedField], key: str, node: Node) -> _MergedField:
        """Counts `node` in at its path: it will be compared with every one seen there before."""
        entry = merged.get(key)
        if entry is None:
            entry = merged[key] = [0, {}]
        self.same_name_pairs += entry[0]
        entry[0] += 1
        if self.same_name_pairs > self.limits.max_same_name_pairs:
            raise _LimitPassedError(
                "the document selects the same fields or fragments so many times over that "
                f"checking they can be merged would take more than {self.limits.max_same_name_pairs} "
                "comparisons: select each field once",
                node,
            )
        return entry


def check_document(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    """The first limit the document passes, as a validation error; empty if none."""
    graph = FragmentGraph(document)
    try:
        graph.check()
        walk = _InliningWalk(graph.fragments, limits)
        for operation in graph.operations:
            walk.walk(operation)
        used = graph.used_by_operations()
        for name, fragment in graph.fragments.items():
            if name not in used:
                walk.walk(fragment)
    except _LimitPassedError as passed:
        return [passed.error]
    return []
