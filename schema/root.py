"""Assembles the one schema that serves both timelines, the live feed and accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.execution import planned_executor_class
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription
from schema.types.post_card import post_card_spec

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_schema(
    extensions: Sequence[Any] = (),
    schema_class: type[strawberry.Schema] = strawberry.Schema,
    *,
    execution_plans: bool = True,
) -> strawberry.Schema:
    """The schema; `execution_plans=False` leaves execution entirely to graphql-core
    (the reference the planned executor is tested against, and a switch for operators)."""
    return schema_class(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=list(extensions),
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=planned_executor_class(post_card_spec()) if execution_plans else None,
    )


def print_sdl() -> str:
    return build_schema().as_str() + "\n"
