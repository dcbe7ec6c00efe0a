"""The Starlette application factory.

The lifespan opens the stores (MongoDB, Redis, blobs), ensures the indexes and
closes everything at shutdown. When the caller already built the services (as
`aperture serve` does, to share them with its in-process worker), the app uses
them and leaves their lifecycle to the caller.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from gateway.blob_routes import receive_upload, serve_media
from gateway.errors import LoggingSchema
from gateway.extensions import gateway_extensions
from gateway.graphiql import ASSET_DIR
from gateway.graphql_view import ApertureGraphQL
from gateway.metrics_route import metrics_endpoint
from gateway.middleware import RequestContextMiddleware
from gateway.request_budget import RATE_LIMIT_HEADERS
from gateway.web_app import WEB_APP_DIR, web_app_index
from jobs.queue import open_queue
from schema.root import build_schema
from services.container import Services, build_services
from services.stores import open_stores

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from aperture.settings import Settings

log = logging.getLogger(__name__)


async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    checks = await services.stores.readiness()
    try:
        await services.queue.pool.ping()
        checks["queue"] = None
    except Exception as exc:  # noqa: BLE001 - reported by name
        checks["queue"] = f"{type(exc).__name__}: {exc}"[:200]
    failing = {name: problem for name, problem in checks.items() if problem is not None}
    body = {
        "ready": not failing,
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JSONResponse(body, status_code=503 if failing else 200)


def _freeze_startup_objects() -> None:
    """Exclude what start-up built (modules, schema, clients) from garbage collection.

    A full collection walks every tracked object; with the start-up heap in it, one took over
    100 ms on a busy machine, and requests that allocate a lot (a large variables object) set
    one off every few seconds, holding the event loop as long. The objects built at start-up
    live as long as the process anyway (the technique is CPython's documented use of gc.freeze).
    """
    gc.collect()
    gc.freeze()


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    stores = await open_stores(settings)
    try:
        queue = await open_queue(settings)
        try:
            services = await build_services(stores, queue)
            await services.ensure_indexes()
            await stores.warm()
            try:
                yield services
            finally:
                # Ends every live subscription, so sockets close with a proper code
                await services.live_hub.close()
                await services.node_lease.close()
        finally:
            await queue.close()
    finally:
        await stores.close()


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    schema = build_schema(gateway_extensions(settings), schema_class=LoggingSchema)
    graphql = ApertureGraphQL(schema, keep_alive=False)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            _freeze_startup_objects()
            yield
            return
        async with open_services(settings) as opened:
            app.state.services = opened
            _freeze_startup_objects()
            yield

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        WebSocketRoute("/graphql", graphql),
        Mount("/graphiql-assets", StaticFiles(directory=ASSET_DIR), name="graphiql-assets"),
        Mount("/app", StaticFiles(directory=WEB_APP_DIR), name="web-app"),
        Route("/", web_app_index),
        Route("/uploads/{key:path}", receive_upload, methods=["PUT"]),
        Route("/media/{path:path}", serve_media, methods=["GET", "HEAD"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware)
    origins = [origin.strip() for origin in settings.cors_allow_origins.split(",") if origin.strip()]
    if origins:
        # Outermost, so that preflights are answered before routing
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "HEAD"],
            allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-Id"],
            expose_headers=[*RATE_LIMIT_HEADERS, "Retry-After", "X-Request-Id", "ETag", "Content-Range"],
            max_age=600,
        )
    app.state.settings = settings
    return app
