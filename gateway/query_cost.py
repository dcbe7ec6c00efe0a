"""The cost of an operation, computed from its document before anything runs.

Every field costs 1. A connection (a field with a `first` argument) and a list of ids costs
its page size times its children, as GitHub's and Saleor's APIs count, so nesting
connections multiplies. Fragments on different types of an abstract field count as the
dearest of them, since one object matches only one type. `@skip`/`@include` are ignored:
the cost is an upper bound.

Each fragment is priced once, before the fragments that spread it, so pricing takes time
linear in the document however often its fragments are spread (a fragment spread twice per
level used to double the walk per level).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    VariableNode,
    get_named_type,
    value_from_ast,
)

from gateway.document_limits import FragmentGraph
from gateway.doorkeeper import Doorkeeper

if TYPE_CHECKING:
    from graphql import (
        DocumentNode,
        GraphQLNamedType,
        OperationDefinitionNode,
        SelectionSetNode,
    )

PAGE_ARGUMENTS = ("first", "last")
LIST_ARGUMENTS = ("ids",)


class _CostWalker:
    def __init__(self, schema: GraphQLSchema, variables: dict[str, Any], max_page: int) -> None:
        self.schema = schema
        self.variables = variables
        self.max_page = max_page
        # Name -> (type condition, cost of its selections), filled dependencies first
        self.fragment_costs: dict[str, tuple[str, int]] = {}

    def price_fragments(self, graph: FragmentGraph) -> None:
        for fragment in graph.dependencies_first():
            condition = fragment.type_condition.name.value
            cost = self.selection_cost(fragment.selection_set, self.schema.get_type(condition))
            self.fragment_costs[fragment.name.value] = (condition, cost)

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if selection_set is None or parent is None:
            return 0
        total = 0
        by_type: dict[str, int] = {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                target = self.schema.get_type(condition) if condition else parent
                cost = self.selection_cost(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                # Priced already; a fragment missing here is one validation refused
                condition, cost = self.fragment_costs.get(selection.name.value, (None, 0))
            else:
                continue
            if condition is None or condition == parent.name:
                total += cost
            else:
                by_type[condition] = by_type.get(condition, 0) + cost
        return total + max(by_type.values(), default=0)

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType) -> int:
        if node.name.value.startswith("__") and node.name.value != "__schema":
            return 0  # __typename and __type are free
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 1
        definition = parent.fields.get(node.name.value)
        if definition is None:
            if node.name.value == "__schema":
                return 1 + self.selection_cost(node.selection_set, self.schema.get_type("__Schema"))
            return 1
        children = self.selection_cost(node.selection_set, get_named_type(definition.type))
        return 1 + self.multiplier(node, definition.args) * children

    def multiplier(self, node: FieldNode, args: dict[str, Any]) -> int:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in PAGE_ARGUMENTS:
            if name in args:
                value = self._value(given.get(name), args[name])
                return max(1, min(value if isinstance(value, int) else self.max_page, self.max_page))
        for name in LIST_ARGUMENTS:
            if name in given:
                value = self._value(given[name], args[name])
                return max(1, len(value)) if isinstance(value, list) else self.max_page
        return 1

    def _value(self, node: Any, argument: Any) -> Any:
        if node is None:
            return argument.default_value
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, ListValueNode):
            return list(node.values)
        return value_from_ast(node, argument.type)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    *,
    max_page: int,
) -> int:
    """The cost of the operation the request runs; 0 if there is none to run.

    The document must have passed validation: its fragments exist and spread no cycle.
    """
    graph = FragmentGraph(document)
    chosen = [
        op
        for op in graph.operations
        if operation_name is None or (op.name and op.name.value == operation_name)
    ]
    if not chosen:
        return 0
    operation: OperationDefinitionNode = chosen[0]
    walker = _CostWalker(schema, variables or {}, max_page)
    walker.price_fragments(graph)
    return walker.selection_cost(operation.selection_set, schema.get_root_type(operation.operation))


_MEMO_CHARS = 512 * 1024


class CostMemo:
    """Costs already computed, by query text, operation name and raw variables.

    A hot query (a persisted home page, say) is priced twice per process (gateway/doorkeeper.py)
    instead of on every request: the cost depends on nothing else, and the schema is fixed while the process
    lives. Raw variables that are not plain JSON are not remembered, only priced.
    """

    def __init__(self, schema: GraphQLSchema, *, max_page: int, max_chars: int = _MEMO_CHARS) -> None:
        self._schema = schema
        self._max_page = max_page
        # Bounded by the text it holds: a hostile client varies long documents at will
        self._max_chars = max_chars
        self._chars = 0
        self._costs: dict[tuple[str, str | None, bytes], int] = {}
        self._doorkeeper = Doorkeeper()  # kept from the second time it is priced

    @property
    def held_chars(self) -> int:
        """The text the memo holds (queries and variables, and a fixed overhead per entry), which
        its budget bounds."""
        return self._chars

    def cost(
        self,
        query: str | None,
        document: DocumentNode,
        operation_name: str | None,
        raw_variables: dict[str, Any] | None,
        coerced_variables: dict[str, Any],
    ) -> int:
        key = _memo_slot(query, operation_name, raw_variables)
        if key is None:
            return operation_cost(
                self._schema, document, operation_name, coerced_variables, max_page=self._max_page
            )
        known = self._costs.get(key)
        if known is None:
            known = operation_cost(
                self._schema, document, operation_name, coerced_variables, max_page=self._max_page
            )
            size = _held(key)
            if size > self._max_chars // 64 or not self._doorkeeper.admit(key):
                return known  # not a hot page's query (yet): not worth its room
            while self._costs and self._chars + size > self._max_chars:
                # Oldest first: dicts keep insertion order, and a hot query is soon priced again
                oldest = next(iter(self._costs))
                del self._costs[oldest]
                self._chars -= _held(oldest)
            self._costs[key] = known
            self._chars += size
        return known


# What an entry holds besides its text (a tuple, a str and a bytes object, a dict slot), in
# characters, so that many small entries are bounded too
_ENTRY_OVERHEAD = 256


def _held(key: tuple[str, str | None, bytes]) -> int:
    return len(key[0]) + len(key[2]) + _ENTRY_OVERHEAD


def _memo_slot(
    query: str | None, operation_name: str | None, raw_variables: dict[str, Any] | None
) -> tuple[str, str | None, bytes] | None:
    if query is None:
        return None  # no text to know the document by
    try:
        return (query, operation_name, orjson.dumps(raw_variables, option=orjson.OPT_SORT_KEYS))
    except TypeError:
        return None


_MEMOS: weakref.WeakKeyDictionary[GraphQLSchema, CostMemo] = weakref.WeakKeyDictionary()


def cost_memo(schema: GraphQLSchema, *, max_page: int) -> CostMemo:
    """The schema's memo, made on first use."""
    memo = _MEMOS.get(schema)
    if memo is None:
        memo = _MEMOS[schema] = CostMemo(schema, max_page=max_page)
    return memo
