"""Shared fixtures: real services are started once per session and cleared between tests.

- Redis is a real redis-server started for the session (never the machine's 6379).
- MongoDB is the embedded stand-in in memory, the same engine `aperture serve` uses.
- The API runs in uvicorn on a loopback port and is driven over real HTTP and WebSocket.
- Jobs run on a real arq worker, drained on demand with `run_jobs()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright

from aperture.cli import uvicorn_config
from aperture.embedded.redis_server import EmbeddedRedis
from aperture.settings import Settings
from gateway.rate_limits import Bucket
from jobs.worker import build_worker
from server import create_app
from services.runtime import open_services
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.helpers import Api

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from services.container import Services


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aperture")


@pytest.fixture(scope="session")
async def redis_url(session_tmp: Path) -> AsyncIterator[str]:
    server = await EmbeddedRedis(session_tmp / "redis", persistent=False).start()
    yield server.url
    await server.stop()


@pytest.fixture(scope="session")
def settings(session_tmp: Path, redis_url: str) -> Settings:
    return Settings(
        port=free_port(),
        data_dir=session_tmp / "data",
        mongodb_url="litemongo+memory://tests",
        redis_url=redis_url,
        secret_key="test-secret-key-that-is-long-enough",
        seed_demo=False,
        log_format="text",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        job_timeout_s=60,
        fanout_sweep_delay_s=0.2,
        counter_flush_delay_s=0.05,
        fanout_batch_size=4,
        fanout_page_size=8,
        feed_cap=20,
        recent_cap=10,
        ranking_max_candidates=30,
        famous_threshold=8,
        promote_after_reads=3,
        hashtag_window_cap=4,
        notification_groups_kept=5,
        # Limits stay on, so every request goes through them, with budgets no test reaches;
        # tests/test_gateway_limits.py sets small ones
        rate_limits=",".join(f"{bucket.value}=1000000" for bucket in Bucket),
    )


@pytest.fixture(scope="session")
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings) as opened:
        yield opened


@contextlib.asynccontextmanager
async def serving(settings: Settings, services: Services) -> AsyncIterator[str]:
    """The app for these services, served by uvicorn on settings.port in this event loop."""
    # The production configuration (limits included), without keep-alive pings
    config = uvicorn_config(create_app(settings, services), dataclasses.replace(settings, host="127.0.0.1"))
    config.ws_ping_interval = None
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def server_url(settings: Settings, services: Services) -> AsyncIterator[str]:
    async with serving(settings, services) as url:
        yield url


async def clear_stores(services: Services) -> None:
    await services.stores.redis.flushall()
    await services.node_lease.acquire()  # the wipe freed this process's id node for others
    for database in (services.stores.db, services.stores.archive_db):
        for name in await database.list_collection_names():
            # delete_many keeps the indexes that the services created at startup
            await database[name].delete_many({})
    # In-process throttles and caches remember writes whose effects the wipe just erased
    services.forget_process_state()


@pytest.fixture(autouse=True)
async def clean_state(request: pytest.FixtureRequest) -> None:
    if "services" in request.fixturenames or "api" in request.fixturenames:
        services: Services = request.getfixturevalue("services")
        await clear_stores(services)


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient) -> Api:
    return Api(http)


@pytest.fixture
def run_jobs(settings: Settings, services: Services) -> Callable[[], Awaitable[int]]:
    """Drain the job queue with a real arq worker in burst mode; returns the jobs completed."""

    async def drain() -> int:
        worker = build_worker(settings, services, burst=True)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        completed: int = worker.jobs_complete + worker.jobs_failed
        return completed

    return drain


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium per test module; each test opens its own contexts (browser profiles)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "multiprocess: starts extra OS processes")
