"""A worker killed in the middle of a fan-out loses no feed entry and duplicates none.

This runs real `aperture worker` processes against the embedded MongoDB stand-in on
SQLite (shared between processes) and the session's real Redis.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from aperture.settings import Settings
from services.foundation.clock import utc_now
from services.runtime import open_services
from services.social.follows import edge_id
from services.timeline.feed_store import SENTINEL, active_key, feed_key, feed_member
from tests.processes import redis_db_url, start_worker

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.multiprocess

FOLLOWERS = 20_000
BATCH = 4000


async def test_sigkill_mid_fanout_loses_and_duplicates_nothing(tmp_path: Path, redis_url: str) -> None:
    redis_db1 = redis_db_url(redis_url, 1)
    settings = Settings(
        data_dir=tmp_path,
        mongodb_url=f"litemongo://{tmp_path / 'mongo'}",
        redis_url=redis_db1,
        secret_key="crash-test-secret",
        fanout_batch_size=BATCH,
        fanout_page_size=20_000,
        job_timeout_s=3,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        famous_threshold=10**9,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "S3_"))}
    env.update(
        {
            "MONGODB_URL": settings.mongodb_url,
            "REDIS_URL": settings.redis_url,
            "APERTURE_SECRET_KEY": settings.secret_key,
            "FANOUT_BATCH_SIZE": str(BATCH),
            "FANOUT_PAGE_SIZE": "20000",
            "JOB_TIMEOUT_S": "3",
            # Two jobs at a time, so that batches run one after another and one can be caught
            "WORKER_MAX_JOBS": "2",
            "FAMOUS_FOLLOWER_THRESHOLD": str(settings.famous_threshold),
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
        }
    )
    async with open_services(settings) as services:
        redis = services.stores.redis
        await redis.flushdb()
        author = await services.users.sign_up("crashauthor", "password-123", None)
        follower_ids = [10_000 + i for i in range(FOLLOWERS)]
        await services.stores.db["follows"].insert_many(
            [
                {
                    "_id": edge_id(f, author.id),
                    "seq": 1_000_000 + i,
                    "follower_id": f,
                    "followee_id": author.id,
                    "created_at": utc_now(),
                }
                for i, f in enumerate(follower_ids)
            ]
        )
        async with redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids:
                pipe.zadd(feed_key(follower), {SENTINEL: 0})
                pipe.set(active_key(follower), 1, ex=3600)
            await pipe.execute()

        first = start_worker(env)
        try:
            post = await services.posts.create(author.id, "crash me if you can")
            member = feed_member(post.id, author.id)

            async def delivered() -> int:
                async with redis.pipeline(transaction=False) as pipe:
                    for follower in follower_ids:
                        pipe.zscore(feed_key(follower), member)
                    scores = await pipe.execute()
                return sum(1 for score in scores if score is not None)

            # Batch job ids are positions in the follower index: page "start", chunk i
            batch_keys = [f"arq:in-progress:push:{post.id}:start:{i}" for i in range(FOLLOWERS // BATCH)]

            async def batch_in_flight() -> bool:
                return bool(await redis.exists(*batch_keys))

            # Once a batch has finished, kill the worker while another one is running
            deadline = time.monotonic() + 60
            batches = FOLLOWERS // BATCH
            killed = False
            while time.monotonic() < deadline and not killed:
                outstanding = await services.fanout.pending(post.id)
                if 0 < outstanding < batches and await batch_in_flight():
                    first.send_signal(signal.SIGKILL)
                    first.wait(timeout=10)
                    killed = True
                await asyncio.sleep(0.001)
            assert killed, "never caught a batch job running"
        finally:
            if first.poll() is None:
                first.kill()
        partial = await delivered()
        interrupted = await redis.exists(*batch_keys)
        assert 0 < partial < FOLLOWERS, f"the kill must land mid-fan-out (delivered {partial})"
        assert interrupted, "a batch job was running when the worker died"

        second = start_worker(env)
        try:
            # The interrupted job is retried once arq's in-progress lock expires (timeout + 2 + 10 s)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and (
                await delivered() < FOLLOWERS or await services.fanout.pending(post.id) > 0
            ):
                await asyncio.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
        assert await delivered() == FOLLOWERS, stderr.decode()[-2000:]
        async with redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids:
                pipe.zrange(feed_key(follower), 0, -1)
            feeds = await pipe.execute()
        for members in feeds:
            assert members.count(member) == 1
            assert len(members) == 2, "the sentinel and the one post: nothing duplicated"
        assert await services.fanout.pending(post.id) == 0
        await redis.flushdb()
