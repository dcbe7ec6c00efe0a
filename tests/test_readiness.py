"""/readyz answers 503 and names the dependency that cannot be reached, while /healthz stays up."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import httpx

from aperture.embedded.redis_server import EmbeddedRedis
from services.runtime import open_services
from tests.conftest import free_port, serving

if TYPE_CHECKING:
    from pathlib import Path

    from aperture.settings import Settings


async def test_readyz_names_the_dependency_that_is_down(settings: Settings, tmp_path: Path) -> None:
    redis = await EmbeddedRedis(tmp_path / "redis", persistent=False).start()
    port = free_port()
    own = dataclasses.replace(
        settings, port=port, redis_url=redis.url, mongodb_url=f"litemongo+memory://ready-{port}"
    )
    try:
        async with (
            open_services(own) as services,
            serving(own, services) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as http,
        ):
            ready = await http.get("/readyz")
            assert ready.status_code == 200
            assert set(ready.json()["checks"]) == {"mongodb", "archive", "redis", "blobs", "queue"}
            await redis.stop()
            down = await http.get("/readyz")
            assert down.status_code == 503
            body = down.json()
            assert body["ready"] is False
            assert body["checks"]["redis"] != "ok"
            assert body["checks"]["queue"] != "ok"
            assert body["checks"]["mongodb"] == "ok"
            assert body["checks"]["blobs"] == "ok"
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await redis.stop()
