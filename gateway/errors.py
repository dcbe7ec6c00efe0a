"""Unexpected errors are masked for clients and logged in full with the request id; every error
carries a code, on HTTP and WebSocket alike."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types.execution import PreExecutionError

from services.foundation.errors import DomainError

if TYPE_CHECKING:
    from strawberry.types import ExecutionContext

log = logging.getLogger("aperture.errors")


def is_expected(error: GraphQLError) -> bool:
    # Syntax and validation errors carry no original error; domain errors are deliberate
    return error.original_error is None or isinstance(error.original_error, DomainError)


def _request_id(execution_context: ExecutionContext | None) -> str | None:
    context: Any = execution_context.context if execution_context else None
    return getattr(context, "request_id", None)


def request_error_code(message: str) -> str:
    return "GRAPHQL_PARSE_FAILED" if message.startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    return GraphQLError(
        error.message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        {**(error.extensions or {}), "code": code},
    )


def _coded(error: GraphQLError) -> GraphQLError:
    if (error.extensions or {}).get("code") is not None:
        return error
    return with_code(error, request_error_code(error.message))


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def _process_result(self, result: object) -> None:
        # strawberry checks `isinstance(result, <a runtime Protocol>)` here, which costs tens of
        # microseconds per result: a live event sent to a thousand sockets paid it a thousand times
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]
        # Errors before execution that came without a code (graphql-core's, strawberry's)
        if isinstance(result, PreExecutionError) and result.errors:
            result.errors = [_coded(error) for error in result.errors]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        extensions: dict[str, Any] = {"code": "INTERNAL_ERROR"}
        request_id = _request_id(self.execution_context)
        if request_id:
            extensions["requestId"] = request_id
        return GraphQLError(
            message="Unexpected error. Quote the requestId when reporting it.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


class LoggingSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_expected(error):
                continue
            log.error(
                "unexpected error in %s",
                ".".join(str(part) for part in error.path or ()) or "operation",
                exc_info=error.original_error,
                extra={"request_id": _request_id(execution_context)},
            )
