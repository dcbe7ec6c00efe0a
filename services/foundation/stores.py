"""Connections to the stores, opened once per process.

There is one code path per store: MongoDB through PyMongo's async API (or the
embedded adapter with the same shapes), Redis through redis-py, blobs through
the BlobStore interface. The embedded runtime only supplies the URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import redis.asyncio as aioredis
from pymongo import AsyncMongoClient
from redis.asyncio.cluster import RedisCluster

from aperture.embedded.engine_process import EngineProcessClient, is_engine_url
from aperture.embedded.litemongo_adapter import LiteMongoClient, is_litemongo_url
from aperture.mongo_stats import CommandStats, CommandStatsListener
from aperture.settings import CLUSTER_SCHEMES, is_cluster_url
from services.foundation.blobs import BlobStore, open_blob_store
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pymongo.asynchronous.database import AsyncDatabase

    from aperture.settings import Settings

log = logging.getLogger(__name__)

Document = dict[str, Any]
_READY_TIMEOUT_S = 2.0


def redis_is_cluster(settings: Settings) -> bool:
    return settings.redis_cluster or is_cluster_url(settings.redis_url)


def connect_redis(settings: Settings) -> aioredis.Redis:
    """A Redis client for application keys (strings decoded as UTF-8)."""
    if redis_is_cluster(settings):
        url = settings.redis_url
        for cluster_scheme, scheme in CLUSTER_SCHEMES.items():
            if url.startswith(cluster_scheme):
                url = scheme + url.removeprefix(cluster_scheme)
        # RedisCluster speaks the same command API; callers keep multi-key work on one hash tag
        return cast("aioredis.Redis", RedisCluster.from_url(url, decode_responses=True))
    client: aioredis.Redis = aioredis.Redis.from_url(
        settings.redis_url, decode_responses=True, health_check_interval=30
    )
    return client


async def connect_mongo(url: str, stats: CommandStats) -> Any:
    if is_engine_url(url):
        return await EngineProcessClient(url, stats).start()
    if is_litemongo_url(url):
        return await LiteMongoClient(url, stats).start()
    return AsyncMongoClient(
        url, tz_aware=True, event_listeners=[CommandStatsListener(stats)], appname="aperture"
    )


@dataclass
class Stores:
    settings: Settings
    db: AsyncDatabase[Document]
    archive_db: AsyncDatabase[Document]
    redis: aioredis.Redis
    blobs: BlobStore
    mongo_stats: CommandStats
    # The read path's Redis client: the calls of one event-loop turn in one batch
    turns: TurnBatch
    _closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                await closer()
            except Exception:
                log.exception("error while closing a store")
        self._closers.clear()

    async def warm(self) -> None:
        """Let an embedded engine build its query indexes before traffic arrives."""
        for database in {id(self.db): self.db, id(self.archive_db): self.archive_db}.values():
            warm = getattr(database, "warm", None)
            if warm is not None:
                await warm()

    async def readiness(self) -> dict[str, str | None]:
        """Each dependency mapped to None when reachable, or to what went wrong."""
        checks: dict[str, Callable[[], Awaitable[Any]]] = {
            "mongodb": lambda: self.db.command("ping"),
            "archive": lambda: self.archive_db.command("ping"),
            "redis": self.redis.ping,
            "blobs": self.blobs.ping,
        }

        async def probe(check: Callable[[], Awaitable[Any]]) -> str | None:
            try:
                await asyncio.wait_for(check(), _READY_TIMEOUT_S)
            except TimeoutError:
                return "timed out"
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
                return f"{type(exc).__name__}: {exc}"[:200]
            return None

        results = await asyncio.gather(*(probe(check) for check in checks.values()))
        return dict(zip(checks, results, strict=True))


async def open_stores(settings: Settings, *, mongo_stats: CommandStats | None = None) -> Stores:
    if not settings.mongodb_url or not settings.redis_url:
        raise ValueError("MONGODB_URL and REDIS_URL must be resolved before opening stores")
    stats = mongo_stats or CommandStats()
    closers: list[Callable[[], Awaitable[Any]]] = []
    try:
        mongo = await connect_mongo(settings.mongodb_url, stats)
        closers.append(mongo.close)
        archive_url = settings.archive_mongodb_url or settings.mongodb_url
        archive_client = mongo
        if archive_url != settings.mongodb_url:
            archive_client = await connect_mongo(archive_url, stats)
            closers.append(archive_client.close)
        redis = connect_redis(settings)
        closers.append(redis.aclose)
        turns = TurnBatch(redis)
        closers.append(turns.aclose)
        blobs = await open_blob_store(settings)
        closers.append(blobs.close)
    except BaseException:
        for closer in reversed(closers):
            with contextlib.suppress(Exception):
                await closer()
        raise
    return Stores(
        settings=settings,
        db=mongo[settings.mongodb_database],
        archive_db=archive_client[settings.archive_database],
        redis=redis,
        blobs=blobs,
        mongo_stats=stats,
        turns=turns,
        _closers=closers,
    )
