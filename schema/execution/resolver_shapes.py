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

from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from schema.execution.steps import ResolverKind

if TYPE_CHECKING:
    from collections.abc import Callable

    import strawberry
    from graphql import GraphQLField, GraphQLResolveInfo

# The names strawberry 0.341 gives its wrappers in GraphQLCoreConverter.from_resolver
_BASIC_WRAPPER = "_get_basic_result"
_SYNC_WRAPPER = "_resolver"
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


def resolver_kind(field_def: GraphQLField, schema: strawberry.Schema) -> ResolverKind:
    field = strawberry_field_of(field_def)
    if field is None or field.extensions or field_def.args or field.is_subscription:
        return ResolverKind.STOCK
    wrapper = _wrapper_name(field_def)
    if wrapper == _BASIC_WRAPPER and field.base_resolver is None:
        return ResolverKind.ATTRIBUTE
    resolver = field.base_resolver
    if (
        wrapper == _SYNC_WRAPPER
        and not schema.exception_handlers
        and type(resolver) is StrawberryResolver
        and not field.is_async
        and not resolver.arguments
    ):
        return ResolverKind.METHOD
    return ResolverKind.STOCK


def method_call(
    field: StrawberryField, schema: strawberry.Schema
) -> Callable[[Any, GraphQLResolveInfo[Any]], Any]:
    """What strawberry's sync wrapper does for a resolver without arguments or extensions:
    pass the source as `self`, `root` or the parent parameter, and its Info where asked."""
    resolver = field.base_resolver
    assert resolver is not None  # noqa: S101 - resolver_kind said METHOD
    info_class = schema.config.info_class
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]

    def call(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        kwargs: dict[str, Any] = dict.fromkeys(source_names, source)
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        if takes_self:
            return resolver(source, **kwargs)
        return resolver(**kwargs)

    return call
