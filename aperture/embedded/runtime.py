"""Fills in whatever the environment left unconfigured, under one data directory."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aperture.embedded.engine_process import EmbeddedEngine
from aperture.embedded.redis_server import EmbeddedRedis

if TYPE_CHECKING:
    from pathlib import Path

    from aperture.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class EmbeddedRuntime:
    settings: Settings
    redis: EmbeddedRedis | None
    started: list[str]
    engine: EmbeddedEngine | None = None

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        if self.redis is not None:
            await self.redis.stop()


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


async def start_embedded(settings: Settings) -> EmbeddedRuntime:
    data_dir = settings.data_dir.absolute()
    data_dir.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, object] = {"data_dir": data_dir}
    started: list[str] = []
    redis: EmbeddedRedis | None = None
    if not settings.redis_url:
        if settings.redis_cluster:
            raise ValueError("REDIS_CLUSTER=1 needs REDIS_URL: the embedded Redis is a single node")
        redis = await EmbeddedRedis(data_dir / "redis").start()
        overrides["redis_url"] = redis.url
        started.append(f"redis ({redis.url})")
    engine: EmbeddedEngine | None = None
    if not settings.mongodb_url:
        try:
            engine = await EmbeddedEngine(data_dir / "mongo").start()
        except BaseException:
            if redis is not None:
                await redis.stop()
            raise
        overrides["mongodb_url"] = engine.url
        started.append(
            f"MongoDB stand-in (litemongo on SQLite in {data_dir / 'mongo'}, process {engine.pid})"
        )
    if not settings.uses_s3:
        started.append(f"local blob store ({data_dir / 'blobs'})")
    if not settings.secret_key:
        overrides["secret_key"] = _secret_key(data_dir)
    resolved = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
    return EmbeddedRuntime(settings=resolved, redis=redis, started=started, engine=engine)
