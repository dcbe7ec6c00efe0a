"""A request's variables, coerced to their declared types before anything runs.

A value of the wrong type ("ten" for an `Int!`, 2^31, null for a non-null) is the client's
mistake: a request error with code BAD_USER_INPUT (HTTP 400), as Apollo Server answers, never
an internal error. Coercing first also gives the cost and the rate limits the values that
execution will use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, get_variable_values

if TYPE_CHECKING:
    from graphql import GraphQLSchema, OperationDefinitionNode
    from graphql.execution.values import VariableValues

BAD_USER_INPUT = "BAD_USER_INPUT"
# The largest legitimate input is `seen` (200 ids); coercion costs about 2 microseconds a
# value, and a 128 KiB body holds about 10,000 of them
MAX_VARIABLE_VALUES = 1000
_MAX_REPORTED_ERRORS = 10


def _more_values_than(value: object, limit: int) -> bool:
    pending: list[Any] = [value]
    seen = 0
    while pending:
        item = pending.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, raw: dict[str, Any] | None
) -> VariableValues:
    """The variables as execution will see them; raises a BAD_USER_INPUT error if they do not fit."""
    if raw and _more_values_than(raw, MAX_VARIABLE_VALUES):
        raise bad_input(f"variables may hold at most {MAX_VARIABLE_VALUES} values in all")
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), raw or {}, max_errors=_MAX_REPORTED_ERRORS
    )
    if isinstance(coerced, list):
        # One error reaches the client (an extension raises one); the first names the variable
        more = f" (and {len(coerced) - 1} more)" if len(coerced) > 1 else ""
        raise bad_input(coerced[0].message + more)
    return coerced
