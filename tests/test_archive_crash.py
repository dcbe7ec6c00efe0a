"""An archival run killed partway neither loses nor duplicates a post.

A real `aperture worker` process archives posts from the embedded MongoDB stand-in on
SQLite (shared with this test); it is SIGKILLed mid-run, then a new worker finishes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from aperture.settings import Settings
from services.archive.job_names import ArchiveJob
from services.foundation.clock import utc_now
from services.runtime import open_services
from tests.processes import redis_db_url, start_worker

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.multiprocess

POSTS = 3000


async def test_sigkill_mid_archival_loses_and_duplicates_nothing(tmp_path: Path, redis_url: str) -> None:
    redis_db4 = redis_db_url(redis_url, 4)
    settings = Settings(
        data_dir=tmp_path,
        mongodb_url=f"litemongo://{tmp_path / 'mongo'}",
        redis_url=redis_db4,
        secret_key="archive-crash-secret",
        job_timeout_s=8,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "S3_"))}
    env.update(
        {
            "MONGODB_URL": settings.mongodb_url,
            "REDIS_URL": settings.redis_url,
            "APERTURE_SECRET_KEY": settings.secret_key,
            "APERTURE_DATA_DIR": str(tmp_path),
            "JOB_TIMEOUT_S": "8",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
        }
    )
    async with open_services(settings) as services:
        await services.stores.redis.flushdb()
        store = services.posts.store
        ids = [services.ids.next_id() for _ in range(POSTS)]
        await store.hot.insert_many(
            [
                {"_id": post_id, "author_id": 7, "caption": f"post {i}", "hashtags": [], "mention_ids": [],
                 "status": "VISIBLE", "created_at": utc_now(), "media": []}
                for i, post_id in enumerate(ids)
            ]
        )  # fmt: skip

        async def tier_ids() -> tuple[set[int], set[int]]:
            hot = {row["_id"] for row in await store.hot.find({}, {"_id": 1}).to_list(None)}
            cold = {row["_id"] for row in await store.cold.find({}, {"_id": 1}).to_list(None)}
            return hot, cold

        first = start_worker(env)
        try:
            await services.queue.enqueue(ArchiveJob.ARCHIVE_POSTS, 0.0, 100)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if POSTS // 10 <= await store.cold.count_documents({}) <= POSTS * 8 // 10:
                    break
                await asyncio.sleep(0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        hot, cold = await tier_ids()
        assert hot | cold == set(ids), "nothing lost, even mid-move"
        assert 0 < len(cold) < POSTS, "the kill landed mid-run"

        second = start_worker(env)
        try:
            await services.queue.enqueue(ArchiveJob.ARCHIVE_POSTS, 0.0, 100)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                hot, cold = await tier_ids()
                if not hot and len(cold) == POSTS:
                    break
                await asyncio.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
        hot, cold = await tier_ids()
        assert (len(hot), len(cold)) == (0, POSTS), stderr.decode()[-2000:]
        assert not hot & cold, "no post in both tiers"
        await services.stores.redis.delete(*[f"post:{{{post_id}}}" for post_id in ids[:500]])
        records = await services.posts.get_many(ids)
        assert all(record is not None for record in records), "every post still reads"
        await services.stores.redis.flushdb()
