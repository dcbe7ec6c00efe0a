"""Before an operation runs: charge the caller, check its variables, price it, refuse if too dear.

- Before parsing, every request pays one unit of the caller's `read` or `anon` budget, so that
  a document refused as malformed, too deep or too costly still costs its sender (refusing
  costs the server work too). Out of budget, it is refused with 429 before it is parsed.
- After validation, before execution: the variables are coerced (BAD_USER_INPUT, 400), the
  operation is priced (QUERY_TOO_COMPLEX, 400), and a mutation's fields are charged to their
  buckets (`gateway/request_units.py`), all buckets of one subject at once, so a refused
  mutation does nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from aperture import metrics
from gateway.document_gate import refuse
from gateway.query_cost import cost_memo
from gateway.rate_limits import WINDOW_S, Verdict
from gateway.request_units import caller_subject, executed_root_fields, mutation_units, request_unit
from gateway.request_variables import coerce_variables
from gateway.state import gateway_of
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.pagination import MAX_PAGE

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import AsyncIterator

    from graphql import DocumentNode
    from strawberry.types import ExecutionContext

    from gateway.rate_limits import Bucket, BucketState, RateLimiter
    from resolvers.context import Context

RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


def rate_limit_headers(states: list[BucketState], retry_after_s: int | None = None) -> dict[str, str]:
    """Headers for the bucket closest to running out, among all a request was charged."""
    if not states:
        return {}
    tightest = min(states, key=lambda s: (s.remaining / s.budget, s.remaining))
    headers = {
        "RateLimit-Limit": str(tightest.budget),
        "RateLimit-Remaining": str(tightest.remaining),
        "RateLimit-Reset": str(tightest.reset_s),
        "RateLimit-Policy": f"{tightest.budget};w={WINDOW_S}",
    }
    if retry_after_s is not None:
        headers["Retry-After"] = str(retry_after_s)
    return headers


def _rate_limited(context: Context, units: Counter[Bucket], verdict: Verdict | None) -> DomainError:
    """The refusal of `units`; no verdict means they exceed a whole budget, so waiting would not help."""
    buckets = sorted(bucket.value for bucket in units)
    metrics.RATE_LIMITED.labels(bucket=",".join(buckets)).inc()
    context.set_status(429)
    if verdict is None:
        budgets = gateway_of(context.request).rate_limits.budgets or {}
        bucket, needed = next((b, n) for b, n in units.items() if n > budgets[b])
        return DomainError(
            ErrorCode.RATE_LIMITED,
            f"this request makes {needed} {bucket.value} actions, more than the {budgets[bucket]} "
            "allowed per minute: split it into several requests",
        )
    return DomainError(
        ErrorCode.RATE_LIMITED,
        f"too many requests ({', '.join(buckets)}): retry in {verdict.retry_after_s} s",
    )


def _chosen_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    return next(
        (
            definition
            for definition in document.definitions
            if isinstance(definition, OperationDefinitionNode)
            and (name is None or (definition.name is not None and definition.name.value == name))
        ),
        None,
    )


class RequestBudget(SchemaExtension):
    def __init__(self) -> None:
        self._charged: list[BucketState] = []

    async def _charge(self, context: Context, subject: str, units: Counter[Bucket]) -> None:
        """Take `units` from `subject`'s budgets, all or none; raises RATE_LIMITED if refused."""
        limiter: RateLimiter = gateway_of(context.request).rate_limits
        budgets = limiter.budgets or {}
        if any(needed > budgets[bucket] for bucket, needed in units.items()):
            raise _rate_limited(context, units, None)
        # The viewer's record comes in the same round trip (Context.load_viewer)
        verdict, _ = await asyncio.gather(limiter.charge(subject, units), context.load_viewer())
        self._settle(context, units, verdict)

    def _settle(self, context: Context, units: Counter[Bucket], verdict: Verdict) -> None:
        """Note a charge's buckets for the headers; raises RATE_LIMITED if it was refused."""
        self._charged.extend(verdict.states)
        retry_after = None if verdict.allowed else verdict.retry_after_s
        context.set_headers(rate_limit_headers(self._charged, retry_after))
        if not verdict.allowed:
            raise _rate_limited(context, units, verdict)

    async def on_operation(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        if gateway_of(context.request).rate_limits.enabled:
            try:
                prepaid, context.prepaid_charge = context.prepaid_charge, None
                if isinstance(prepaid, Verdict):
                    # Charged beside the session read, with the viewer's record (gateway/auth.py)
                    self._settle(context, request_unit(context), prepaid)
                else:
                    await self._charge(context, caller_subject(context), request_unit(context))
            except DomainError as refused:
                refuse(
                    self.execution_context,
                    GraphQLError(refused.message, original_error=refused, extensions=refused.extensions),
                )
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Context = execution.context
        context.operation_type = execution.operation_type.value
        document = execution.graphql_document
        operation = _chosen_operation(document, execution.operation_name) if document else None
        if document is None or operation is None:
            yield
            return
        if operation.name is not None:
            context.operation_name = operation.name.value
        schema = execution.schema._schema  # noqa: SLF001 - strawberry exposes graphql-core's schema only here
        variables = coerce_variables(schema, operation, execution.variables)
        self._price(execution, context, document, variables.coerced)
        if (
            execution.operation_type is OperationType.MUTATION
            and gateway_of(context.request).rate_limits.enabled
        ):
            root_fields = executed_root_fields(schema, document, operation, variables)
            for subject, units in mutation_units(context, root_fields).items():
                await self._charge(context, subject, units)
        yield

    @staticmethod
    def _price(
        execution: ExecutionContext, context: Context, document: DocumentNode, variables: dict[str, object]
    ) -> None:
        maximum = context.services.settings.max_query_cost
        schema = execution.schema._schema  # noqa: SLF001 - strawberry exposes graphql-core's schema only here
        cost = cost_memo(schema, max_page=MAX_PAGE).cost(
            execution.query, document, execution.operation_name, execution.variables, variables
        )
        context.extensions["cost"] = {"requested": cost, "maximum": maximum}
        if cost > maximum:
            raise DomainError(
                ErrorCode.QUERY_TOO_COMPLEX,
                f"this query costs {cost}, more than the {maximum} allowed: ask for smaller pages "
                "or fewer nested connections",
            )
