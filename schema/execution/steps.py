"""What an execution plan holds: one step per response key of a selection set.

A `FieldGroup` is graphql-core's list of `FieldDetails` for one response key, with the
plans of its sub-selection (one per runtime object type) hanging off it. graphql-core hands
the same list object back to the executor when it completes the field's value, so the
planned sub-selection is found again by identity, including below fields that took the
stock path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from graphql.execution.collect_fields import FieldDetails

if TYPE_CHECKING:
    from collections.abc import Callable

    from graphql import (
        FieldNode,
        GraphQLField,
        GraphQLLeafType,
        GraphQLObjectType,
        GraphQLOutputType,
        GraphQLResolveInfo,
    )

    from schema.execution.shapes import Shape


class ResolverKind(Enum):
    """How a planned step gets its value."""

    # The parent type's name; graphql-core's resolver for it reads nothing else
    TYPENAME = "typename"
    # strawberry's default resolver: an attribute of the source object
    ATTRIBUTE = "attribute"
    # A plain synchronous strawberry resolver without arguments or extensions
    METHOD = "method"
    # Anything else (async, arguments, extensions, introspection): graphql-core's execute_field
    STOCK = "stock"


class FieldGroup(list[FieldDetails]):
    """graphql-core's field details for one response key, plus its planned sub-selections."""

    __slots__ = ("selections",)

    def __init__(self, details: list[FieldDetails]) -> None:
        super().__init__(details)
        self.selections: dict[str, SelectionPlan] = {}


@dataclass(slots=True, eq=False)
class FieldStep:
    """One response key of a selection set on one object type."""

    response_name: str
    field_name: str
    group: FieldGroup
    nodes: list[FieldNode]
    field_def: GraphQLField
    return_type: GraphQLOutputType
    kind: ResolverKind
    shape: Shape
    # For ATTRIBUTE steps: the value is default_resolver(source, attribute)
    attribute: str = ""
    default_resolver: Callable[[Any, str], Any] = getattr
    # For METHOD steps: the value is what call returns for the source and the resolve info
    call: Callable[[Any, GraphQLResolveInfo[Any]], Any] | None = None
    # Set when the return type is a scalar or enum, maybe non-null: completed in line
    leaf_type: GraphQLLeafType | None = None


@dataclass(slots=True, eq=False)
class SelectionPlan:
    """The steps of one selection set on one object type, in graphql-core's response order."""

    parent_type: GraphQLObjectType
    steps: list[FieldStep] = field(default_factory=list)
