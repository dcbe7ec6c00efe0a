"""Turns graphql-core's collected fields into plan steps, once per selection set and type.

Field collection (fragments, type conditions, `@skip`/`@include`, response-key merging and
order) is graphql-core's own `collect_fields`/`collect_subfields`: the plan only caches its
result and decides, per field, how the value is fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql.execution.collect_fields import collect_subfields
from graphql.type.introspection import TypeNameMetaFieldDef

from schema.execution.resolver_shapes import method_call, resolver_kind, strawberry_field_of
from schema.execution.shapes import shape_of
from schema.execution.steps import FieldGroup, FieldStep, ResolverKind, SelectionPlan

if TYPE_CHECKING:
    import strawberry
    from graphql import GraphQLObjectType, GraphQLSchema
    from graphql.execution import Executor
    from graphql.execution.collect_fields import FieldDetails, GroupedFieldSet


def plan_fields(
    parent_type: GraphQLObjectType,
    grouped_field_set: GroupedFieldSet,
    graphql_schema: GraphQLSchema,
    schema: strawberry.Schema,
) -> SelectionPlan:
    plan = SelectionPlan(parent_type)
    for response_name, details in grouped_field_set.items():
        group = FieldGroup(details)
        nodes = [detail.node for detail in details]
        field_name = nodes[0].name.value
        field_def = graphql_schema.get_field(parent_type, field_name)
        if field_def is None:  # pragma: no cover - validation rejects unknown fields
            continue
        step = FieldStep(
            response_name=response_name,
            field_name=field_name,
            group=group,
            nodes=nodes,
            field_def=field_def,
            return_type=field_def.type,
            shape=shape_of(field_def.type),
            kind=ResolverKind.TYPENAME
            if field_def is TypeNameMetaFieldDef
            else resolver_kind(field_def, nodes, schema),
        )
        if step.kind is ResolverKind.ATTRIBUTE:
            field = strawberry_field_of(field_def)
            assert field is not None  # noqa: S101 - resolver_kind checked it
            step.attribute = field.python_name
            step.default_resolver = field.default_resolver
        elif step.kind is ResolverKind.METHOD:
            field = strawberry_field_of(field_def)
            assert field is not None  # noqa: S101 - resolver_kind checked it
            step.call = method_call(field, field_def, nodes[0], schema)
        step.leaf_type = step.shape.leaf_type
        plan.steps.append(step)
    return plan


def plan_subfields(
    executor: Executor[Any], object_type: GraphQLObjectType, group: FieldGroup
) -> SelectionPlan:
    """The plan of `group`'s sub-selection on `object_type`, collected by graphql-core."""
    collected = collect_subfields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        executor.operation,
        object_type,
        group,
        executor.hide_suggestions,
    )
    plan = plan_fields(
        object_type, collected.grouped_field_set, executor.schema, strawberry_schema_of(executor)
    )
    group.selections[object_type.name] = plan
    return plan


def plannable(grouped_field_set: GroupedFieldSet) -> bool:
    """False when a field carries state the plan does not keep: defer usages or fragment variables."""
    return all(_plain(detail) for details in grouped_field_set.values() for detail in details)


def _plain(detail: FieldDetails) -> bool:
    return detail.defer_usage is None and detail.fragment_variable_values is None


def strawberry_schema_of(executor: Executor[Any]) -> strawberry.Schema:
    schema: strawberry.Schema = executor.schema._strawberry_schema  # type: ignore[attr-defined]  # noqa: SLF001
    return schema
