"""Schema extensions: caches, static limits, cost and rate limits, and the execution marker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gateway.errors import MaskUnexpectedErrors
from gateway.request_budget import RequestBudget

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from aperture.settings import Settings

_CACHE_SIZE = 1024


class ExecutionMarker(SchemaExtension):
    """Notes on the context that execution began; before that, failures are request errors (HTTP 400)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "executed"):
            context.executed = True
        yield


def gateway_extensions(settings: Settings) -> list[Callable[[], Any] | type[SchemaExtension]]:
    # The limiters build a new rule class per instance, and the validation cache is keyed
    # by the rule classes: build them once so that every request hits the same cache entry.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    # Factories, not instances: strawberry builds one extension per request
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=_CACHE_SIZE),
        lambda: AddValidationRules(limit_rules),
        lambda: ValidationCache(maxsize=_CACHE_SIZE),
        # Before the marker: a request refused here never started executing
        RequestBudget,
        ExecutionMarker,
        MaskUnexpectedErrors,
    ]
