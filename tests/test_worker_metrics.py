"""`aperture worker` serves /metrics on WORKER_METRICS_PORT behind the API's METRICS_TOKEN."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from typing import TYPE_CHECKING

import httpx
import pytest
import redis
from arq.connections import RedisSettings, create_pool

from services.foundation.job_queue import QUEUE_NAME
from tests.conftest import free_port
from tests.processes import process_env, start_worker

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "worker-scrape-secret"


def _scrape(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(url, headers=headers, timeout=5)


def _flush_job_runs(text: str) -> float:
    prefix = 'aperture_job_seconds_count{job="flush_counters",outcome="ok"} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


async def _enqueue_flush(redis_url: str) -> None:
    pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=QUEUE_NAME)
    try:
        await pool.enqueue_job("flush_counters", _queue_name=QUEUE_NAME)
    finally:
        await pool.aclose()


def test_worker_metrics_need_the_token_and_report_jobs(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    env = process_env(tmp_path, redis_url, 5, {"WORKER_METRICS_PORT": str(port), "METRICS_TOKEN": TOKEN})
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    worker = start_worker(env)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            with contextlib.suppress(httpx.HTTPError):
                if _scrape(url, None).status_code == 401:
                    break
            assert time.monotonic() < deadline, (
                "the worker's metrics port never refused a scrape without the token"
            )
            time.sleep(0.1)

        assert _scrape(url, "wrong-token").status_code == 401
        before = _scrape(url, TOKEN)
        assert before.status_code == 200
        assert "aperture_job_seconds" in before.text

        asyncio.run(_enqueue_flush(env["REDIS_URL"]))
        deadline = time.monotonic() + 30
        while _flush_job_runs(_scrape(url, TOKEN).text) <= _flush_job_runs(before.text):
            assert time.monotonic() < deadline, "the flush job never showed up in the worker's metrics"
            time.sleep(0.2)

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        with pytest.raises(httpx.ConnectError):
            _scrape(url, TOKEN)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
