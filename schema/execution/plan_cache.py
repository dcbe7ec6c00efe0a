"""Plans kept per operation, for as long as its parsed document lives.

The parser cache hands every request with the same query text the same document object,
so plans are keyed by the operation node's identity (held weakly: a plan dies with its
document) and by the values of the variables that `@skip`/`@include` read, which are the
only variables field collection depends on.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from graphql import VariableNode, visit
from graphql.language import Visitor

from schema.execution.planner import plan_fields, strawberry_schema_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from graphql import DirectiveNode, GraphQLObjectType, Node, OperationDefinitionNode
    from graphql.execution import Executor
    from graphql.execution.collect_fields import GroupedFieldSet

    from schema.execution.steps import SelectionPlan

_CONDITIONAL_DIRECTIVES = frozenset({"skip", "include"})


class _ConditionVariables(Visitor):
    """Collects the names of variables used as `if:` of `@skip`/`@include`."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value not in _CONDITIONAL_DIRECTIVES:
            return
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode) and argument.value.name.value not in self.names:
                self.names.append(argument.value.name.value)


def condition_variables(definitions: Iterable[Node]) -> tuple[str, ...]:
    visitor = _ConditionVariables()
    for definition in definitions:
        visit(definition, visitor)
    return tuple(visitor.names)


class OperationPlans:
    """The root plan of one operation for one set of `@skip`/`@include` variable values.

    Sub-selection plans hang off the root plan's field groups (see steps.FieldGroup).
    """

    def __init__(self) -> None:
        self.root: SelectionPlan | None = None

    def root_plan(
        self, executor: Executor[Any], root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> SelectionPlan:
        if self.root is None or self.root.parent_type is not root_type:
            self.root = plan_fields(
                root_type, grouped_field_set, executor.schema, strawberry_schema_of(executor)
            )
        return self.root


class _PlansOfOperation:
    __slots__ = ("by_condition_values", "condition_names", "operation")

    def __init__(
        self, operation: weakref.ref[OperationDefinitionNode], condition_names: tuple[str, ...]
    ) -> None:
        self.operation = operation
        self.condition_names = condition_names
        self.by_condition_values: dict[tuple[object, ...], OperationPlans] = {}


class PlanCache:
    """Plans per parsed operation; one cache per schema."""

    def __init__(self) -> None:
        self._operations: dict[int, _PlansOfOperation] = {}

    def __len__(self) -> int:
        return len(self._operations)

    def plans_for(self, executor: Executor[Any]) -> OperationPlans:
        operation = executor.operation
        key = id(operation)
        entry = self._operations.get(key)
        if entry is None or entry.operation() is not operation:
            names = condition_variables([operation, *executor.fragment_definitions.values()])
            entry = _PlansOfOperation(weakref.ref(operation, self._forget(key)), names)
            self._operations[key] = entry
        coerced = executor.variable_values.coerced
        values = tuple(coerced.get(name) for name in entry.condition_names)
        plans = entry.by_condition_values.get(values)
        if plans is None:
            plans = entry.by_condition_values[values] = OperationPlans()
        return plans

    def _forget(self, key: int) -> Callable[[weakref.ref[OperationDefinitionNode]], None]:
        operations = self._operations

        def forget(reference: weakref.ref[OperationDefinitionNode]) -> None:
            entry = operations.get(key)
            if entry is not None and entry.operation is reference:
                del operations[key]

        return forget
