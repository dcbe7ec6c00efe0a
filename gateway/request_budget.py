"""Before an operation runs: price it, refuse it if too dear, and charge the caller's budgets.

Runs after parsing and validation (so the document is known to be sound) and before
execution, so a refused request does no work. A rate-limited request is a request error
with status 429 and `Retry-After`; a too costly one is a request error with status 400.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from graphql import FieldNode, InlineFragmentNode, OperationDefinitionNode
from starlette.requests import HTTPConnection
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from aperture import metrics
from gateway.query_cost import operation_cost
from gateway.rate_limits import WINDOW_S, Bucket
from gateway.state import gateway_of
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.pagination import MAX_PAGE

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from graphql import SelectionSetNode

    from gateway.rate_limits import Verdict
    from resolvers.context import Context

MUTATION_BUCKETS: dict[str, Bucket] = {
    "signUp": Bucket.ACCOUNT,
    "signIn": Bucket.ACCOUNT,
    "signOut": Bucket.ACCOUNT,
    "updateProfile": Bucket.ACCOUNT,
    "requestUpload": Bucket.UPLOAD,
    "createPost": Bucket.POST,
    "deletePost": Bucket.POST,
    "follow": Bucket.FOLLOW,
    "unfollow": Bucket.FOLLOW,
    "followHashtag": Bucket.FOLLOW,
    "unfollowHashtag": Bucket.FOLLOW,
    "likePost": Bucket.LIKE,
    "unlikePost": Bucket.LIKE,
    "addComment": Bucket.COMMENT,
    "deleteComment": Bucket.COMMENT,
}
# Buckets an anonymous caller is charged by address; the rest fold into `anon`
_ANONYMOUS_BUCKETS = frozenset({Bucket.ACCOUNT})


def _root_fields(selection_set: SelectionSetNode) -> Iterable[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set)


def units_for(operation: OperationType, root_fields: Iterable[str], *, signed_in: bool) -> Counter[Bucket]:
    """What one request takes from each bucket: one unit per mutation field, aliases included."""
    read = Bucket.READ if signed_in else Bucket.ANON
    if operation is not OperationType.MUTATION:
        return Counter({read: 1})
    units: Counter[Bucket] = Counter()
    for name in root_fields:
        bucket = MUTATION_BUCKETS.get(name, read)
        units[bucket if signed_in or bucket in _ANONYMOUS_BUCKETS else Bucket.ANON] += 1
    return units or Counter({read: 1})


def subject_of(context: Context) -> str:
    if context.viewer_id is not None:
        return f"u:{context.viewer_id}"
    connection = context.request
    address = connection.client.host if isinstance(connection, HTTPConnection) and connection.client else None
    return f"ip:{address or 'unknown'}"


RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


def rate_limit_headers(verdict: Verdict) -> dict[str, str]:
    tightest = verdict.tightest
    if tightest is None:
        return {}
    headers = {
        "RateLimit-Limit": str(tightest.budget),
        "RateLimit-Remaining": str(tightest.remaining),
        "RateLimit-Reset": str(tightest.reset_s),
        "RateLimit-Policy": f"{tightest.budget};w={WINDOW_S}",
    }
    if not verdict.allowed:
        headers["Retry-After"] = str(verdict.retry_after_s)
    return headers


def _refuse_if_never_affordable(units: Counter[Bucket], budgets: dict[Bucket, int], context: Context) -> None:
    """A request bigger than a whole budget could never pass: say so rather than "retry later"."""
    for bucket, needed in units.items():
        if needed > budgets[bucket]:
            metrics.RATE_LIMITED.labels(bucket=bucket.value).inc()
            context.set_status(429)
            raise DomainError(
                ErrorCode.RATE_LIMITED,
                f"this request makes {needed} {bucket.value} actions, more than the {budgets[bucket]} "
                "allowed per minute: split it into several requests",
            )


class RequestBudget(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Context = execution.context
        services = context.services
        document = execution.graphql_document
        operation_type = execution.operation_type
        context.operation_type = operation_type.value
        if document is None:
            yield
            return
        operation = next(
            (
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
                and (
                    execution.operation_name is None or (d.name and d.name.value == execution.operation_name)
                )
            ),
            None,
        )
        if operation is not None and operation.name is not None:
            context.operation_name = operation.name.value
        maximum = services.settings.max_query_cost
        cost = operation_cost(
            execution.schema._schema,  # noqa: SLF001 - strawberry exposes graphql-core's schema only here
            document,
            execution.operation_name,
            execution.variables,
            max_page=MAX_PAGE,
        )
        context.extensions["cost"] = {"requested": cost, "maximum": maximum}
        if cost > maximum:
            raise DomainError(
                ErrorCode.QUERY_TOO_COMPLEX,
                f"this query costs {cost}, more than the {maximum} allowed: ask for smaller pages "
                "or fewer nested connections",
            )
        limiter = gateway_of(context.request).rate_limits
        if limiter.enabled and operation is not None:
            units = units_for(
                operation_type, _root_fields(operation.selection_set), signed_in=context.viewer_id is not None
            )
            _refuse_if_never_affordable(units, limiter.budgets or {}, context)
            verdict = await limiter.charge(subject_of(context), units)
            context.set_headers(rate_limit_headers(verdict))
            if not verdict.allowed:
                buckets = sorted(b.value for b in units)
                metrics.RATE_LIMITED.labels(bucket=",".join(buckets)).inc()
                context.set_status(429)
                raise DomainError(
                    ErrorCode.RATE_LIMITED,
                    f"too many requests ({', '.join(buckets)}): retry in {verdict.retry_after_s} s",
                )
        yield
