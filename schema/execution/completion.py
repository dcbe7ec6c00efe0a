"""Value completion along a planned shape: graphql-core's complete_value, minus the dispatch.

Each method mirrors the graphql-core method named in its docstring for the values a plan
meets all the time (plain objects, Python lists, scalars) and hands anything else to that
method itself: awaitables, exceptions returned as values, nulls in non-null positions,
interfaces and unions, iterables that are not lists. Errors raised here go to
`handle_field_error` at the same places as in graphql-core, so null propagation, error
paths and the order of errors do not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.shapes import ShapeKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence

    from graphql import GraphQLObjectType, GraphQLOutputType, GraphQLResolveInfo
    from graphql.pyutils import AwaitableOrValue, Path

    from schema.execution.shapes import Shape
    from schema.execution.steps import FieldGroup

_LEAF = ShapeKind.LEAF
_OBJECT = ShapeKind.OBJECT
_LIST = ShapeKind.LIST


class InlineCompletion(StrawberryGraphQLCoreExecutionContext):
    def complete_shaped(
        self, shape: Shape, group: FieldGroup, info: GraphQLResolveInfo[Any], path: Path, value: Any
    ) -> AwaitableOrValue[Any]:
        """Executor.complete_value, for a value that is not awaitable."""
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            # In a non-null position graphql-core raises its own error for this
            return self.complete_value(shape.type, group, info, path, value, None) if shape.non_null else None
        kind = shape.kind
        if kind is _LEAF:
            return self.complete_leaf(shape, value)
        if kind is _OBJECT:
            assert shape.object_type is not None  # noqa: S101 - an object shape has one
            return self.complete_object_in_line(shape.object_type, group, info, path, value)
        if kind is _LIST and type(value) in {list, tuple}:
            return self.complete_list_in_line(shape, group, info, path, value)
        if kind is _LIST:
            return self.complete_list_value(shape.nullable, group, info, path, value, None)  # type: ignore[arg-type]
        return self.complete_abstract_value(shape.nullable, group, info, path, value, None)  # type: ignore[arg-type]

    def complete_leaf(self, shape: Shape, value: Any) -> Any:
        """Executor.complete_leaf_value, for a value that is not null."""
        leaf_type = shape.leaf_type
        assert leaf_type is not None  # noqa: S101 - a leaf shape has one
        coerced = leaf_type.coerce_output_value(value)
        if coerced is None or coerced is Undefined:
            return self.complete_leaf_value(leaf_type, value)  # raises graphql-core's error
        return coerced

    def complete_object_in_line(
        self,
        object_type: GraphQLObjectType,
        group: FieldGroup,
        info: GraphQLResolveInfo[Any],
        path: Path,
        value: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """Executor.complete_object_value."""
        is_type_of = object_type.is_type_of
        if is_type_of is not None:
            matches = is_type_of(value, info)
            if self.is_awaitable(matches):
                return self._complete_after_type_check(matches, object_type, group, path, value)
            if not matches:
                raise invalid_return_type_error(object_type, value, group)
        return self.collect_and_execute_subfields(object_type, group, path, value, None)

    async def _complete_after_type_check(
        self,
        matches: Awaitable[bool],
        object_type: GraphQLObjectType,
        group: FieldGroup,
        path: Path,
        value: Any,
    ) -> dict[str, Any]:
        if not await self.with_abort_signal(matches):
            raise invalid_return_type_error(object_type, value, group)
        fields = self.collect_and_execute_subfields(object_type, group, path, value, None)
        if self.is_awaitable(fields):
            fields = await fields
        return cast("dict[str, Any]", fields)

    def complete_list_in_line(
        self, shape: Shape, group: FieldGroup, info: GraphQLResolveInfo[Any], path: Path, items: Sequence[Any]
    ) -> AwaitableOrValue[list[Any]]:
        """Executor.complete_iterable_value and complete_list_item_value, for a list or tuple
        (a schema without @stream: no item is ever streamed)."""
        item_shape = shape.item
        assert item_shape is not None  # noqa: S101 - a list shape has one
        item_type = item_shape.type
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        index = 0
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    completed.append(
                        self.complete_awaitable_list_item_value(item, item_type, group, info, item_path, None)
                    )
                    awaitable_indices.append(index)
                    continue
                try:
                    value = self.complete_shaped(item_shape, group, info, item_path, item)
                except Exception as raw_error:  # noqa: BLE001 - graphql-core turns any error into a field error
                    self.handle_field_error(raw_error, item_type, group, item_path)
                    completed.append(None)
                    continue
                if is_awaitable(value):
                    completed.append(self.await_completed(value, item_type, group, item_path))
                    awaitable_indices.append(index)
                else:
                    completed.append(value)
        except Exception:
            # As graphql-core does: settle the awaitables of this list, started or not yet reached
            pending = [completed[i] for i in awaitable_indices]
            pending += [item for item in items[index + 1 :] if is_awaitable(item)]
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed
        return _gather_items(completed, awaitable_indices)

    async def await_completed(
        self, completed: Awaitable[Any], return_type: GraphQLOutputType, group: FieldGroup, path: Path
    ) -> Any:
        """The wrapper graphql-core puts around a field or item whose completion is awaitable."""
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001 - graphql-core turns any error into a field error
            self.handle_field_error(raw_error, return_type, group, path)
            return None


async def _gather_items(completed: list[Any], awaitable_indices: list[int]) -> list[Any]:
    """Executor.complete_iterable_value's tail: one awaitable in place, several concurrently."""
    if len(awaitable_indices) == 1:
        index = awaitable_indices[0]
        completed[index] = await completed[index]
    else:
        awaited = await gather_with_cancel(*(completed[index] for index in awaitable_indices))
        for index, value in zip(awaitable_indices, awaited, strict=True):
            completed[index] = value
    return completed
