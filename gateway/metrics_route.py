"""`/metrics` in Prometheus's text format: this process's metrics plus gauges read at scrape time.

The API serves it on its own port; `aperture worker` serves a smaller app on
WORKER_METRICS_PORT. Both take the same METRICS_TOKEN.

Queue depth and tier sizes are properties of the whole deployment, so every API process
reports the same value: aggregate them with max(), not sum(). Tier sizes are counted at
most every TIER_COUNT_TTL_S, since counting can be slow on a large archive.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth import bearer_token

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client.core import Metric
    from starlette.requests import Request

    from services.container import Services

TIER_COUNT_TTL_S = 30.0

QUEUE_DEPTH = Gauge("aperture_queue_depth", "Jobs waiting in the arq queue (deployment-wide).")
POSTS = Gauge("aperture_posts", "Posts stored, by tier (deployment-wide, refreshed every 30 s).", ["tier"])
LIVE_CONNECTIONS = Gauge("aperture_live_connections", "Open live subscriptions in this process.")
LIVE_CHANNELS = Gauge("aperture_live_channels", "Redis channels this process listens on.")


class PostCacheCollector:
    """Hits and misses of the post cache, read from the post service's own counters."""

    def __init__(self) -> None:
        self.services: Services | None = None

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "aperture_post_cache_requests",
            "Post lookups by whether the Redis cache had them.",
            labels=["result"],
        )
        if self.services is not None:
            family.add_metric(["hit"], self.services.posts.cache_hits)
            family.add_metric(["miss"], self.services.posts.cache_misses)
        yield family


_post_cache = PostCacheCollector()
REGISTRY.register(_post_cache)
_tiers_counted_at = 0.0


async def _refresh(services: Services) -> None:
    global _tiers_counted_at  # noqa: PLW0603 - one process-wide throttle
    _post_cache.services = services
    QUEUE_DEPTH.set(await services.queue.depth())
    LIVE_CONNECTIONS.set(services.live_hub.connections)
    LIVE_CHANNELS.set(services.live_hub.channel_count)
    if time.monotonic() - _tiers_counted_at > TIER_COUNT_TTL_S:
        _tiers_counted_at = time.monotonic()
        for tier, count in (await services.archive.tier_counts()).items():
            POSTS.labels(tier=tier).set(count)


def _refusal(request: Request, expected_token: str) -> Response | None:
    if not expected_token:
        return None
    given = bearer_token(request.headers.get("authorization")) or ""
    if hmac.compare_digest(given.encode(), expected_token.encode()):
        return None
    return Response("metrics need the METRICS_TOKEN bearer token\n", status_code=401)


def _exposition() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    if refused := _refusal(request, services.settings.metrics_token):
        return refused
    await _refresh(services)
    return _exposition()


def worker_metrics_app(metrics_token: str) -> Starlette:
    """A worker's /metrics: its job, fan-out and media metrics, behind the API's token."""

    async def endpoint(request: Request) -> Response:
        return _refusal(request, metrics_token) or _exposition()

    return Starlette(routes=[Route("/metrics", endpoint)])
