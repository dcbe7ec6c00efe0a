"""graphql-core's executor with planned selection sets.

Per object value, graphql-core collects the sub-fields, then for each field looks up its
definition, builds a resolve info, calls strawberry's resolver wrapper (which builds its
own Info and converts arguments) and dispatches on the return type. Here each selection
set is planned once per operation (planner.py) and a planned step does only what its field
needs: `__typename` is a constant, a strawberry attribute is a `getattr`, a plain sync
resolver is called directly, and a scalar or enum is completed in line. Everything that is
not that common case goes through graphql-core's own methods, with the same arguments it
would have passed itself, so that values, error messages, paths, locations, null
propagation and the order of keys and errors are graphql-core's:

- a field with an async resolver, arguments or extensions runs `execute_field`;
- any value that is not a plain scalar or enum (objects, lists, awaitables, exceptions,
  a null in a non-null position) is completed by `complete_value`, which comes back here
  through `collect_and_execute_subfields` for the objects inside it;
- a failing field is handled by `handle_field_error`, which raises for non-null fields
  exactly where graphql-core would.

Only queries are planned; mutations (serial root fields) and subscriptions run unchanged.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from graphql import GraphQLResolveInfoHelpers, OperationType
from graphql.execution import Executor
from graphql.pyutils import Path, Undefined, gather_with_cancel

from schema.execution.card_renders import CardRenders
from schema.execution.completion import InlineCompletion
from schema.execution.plan_cache import OperationPlans, PlanCache
from schema.execution.planner import plan_subfields, plannable
from schema.execution.shared_events import SharedRenders
from schema.execution.steps import FieldGroup, FieldStep, ResolverKind, SelectionPlan

if TYPE_CHECKING:
    from graphql import GraphQLObjectType, GraphQLResolveInfo
    from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
    from graphql.pyutils import AwaitableOrValue

    from schema.execution.card_renders import CardSpec

_TYPENAME = ResolverKind.TYPENAME
_ATTRIBUTE = ResolverKind.ATTRIBUTE
_METHOD = ResolverKind.METHOD
_STOCK = ResolverKind.STOCK
# Values of these types are neither awaitable nor exceptions: they skip both checks
_PLAIN = frozenset({str, int, float, bool, dict, list, type(None)})


def _helpers_without_a_cycle(executor: Executor[Any]) -> GraphQLResolveInfoHelpers:
    """graphql-core's resolve-info helpers, holding the executor weakly.

    graphql-core keeps bound methods of the executor on the executor, a reference cycle: with
    the context in the executor, each request's whole tree (context, loaders and their futures,
    the session, the request) was left to the collector instead of freed when the request ended
    (about 100 objects a home page), and each collection of the young generation then stopped
    the event loop for 20 to 30 ms (bench/execution.py reports the collector's pauses). The
    helpers are called only while the executor runs (by graphql-core, for an abstract type
    whose isTypeOf is async, or by a resolver tracking its own work), and through the proxy
    they do the same then.
    """
    running = weakref.proxy(executor)

    def gather(values: Any) -> Any:
        return Executor.gather_async_work(running, values)

    def track(values: Any) -> None:
        Executor.track_async_work(running, values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


class PlannedExecutor(InlineCompletion):
    """Executes query operations from cached plans; see the module docstring."""

    plan_cache: ClassVar[PlanCache]
    shared_renders: ClassVar[SharedRenders]
    card_renders: ClassVar[CardRenders | None]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _helpers_without_a_cycle(self)
        self.operation_plans: OperationPlans | None = (
            self.plan_cache.plans_for(self) if self._can_plan() else None
        )

    def _can_plan(self) -> bool:
        middleware = self.middleware_manager
        return (
            self.operation.operation is OperationType.QUERY
            # Middleware wraps every resolver; a plan would bypass it
            and (middleware is None or not middleware.middlewares)
            and self.error_propagation
            and self.schema.get_directive("defer") is None
            and self.schema.get_directive("stream") is None
            and not any(f.variable_signatures for f in self.fragments.values())
        )

    def execute_operation(self, serially: bool | None = None) -> Any:
        """A subscription event that others share is rendered once (shared_events.py)."""
        key = self.shared_renders.key_for(self)
        if key is None:
            return super().execute_operation(serially)
        return self.shared_renders.render(
            key, lambda: super(PlannedExecutor, self).execute_operation(serially), self.is_awaitable
        )

    # Entry points: graphql-core calls these for the root and for every object value

    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plans = self.operation_plans
        if plans is None or serially or position_context is not None or not plannable(grouped_field_set):
            return super().execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )
        return self.execute_plan(plans.root_plan(self, root_type, grouped_field_set), root_value, None)

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if not isinstance(field_details_list, FieldGroup) or position_context is not None:
            return super().collect_and_execute_subfields(
                return_type, field_details_list, path, result, position_context
            )
        plan = field_details_list.selections.get(return_type.name) or plan_subfields(
            self, return_type, field_details_list
        )
        cards = self.card_renders
        if cards is not None and return_type.name in cards.spec.type_names:
            return cards.complete(self, plan, result, path, self.execute_plan)
        return self.execute_plan(plan, result, path)

    # The planned walk, mirroring Executor.execute_fields and Executor.execute_field

    def execute_plan(
        self, plan: SelectionPlan, source: Any, path: Path | None
    ) -> AwaitableOrValue[dict[str, Any]]:
        parent_type = plan.parent_type
        type_name = parent_type.name
        is_awaitable = self.is_awaitable
        results: dict[str, Any] = {}
        awaitable_names: list[str] = []
        try:
            for step in plan.steps:
                name = step.response_name
                kind = step.kind
                if kind is _TYPENAME:
                    results[name] = type_name
                    continue
                if kind is _STOCK:
                    result = self.execute_field(
                        parent_type, source, step.group, Path(path, name, type_name), None
                    )
                elif kind is _ATTRIBUTE and step.leaf_type is not None:
                    result = self.execute_leaf_attribute(step, parent_type, source, path)
                else:
                    result = self.execute_planned_field(
                        step, parent_type, source, Path(path, name, type_name)
                    )
                results[name] = result
                if type(result) not in _PLAIN and is_awaitable(result):
                    awaitable_names.append(name)
        except Exception:
            if awaitable_names:
                # As graphql-core does: settle the siblings' pending work, it may fail too
                self.settle_in_background([results[name] for name in awaitable_names])
            raise
        if not awaitable_names:
            return results
        return _gather_fields(results, awaitable_names)

    def execute_leaf_attribute(
        self, step: FieldStep, parent_type: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        """The common case, without a resolve info or a Path unless something is unusual."""
        try:
            value = step.default_resolver(source, step.attribute)
            completed = self.complete_leaf_in_line(step, value)
        except Exception as raw_error:  # noqa: BLE001 - graphql-core turns any error into a field error
            field_path = Path(path, step.response_name, parent_type.name)
            self.handle_field_error(raw_error, step.return_type, step.group, field_path)
            return None
        if completed is not Undefined:
            return completed
        field_path = Path(path, step.response_name, parent_type.name)
        info = self.build_resolve_info(step.field_def, step.nodes, parent_type, field_path)
        return self.complete_field(step, info, field_path, value)

    def execute_planned_field(
        self, step: FieldStep, parent_type: GraphQLObjectType, source: Any, path: Path
    ) -> Any:
        info = self.build_resolve_info(step.field_def, step.nodes, parent_type, path)
        completed: Any = Undefined
        try:
            if step.call is not None:
                value = step.call(source, info)
            else:
                value = step.default_resolver(source, step.attribute)
            if step.leaf_type is not None:
                completed = self.complete_leaf_in_line(step, value)
        except Exception as raw_error:  # noqa: BLE001 - graphql-core turns any error into a field error
            self.handle_field_error(raw_error, step.return_type, step.group, path)
            return None
        if completed is not Undefined:
            return completed
        return self.complete_field(step, info, path, value)

    def complete_leaf_in_line(self, step: FieldStep, value: Any) -> Any:
        """A scalar or enum value completed as graphql-core would, or Undefined when the
        value needs graphql-core: awaitable, exception, null in a non-null field, or a value
        the type cannot represent (graphql-core words that error). A coercion that raises
        raises here as it would in graphql-core's complete_leaf_value."""
        if value is None:
            return Undefined if step.shape.non_null else None
        if type(value) not in _PLAIN and (self.is_awaitable(value) or isinstance(value, Exception)):
            return Undefined
        coerced = step.leaf_type.coerce_output_value(value)  # type: ignore[union-attr]
        return Undefined if coerced is None or coerced is Undefined else coerced

    def complete_field(self, step: FieldStep, info: GraphQLResolveInfo[Any], path: Path, value: Any) -> Any:
        """Executor.execute_field from the resolver's value on."""
        return_type = step.return_type
        try:
            if self.is_awaitable(value):
                return self.complete_awaitable_value(return_type, step.group, info, path, value, None)
            completed = self.complete_shaped(step.shape, step.group, info, path, value)
            if self.is_awaitable(completed):
                return self.await_completed(completed, return_type, step.group, path)
        except Exception as raw_error:  # noqa: BLE001 - graphql-core turns any error into a field error
            self.handle_field_error(raw_error, return_type, step.group, path)
            return None
        return completed


async def _gather_fields(results: dict[str, Any], awaitable_names: list[str]) -> dict[str, Any]:
    """Executor.execute_fields' tail: one awaitable is awaited in place, several concurrently."""
    if len(awaitable_names) == 1:
        name = awaitable_names[0]
        results[name] = await results[name]
    else:
        awaited = await gather_with_cancel(*(results[name] for name in awaitable_names))
        results.update(zip(awaitable_names, awaited, strict=True))
    return results


def planned_executor_class(card_spec: CardSpec | None = None) -> type[PlannedExecutor]:
    """A PlannedExecutor with caches of its own, for one schema; with `card_spec`, completed
    cards of that type are kept and shared (card_renders.py)."""
    attributes = {
        "plan_cache": PlanCache(),
        "shared_renders": SharedRenders(),
        "card_renders": CardRenders(card_spec) if card_spec is not None else None,
    }
    return type("PlannedExecutor", (PlannedExecutor,), attributes)
