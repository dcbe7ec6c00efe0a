"""HTTP-level answers of the GraphQL endpoint: content negotiation and transport errors.

A transport error is a request refused by HTTP rules (bad JSON, wrong method, wrong
transport) rather than GraphQL ones; it gets a JSON body with a stable code, not plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import GraphQLError
from starlette.responses import JSONResponse, Response
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from aperture import metrics

if TYPE_CHECKING:
    from services.foundation.errors import ErrorCode

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


def negotiate_media_type(accept: str) -> str:
    """The response media type for an Accept header: the listed GraphQL media type with the
    highest q (application/graphql-response+json on a tie). Anything else, `*/*` and a
    missing header included, gets application/json, as GraphQL over HTTP says for clients
    that predate application/graphql-response+json."""
    chosen, chosen_q = APPLICATION_JSON, 0.0
    for media_range in accept.lower().split(","):
        media_type, *parameters = (part.strip() for part in media_range.split(";"))
        if media_type not in {GRAPHQL_RESPONSE_JSON, APPLICATION_JSON}:
            continue
        quality = _quality(parameters)
        better = quality > chosen_q or (quality == chosen_q and media_type == GRAPHQL_RESPONSE_JSON)
        if quality > 0 and better:
            chosen, chosen_q = media_type, quality
    return chosen


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def transport_error(status: int, message: str, code: str = "BAD_REQUEST", **headers: str) -> Response:
    metrics.ERRORS.labels(code=code).inc()
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        media_type=GRAPHQL_RESPONSE_JSON,
        headers=headers or None,
    )


class TransportError(Exception):
    """A request refused by HTTP rules rather than GraphQL ones; answered by `transport_error`."""

    def __init__(self, status: int, message: str, code: str, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers

    def response(self) -> Response:
        return transport_error(self.status, self.message, self.code, **self.headers)


def wrong_transport(operation_type: OperationType) -> TransportError:
    if operation_type is OperationType.SUBSCRIPTION:
        return TransportError(
            400,
            "subscriptions are served over WebSocket (graphql-transport-ws) at this URL, not over HTTP",
            "SUBSCRIPTION_NEEDS_WEBSOCKET",
        )
    return TransportError(405, "mutations need POST", "METHOD_NOT_ALLOWED", Allow="POST")


def request_error(message: str, code: ErrorCode) -> ExecutionResult:
    """A failure before execution: the response carries the error and no data (status 400)."""
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code.value})])
