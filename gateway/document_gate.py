"""Parsing and validation in bounded time, both cached per process.

Replaces strawberry's ParserCache, ValidationCache, QueryDepthLimiter and MaxAliasesLimiter:
their limiters expanded fragments without remembering them, and none bounded graphql-core's
own rules. Here a document must first be short enough to lex quickly, then pass
`check_document` (linear in its size), and only then meets graphql-core's rules.

A request refused before execution never raises from a hook: over graphql-transport-ws,
strawberry lets an exception from a hook escape the operation (it logs a crash and answers a
bare `complete`), while errors placed on the execution context take the path of a parse or
validation error on every transport.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.document_limits import VALIDATION_FAILED, DocumentLimits, check_document
from gateway.errors import with_code

if TYPE_CHECKING:
    from collections.abc import Iterator

    from strawberry.types import ExecutionContext

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
# Lexing runs at about 3 characters per microsecond: a 1 MB string literal held the event loop
# for 300 ms. No document a client writes comes near this (GraphiQL's introspection: 1.7 kB).
MAX_DOCUMENT_CHARS = 32_768
_CACHE_SIZE = 1024


def refuse(execution_context: ExecutionContext, error: GraphQLError) -> None:
    """End the request with `error` as a request error, before (or instead of) parsing it.

    The stand-in document names the requested operation, so that strawberry, which reads the
    operation type from the document, finds it and answers with the error.
    """
    name = execution_context.operation_name
    execution_context.graphql_document = DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=OperationType.QUERY,
                name=NameNode(value=name) if name is not None else None,
                variable_definitions=(),
                directives=(),
                selection_set=SelectionSetNode(selections=(FieldNode(name=NameNode(value="__typename")),)),
            ),
        )
    )
    execution_context.pre_execution_errors = [error]


_Value = TypeVar("_Value")


class _LeastRecentlyUsed(Generic[_Value]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, _Value] = OrderedDict()

    def get(self, key: str) -> _Value | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: _Value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)


class DocumentCache:
    """Parsed documents and validation results by query text, shared by every request."""

    def __init__(self, limits: DocumentLimits, max_tokens: int, size: int = _CACHE_SIZE) -> None:
        self.limits = limits
        self.max_tokens = max_tokens
        self._parsed: _LeastRecentlyUsed[DocumentNode | GraphQLError] = _LeastRecentlyUsed(size)
        self._validated: _LeastRecentlyUsed[list[GraphQLError]] = _LeastRecentlyUsed(size)

    def parse(self, query: str) -> DocumentNode | GraphQLError:
        parsed = self._parsed.get(query)
        if parsed is None:
            try:
                parsed = parse(query, max_tokens=self.max_tokens)
            except GraphQLError as error:
                parsed = with_code(error, PARSE_FAILED)
            self._parsed.put(query, parsed)
        return parsed

    def validate(self, execution_context: ExecutionContext, query: str | None) -> list[GraphQLError]:
        errors = self._validated.get(query) if query is not None else None
        if errors is None:
            document = execution_context.graphql_document
            assert document is not None  # noqa: S101 - strawberry validates parsed documents only
            errors = check_document(document, self.limits) or [
                with_code(error, VALIDATION_FAILED)
                for error in validate_document(
                    execution_context.schema._schema,  # noqa: SLF001 - graphql-core's schema
                    document,
                    execution_context.validation_rules,
                )
            ]
            if query is not None:
                self._validated.put(query, errors)
        return errors


class DocumentGate(SchemaExtension):
    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def on_parse(self) -> Iterator[None]:
        execution_context = self.execution_context
        query = execution_context.query
        if execution_context.pre_execution_errors is not None or query is None:
            pass  # refused already, or strawberry answers the missing query
        elif len(query) > MAX_DOCUMENT_CHARS:
            refuse(
                execution_context,
                GraphQLError(
                    f"Syntax Error: documents are limited to {MAX_DOCUMENT_CHARS} characters; "
                    "pass long values as variables",
                    extensions={"code": PARSE_FAILED},
                ),
            )
        else:
            parsed = self.cache.parse(query)
            if isinstance(parsed, GraphQLError):
                refuse(execution_context, parsed)
            else:
                execution_context.graphql_document = parsed
        yield

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        if execution_context.pre_execution_errors is None:
            # Setting the errors, even to [], tells strawberry that validation ran
            execution_context.pre_execution_errors = self.cache.validate(
                execution_context, execution_context.query
            )
        yield
