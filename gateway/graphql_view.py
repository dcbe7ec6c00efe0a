"""Strawberry's ASGI view, made to follow the GraphQL-over-HTTP spec.

- Responses are `application/graphql-response+json` when the client accepts it, else
  `application/json` (also for `*/*` or no Accept header); a request that fails before
  execution gets status 400 with the former and 200 with the latter, as the spec says.
- Transport errors (bad JSON, wrong content type, too large a body however it is encoded,
  mutation over GET, subscription over HTTP) get a JSON body with a stable code instead of
  plain text.
- GraphiQL is served from local assets.
- Automatic persisted queries (Apollo's protocol) over POST and GET; anonymous GET reads
  are marked cacheable, so a CDN can answer them.
- Each request's operation, outcome and latency go to the access log and the metrics.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from aperture import metrics
from gateway.auth import authenticate, authenticate_and_prefetch, bearer_token
from gateway.body_limit import (
    MAX_GRAPHQL_BODY_BYTES,
    BodyTooLargeError,
    declared_length_exceeds,
    limited_receive,
)
from gateway.graphiql import graphiql_html
from gateway.http_transport import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    TransportError,
    negotiate_media_type,
    request_error,
    transport_error,
    wrong_transport,
)
from gateway.persisted_queries import is_sha256_hex, query_hash
from gateway.session_sockets import SessionSockets
from gateway.state import gateway_of
from gateway.ws_frames import FrameSendingHandler
from resolvers.context import Context
from services.foundation.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cross_web import AsyncHTTPRequestAdapter
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket
    from strawberry.http import GraphQLHTTPResponse

    from gateway.auth import Prefetched
    from services.container import Services

log = logging.getLogger(__name__)

_SESSION_SOCKET = "session_socket"


class GraphQLSubResponse(Response):
    """Carries what `create_response` needs: the negotiated media type and the context."""

    media_type_choice: str = GRAPHQL_RESPONSE_JSON
    context: Context | None = None


def _release_context(request: Request) -> Context | None:
    """The request's context, no longer reachable from the request or the response.

    The context points at both and both pointed back at it, so after every request its whole
    tree (loaders and their futures, the session, the request) was left to the collector, about
    100 objects a home page; the young generation then filled every few hundred requests, and
    each collection stopped the event loop for 20 to 30 ms (bench/execution.py reports the
    collector's pauses). Without the cycle, reference counting frees it all when the request ends.
    """
    context: Context | None = request.scope.get("state", {}).pop("graphql_context", None)
    if context is not None and isinstance(context.response, GraphQLSubResponse):
        context.response.context = None
    return context


def _too_large() -> Response:
    return transport_error(
        413, f"request bodies are limited to {MAX_GRAPHQL_BODY_BYTES} bytes", "PAYLOAD_TOO_LARGE"
    )


class ApertureGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = FrameSendingHandler

    def __init__(self, schema: Any, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._session_sockets: SessionSockets | None = None

    def session_sockets(self, services: Services) -> SessionSockets:
        if self._session_sockets is None:
            self._session_sockets = SessionSockets(services)
        return self._session_sockets

    def services(self, request: Request | WebSocket) -> Services:
        services: Services = request.app.state.services
        return services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await super().__call__(scope, receive, send)
            finally:
                tracked = scope.get("state", {}).get(_SESSION_SOCKET)
                if tracked is not None and self._session_sockets is not None:
                    self._session_sockets.forget(*tracked)
            return
        request = Request(scope=scope, receive=limited_receive(receive, MAX_GRAPHQL_BODY_BYTES))
        rejection = self._precheck(request) or await self._authenticate(request)
        if rejection is not None:
            await rejection(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            try:
                response = await self.run(request)
            except HTTPException as exc:
                response = transport_error(exc.status_code, exc.reason)
            except TransportError as exc:
                response = exc.response()
            except BodyTooLargeError:
                response = _too_large()
            except ClientDisconnect:
                return  # nobody left to answer
            await response(scope, receive, send)
        finally:
            context = _release_context(request)
        if context is not None:
            metrics.REQUEST_SECONDS.labels(
                operation=metrics.operation_label(context.operation_name),
                type=context.operation_type or "none",
            ).observe(time.perf_counter() - started)

    def _precheck(self, request: Request) -> Response | None:
        if request.method not in {"GET", "POST"}:
            return transport_error(
                405, "GraphQL accepts GET and POST", "METHOD_NOT_ALLOWED", Allow="GET, POST"
            )
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != APPLICATION_JSON:
                return transport_error(
                    415, "send the request body as application/json", "UNSUPPORTED_MEDIA_TYPE"
                )
            # A chunked body is counted as it streams (limited_receive); a declared one up front
            if declared_length_exceeds(request.headers.get("content-length"), MAX_GRAPHQL_BODY_BYTES):
                return _too_large()
        return None

    async def _authenticate(self, request: Request) -> Response | None:
        """A request that sends credentials gets them checked: a bad or revoked token is a 401,
        as it is a 4403 close on a WebSocket, rather than a silent downgrade to anonymous."""
        header = request.headers.get("authorization")
        if header is None or header.strip().lower() in ("", "bearer"):
            # A blank bearer is the placeholder GraphiQL's header template sends before sign-in
            return None
        token = bearer_token(header)
        session, prefetched = (
            await authenticate_and_prefetch(self.services(request), gateway_of(request).rate_limits, token)
            if token
            else (None, None)
        )
        if session is None:
            response = transport_error(
                401, "the bearer token is invalid, expired or revoked", code="UNAUTHENTICATED"
            )
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        request.state.session = session
        request.state.prefetched = prefetched
        return None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = GraphQLSubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.media_type_choice = negotiate_media_type(request.headers.get("accept", ""))
        return sub_response

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        services = self.services(request)
        request_id = getattr(request.state, "request_id", "") or ""
        context = Context(services=services, request=request, response=response, request_id=request_id)
        session = getattr(request.state, "session", None)
        if session is not None:
            context.viewer_id = session.user_id
            context.session_id = session.id
            context.renew_loaders()
            prefetched: Prefetched | None = getattr(request.state, "prefetched", None)
            if prefetched is not None:
                context.adopt_prefetched(prefetched.viewer, prefetched.verdict)
        if isinstance(response, GraphQLSubResponse):
            response.context = context
        request.state.graphql_context = context
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        raw: object = params.get("Authorization") or params.get("authorization") or params.get("token")
        token = bearer_token(raw) if isinstance(raw, str) else None
        session = await authenticate(context.services, token) if token else None
        if session is None:
            raise ConnectionRejectionError
        context.viewer_id = session.user_id
        context.session_id = session.id
        context.renew_loaders()
        websocket = context.request
        # Noted on the connection's scope, so that __call__ forgets the socket when it ends
        websocket.scope.setdefault("state", {})[_SESSION_SOCKET] = (session.id, websocket)
        await self.session_sockets(context.services).track(session.id, cast("WebSocket", websocket))
        return cast("UnsetType", UNSET)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with only a persisted-query hash is an API call, not a browser visit
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_html(str(request.url_for("graphiql-assets", path=""))))

    async def execute_single(  # noqa: PLR0917 - strawberry's signature
        self,
        request: Request,  # noqa: ARG002 - strawberry passes it; unused here
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,  # noqa: ARG002 - strawberry passes it; unused here
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        persisted = await self._persisted_query(context, request_data)
        if isinstance(persisted, ExecutionResult):
            return persisted
        request_data, store_as = persisted
        # Subscriptions are served over graphql-transport-ws only
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            result = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            raise wrong_transport(exc.operation_type) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc
        if store_as is not None and context.executed and request_data.query is not None:
            # Only a query that parsed and validated is worth keeping
            await gateway_of(context.request).persisted_queries.put(store_as, request_data.query)
        return result

    async def _persisted_query(
        self, context: Context, data: GraphQLRequestData
    ) -> tuple[GraphQLRequestData, str | None] | ExecutionResult:
        """Apollo's automatic persisted queries: the request data to run and the hash to store
        its query under, or the error result."""
        persisted = (data.extensions or {}).get("persistedQuery")
        if persisted is None:
            return data, None
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 or not is_sha256_hex(sha256):
            return request_error(
                "extensions.persistedQuery needs version 1 and a lowercase hex sha256Hash",
                ErrorCode.BAD_REQUEST,
            )
        sha256 = str(sha256)
        if data.query is None:
            query = await gateway_of(context.request).persisted_queries.get(sha256)
            if query is None:
                # The message is the protocol's: clients retry with the full query on seeing it
                return request_error("PersistedQueryNotFound", ErrorCode.PERSISTED_QUERY_NOT_FOUND)
            return dataclasses.replace(data, query=query), None
        if query_hash(data.query) != sha256:
            return request_error("provided sha does not match query", ErrorCode.PERSISTED_QUERY_HASH_MISMATCH)
        return data, sha256

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "GET":
            data = self._request_data(self.parse_query_params(request.query_params))
        else:
            # The content type was checked in _precheck; strawberry's own check parses it with
            # email.message, which costs about 100 microseconds per request
            data = self._request_data(self.parse_json(await request.get_body()))
        if isinstance(data, list):
            raise HTTPException(400, "batched requests are not supported")
        return data

    @staticmethod
    def _request_data(body: object) -> GraphQLRequestData:
        if not isinstance(body, dict):
            raise HTTPException(400, "the request body must be a JSON object")
        query, variables, extensions = body.get("query"), body.get("variables"), body.get("extensions")
        if not isinstance(query, (str, type(None))):
            raise HTTPException(400, "`query` must be a string")
        if not isinstance(variables, (dict, type(None))):
            raise HTTPException(400, "`variables` must be an object")
        if not isinstance(extensions, (dict, type(None))):
            raise HTTPException(400, "`extensions` must be an object")
        operation_name = body.get("operationName")
        if not isinstance(operation_name, (str, type(None))):
            raise HTTPException(400, "`operationName` must be a string")
        return GraphQLRequestData(
            query=query, variables=variables, operation_name=operation_name, extensions=extensions
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        context: Context | None = getattr(request.state, "graphql_context", None)
        if context is not None and not context.executed:
            # A request error: the spec says no `data` entry at all
            processed.pop("data", None)
        if context is not None and context.extensions:
            processed["extensions"] = {**(processed.get("extensions") or {}), **context.extensions}
        codes = sorted(
            {
                str((error.get("extensions") or {}).get("code", "UNKNOWN"))
                for error in processed.get("errors") or []
                if isinstance(error, dict)
            }
        )
        for code in codes:
            metrics.ERRORS.labels(code=code).inc()
        state = request.scope.setdefault("state", {})
        state["operation_name"] = context.operation_name if context else None
        state["outcome"] = "ok" if not codes else "error:" + ",".join(codes)
        return processed

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = getattr(sub_response, "media_type_choice", GRAPHQL_RESPONSE_JSON)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        context = getattr(sub_response, "context", None)
        request_error = context is not None and not context.executed
        if request_error and media_type == GRAPHQL_RESPONSE_JSON and not sub_response.status_code:
            response.status_code = 400
        if context is not None and context.request.scope.get("method") == "GET":
            response.headers["Vary"] = "Accept, Authorization"
            response.headers["Cache-Control"] = self._cache_control(context, response_data)
        return response

    @staticmethod
    def _cache_control(context: Context, data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> str:
        """Anonymous reads that succeeded are the same for everyone: a CDN may keep them."""
        clean = isinstance(data, dict) and not data.get("errors")
        if context.viewer_id is None and context.executed and clean:
            return f"public, max-age={context.services.settings.public_cache_max_age_s}"
        return "private, no-store"

    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, "the request body is not valid JSON") from exc

    def encode_json(self, data: object) -> str:
        # Text, not bytes: graphql-transport-ws messages must be text frames for browsers
        return orjson.dumps(data).decode()


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name)
