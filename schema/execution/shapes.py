"""The shape of a field's return type, worked out once so completion does not re-inspect it.

graphql-core's complete_value asks, for every value, whether the type is non-null, a list,
a leaf, abstract or an object. A plan asks once per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, is_abstract_type, is_leaf_type

if TYPE_CHECKING:
    from graphql import GraphQLLeafType, GraphQLOutputType


class ShapeKind(Enum):
    LEAF = "leaf"
    OBJECT = "object"
    LIST = "list"
    # Interfaces and unions: graphql-core resolves the runtime type
    ABSTRACT = "abstract"


@dataclass(frozen=True, slots=True, eq=False)
class Shape:
    kind: ShapeKind
    # The type with its non-null wrapper, and without it, as graphql-core's functions take them
    type: GraphQLOutputType
    nullable: GraphQLOutputType
    non_null: bool
    leaf_type: GraphQLLeafType | None = None
    object_type: GraphQLObjectType | None = None
    item: Shape | None = None


def shape_of(type_: GraphQLOutputType) -> Shape:
    non_null = isinstance(type_, GraphQLNonNull)
    nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(nullable, GraphQLList):
        return Shape(ShapeKind.LIST, type_, nullable, non_null, item=shape_of(nullable.of_type))
    if is_leaf_type(nullable):
        return Shape(ShapeKind.LEAF, type_, nullable, non_null, leaf_type=nullable)
    if isinstance(nullable, GraphQLObjectType):
        return Shape(ShapeKind.OBJECT, type_, nullable, non_null, object_type=nullable)
    assert is_abstract_type(nullable)  # noqa: S101 - the remaining output types
    return Shape(ShapeKind.ABSTRACT, type_, nullable, non_null)
