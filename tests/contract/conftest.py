"""Backends for the MongoDB contract tests.

The contract tests call the services themselves, so they run the exact queries the
services issue. They run on every embedded engine here, on mongomock-ng (the most
faithful emulator), and on a real MongoDB when MONGODB_URL is set:

    MONGODB_URL=mongodb://localhost:27017 pytest tests/contract
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import redis.asyncio as aioredis
from pymongo import AsyncMongoClient

from aperture.embedded.engine_process import EmbeddedEngine, EngineProcessClient
from aperture.embedded.litemongo_adapter import LiteMongoClient, SyncEngineClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

BACKENDS = ["litemongo-memory", "litemongo-sqlite", "litemongo-process", "mongomock-ng"]
if os.environ.get("MONGODB_URL"):
    BACKENDS.append("mongodb")


def _mongomock_ng() -> Any:
    import mongomock_ng

    return mongomock_ng.MongoClient(tz_aware=True)


@pytest.fixture(params=BACKENDS)
async def contract_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    backend = request.param
    name = f"contract_{uuid.uuid4().hex[:8]}"
    client: Any
    engine: EmbeddedEngine | None = None
    if backend == "litemongo-memory":
        client = await LiteMongoClient(f"litemongo+memory://{name}").start()
    elif backend == "litemongo-sqlite":
        client = await LiteMongoClient(f"litemongo://{tmp_path / 'mongo'}").start()
    elif backend == "litemongo-process":
        # as `aperture serve` runs it: in its own process, over a socket
        engine = await EmbeddedEngine(tmp_path / "mongo").start()
        client = await EngineProcessClient(engine.url).start()
    elif backend == "mongomock-ng":
        client = await SyncEngineClient(_mongomock_ng).start()
    else:
        client = AsyncMongoClient(os.environ["MONGODB_URL"], tz_aware=True)
    database = client[name]
    yield database
    if backend == "mongodb":
        await client.drop_database(name)
    await client.close()
    if engine is not None:
        await engine.stop()


@pytest.fixture
async def contract_redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()
