"""Schema extensions: bounded parsing and validation, cost and rate limits, the execution marker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension

from gateway.document_gate import DocumentGate, ValidDocuments
from gateway.document_limits import DocumentLimits
from gateway.errors import MaskUnexpectedErrors
from gateway.request_budget import RequestBudget

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from aperture.settings import Settings


class ExecutionMarker(SchemaExtension):
    """Notes on the context that execution began; before that, failures are request errors (HTTP 400)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "executed"):
            context.executed = True
        yield


def gateway_extensions(settings: Settings) -> list[Callable[[], Any] | type[SchemaExtension]]:
    limits = DocumentLimits(max_depth=settings.max_query_depth, max_aliases=settings.max_aliases)
    # One cache for the process, shared by the per-request extensions
    valid = ValidDocuments()
    # Factories, not instances: strawberry builds one extension per request
    return [
        lambda: DocumentGate(limits, settings.max_tokens, valid),
        # Before the marker: a request refused here never started executing
        RequestBudget,
        ExecutionMarker,
        MaskUnexpectedErrors,
    ]
