"""Which of strawberry's field resolvers a plan may call directly, and how.

strawberry wraps every resolver in a closure that builds its `Info`, converts arguments and
chains field extensions, even when there is nothing to convert or chain. For the two
shapes below the plan calls what that closure would end up calling; everything else keeps
strawberry's own resolver. The checks are strict on purpose: a field that is not exactly
one of these shapes (a subclass of StrawberryField, a resolver strawberry wrapped for
exception handlers, a renamed wrapper in a newer strawberry) is simply not planned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    ListValueNode,
    ObjectValueNode,
    VariableNode,
    get_nullable_type,
    is_enum_type,
    is_scalar_type,
    is_specified_scalar_type,
)
from graphql.execution.values import get_argument_values
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from schema.execution.steps import ResolverKind

if TYPE_CHECKING:
    from collections.abc import Callable

    import strawberry
    from graphql import FieldNode, GraphQLField, GraphQLResolveInfo, ValueNode

# The names strawberry 0.341 gives its wrappers in GraphQLCoreConverter.from_resolver
_BASIC_WRAPPER = "_get_basic_result"
_SYNC_WRAPPER = "_resolver"
_ASYNC_WRAPPER = "_async_resolver"
_WRAPPER_OWNER = "GraphQLCoreConverter.from_resolver.<locals>."


def strawberry_field_of(field_def: GraphQLField) -> StrawberryField | None:
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    # Exactly StrawberryField: subclasses may override get_result
    return definition if type(definition) is StrawberryField else None


def _wrapper_name(field_def: GraphQLField) -> str | None:
    resolve = field_def.resolve
    qualname = getattr(resolve, "__qualname__", "")
    if not qualname.startswith(_WRAPPER_OWNER):
        return None
    return qualname.removeprefix(_WRAPPER_OWNER)


def constant_arguments(field_def: GraphQLField, nodes: list[FieldNode]) -> bool:
    """Arguments that are the same on every request: no variables, and only built-in scalars
    and enums (immutable once converted, so one converted value can serve every request)."""
    for argument in field_def.args.values():
        named = get_nullable_type(argument.type)
        if not (is_enum_type(named) or (is_scalar_type(named) and is_specified_scalar_type(named))):
            return False
    return not any(_has_variable(argument.value) for node in nodes for argument in node.arguments or ())


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(item.value) for item in value.fields)
    return False


def resolver_kind(field_def: GraphQLField, nodes: list[FieldNode], schema: strawberry.Schema) -> ResolverKind:
    field = strawberry_field_of(field_def)
    if field is None or field.extensions or field.is_subscription:
        return ResolverKind.STOCK
    if field_def.args and not constant_arguments(field_def, nodes):
        return ResolverKind.STOCK
    wrapper = _wrapper_name(field_def)
    if wrapper == _BASIC_WRAPPER and field.base_resolver is None and not field_def.args:
        return ResolverKind.ATTRIBUTE
    resolver = field.base_resolver
    # An async resolver's wrapper only awaits what the sync one would return: called directly,
    # its coroutine is awaited by the executor instead (strawberry's argument conversion and
    # wrappers for `viewer` and `homeTimeline` were 4% of a home page's samples)
    expected = _ASYNC_WRAPPER if field.is_async else _SYNC_WRAPPER
    if wrapper == expected and not schema.exception_handlers and type(resolver) is StrawberryResolver:
        return ResolverKind.METHOD
    return ResolverKind.STOCK


def method_call(
    field: StrawberryField, field_def: GraphQLField, node: FieldNode, schema: strawberry.Schema
) -> Callable[[Any, GraphQLResolveInfo[Any]], Any]:
    """What strawberry's sync wrapper does for a resolver without field extensions: coerce
    and convert the arguments (here once, as they are constant), pass the source as `self`,
    `root` or the parent parameter, and its Info where asked."""
    resolver = field.base_resolver
    assert resolver is not None  # noqa: S101 - resolver_kind said METHOD
    info_class = schema.config.info_class
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
    converted: dict[str, Any] | None = None if field_def.args else {}

    def arguments() -> dict[str, Any]:
        # Raises as graphql-core's execute_field would, on every call, until it succeeds once
        nonlocal converted
        if converted is None:
            coerced = get_argument_values(field_def, node)
            converted = convert_arguments(
                coerced, field.arguments, scalar_registry=schema.schema_converter.scalar_registry,
                config=schema.config,
            )  # fmt: skip
        return converted

    # StrawberryResolver.__call__ checks that the function is callable, then calls it
    function = resolver.wrapped_func if callable(resolver.wrapped_func) else resolver
    if takes_self and not field_def.args and not source_names:
        # The common case, a method of the type (with or without info), without building kwargs
        if info_name is None:
            return lambda source, _info: function(source)

        def call_method(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return function(source, **{info_name: info_class(_raw_info=info, _field=field)})

        return call_method

    def call(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        kwargs: dict[str, Any] = {**arguments(), **dict.fromkeys(source_names, source)}
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        if takes_self:
            return function(source, **kwargs)
        return function(**kwargs)

    return call
