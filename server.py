"""The Starlette application factory.

The lifespan opens the services (services/runtime.py: stores, queue, indexes) and
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
from gateway.state import GatewayState
from gateway.web_app import WEB_APP_DIR, favicon, web_app_index
from schema.root import build_schema
from services.runtime import open_services

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from aperture.settings import Settings
    from services.container import Services

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


# Young objects the collector lets pile up before it runs (CPython's default is 700). A request
# or a live event allocates thousands that die young, and each collection also walks what
# survived earlier ones (open sockets, subscriptions, caches), so at 700 collections cost
# 0.62 ms per home page (below) and, at 1,000 open subscriptions, full collections stopped the
# event loop for up to 338 ms (bench/live.py with gc callbacks: 1,435 young, 130 middle and
# 12 full collections in one run; at 50,000: 14, 0 and 1). Garbage in reference cycles waits
# a little longer to be freed; its amount stays bounded by the threshold.
GC_YOUNG_THRESHOLD = 50_000


def _tune_collector() -> None:
    """Moves what startup built (modules, schema, plans' types, stores) out of the garbage
    collector's view, which full collections otherwise walk again and again (on a home page
    load they cost 0.87 ms per request before the freeze and 0.62 ms after, bench/execution.py's
    seeded network, gc callbacks), and lets young objects pile up to GC_YOUNG_THRESHOLD."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    schema = build_schema(
        gateway_extensions(settings),
        schema_class=LoggingSchema,
        execution_plans=settings.graphql_execution_plans,
    )
    graphql = ApertureGraphQL(schema, keep_alive=False)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            app.state.gateway = GatewayState.for_services(services)
            _tune_collector()
            yield
            return
        async with open_services(settings) as opened:
            app.state.services = opened
            app.state.gateway = GatewayState.for_services(opened)
            _tune_collector()
            yield

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        WebSocketRoute("/graphql", graphql),
        Mount("/graphiql-assets", StaticFiles(directory=ASSET_DIR), name="graphiql-assets"),
        Mount("/app", StaticFiles(directory=WEB_APP_DIR), name="web-app"),
        Route("/", web_app_index),
        Route("/favicon.svg", favicon),
        Route("/favicon.ico", favicon),
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
