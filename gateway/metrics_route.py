"""`/metrics` in Prometheus's text format: this process's metrics plus gauges read at scrape time.

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
from starlette.responses import Response

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


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    expected = services.settings.metrics_token
    if expected:
        given = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return Response("metrics need the METRICS_TOKEN bearer token\n", status_code=401)
    await _refresh(services)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
