"""Parsing and validation in bounded time; documents that passed are kept per process.

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
from typing import TYPE_CHECKING

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    NameNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.document_limits import VALIDATION_FAILED, DocumentLimits, check_document
from gateway.doorkeeper import Doorkeeper
from gateway.errors import with_code

if TYPE_CHECKING:
    from collections.abc import Iterator

    from strawberry.types import ExecutionContext

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
# Lexing runs at about 3 characters per microsecond: a 1 MB string literal held the event loop
# for 300 ms, this many characters take 5 ms. No document a client writes comes near it
# (GraphiQL's introspection: 1.7 kB; a 2,200-character caption written inline: 2.3 kB).
MAX_DOCUMENT_CHARS = 16_384
# About 130 legitimate documents of 2 kB, and at most some 13 MB of syntax trees
_CACHE_CHARS = 256 * 1024


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


class ValidDocuments:
    """Documents that passed validation, by query text, shared by every request of the process.

    Refused documents are not kept, and a valid one only from its second sighting
    (gateway/doorkeeper.py): an attacker varies documents at will, so keeping them would only
    fill memory (and lengthen every garbage collection) with hostile syntax trees. The cache
    is bounded by the characters of its queries, which bound the size of their trees (about
    50 bytes a character once the token chain is dropped, 75 with it). The key is the text alone: the
    schema and the rules are the same for every request.
    """

    def __init__(self, max_chars: int = _CACHE_CHARS) -> None:
        self._max_chars = max_chars
        self._chars = 0
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._doorkeeper = Doorkeeper()

    @property
    def held_chars(self) -> int:
        return self._chars

    def get(self, query: str) -> DocumentNode | None:
        document = self._documents.get(query)
        if document is not None:
            self._documents.move_to_end(query)
        return document

    def put(self, query: str, document: DocumentNode) -> None:
        if query in self._documents or len(query) > self._max_chars or not self._doorkeeper.admit(query):
            return
        drop_token_chain(document)
        self._documents[query] = document
        self._chars += len(query)
        while self._chars > self._max_chars:
            evicted, _ = self._documents.popitem(last=False)
            self._chars -= len(evicted)


def drop_token_chain(document: DocumentNode) -> None:
    """Let go of the lexer's tokens, which every node's location links to as a chain through
    the whole text: a third of a kept document's memory. Error locations need only each
    location's offsets and source, which stay."""
    stack: list[Node] = [document]
    while stack:
        node = stack.pop()
        if node.loc is not None:
            node.loc.start_token = node.loc.end_token = None  # type: ignore[assignment]
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(item for item in value if isinstance(item, Node))


class DocumentGate(SchemaExtension):
    def __init__(self, limits: DocumentLimits, max_tokens: int, valid: ValidDocuments) -> None:
        self.limits = limits
        self.max_tokens = max_tokens
        self.valid = valid
        self._known_valid = False

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
        elif (document := self.valid.get(query)) is not None:
            execution_context.graphql_document = document
            self._known_valid = True
        else:
            try:
                execution_context.graphql_document = parse(query, max_tokens=self.max_tokens)
            except GraphQLError as error:
                refuse(execution_context, with_code(error, PARSE_FAILED))
        yield

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        document = execution_context.graphql_document
        if execution_context.pre_execution_errors is None and document is not None:
            # Setting the errors, even to [], tells strawberry that validation ran
            execution_context.pre_execution_errors = [] if self._known_valid else self._validate(document)
        yield

    def _validate(self, document: DocumentNode) -> list[GraphQLError]:
        execution_context = self.execution_context
        errors = check_document(document, self.limits) or [
            with_code(error, VALIDATION_FAILED)
            for error in validate_document(
                execution_context.schema._schema,  # noqa: SLF001 - graphql-core's schema
                document,
                execution_context.validation_rules,
            )
        ]
        if not errors and execution_context.query is not None:
            self.valid.put(execution_context.query, document)
        return errors
