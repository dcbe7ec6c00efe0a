"""A worker killed with SIGKILL in the middle of a fan-out loses no feed entry, duplicates
none, and delays delivery by seconds, not by arq's in-progress expiry (15 minutes here).

This runs real `aperture worker` processes against the embedded MongoDB stand-in on SQLite
(shared between processes) and the session's real Redis, and kills one at the dispatch (while
it rebuilds the author's follower index from MongoDB) and at a batch (while it pushes).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from aperture.settings import Settings
from services.foundation.clock import utc_now
from services.runtime import open_services
from services.social.follows import edge_id
from services.timeline.feed_store import SENTINEL, active_key, feed_key, feed_member
from services.timeline.follower_index import building_key, ready_key
from tests.processes import redis_db_url, start_worker

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from services.container import Services

pytestmark = pytest.mark.multiprocess

FOLLOWERS = 20_000
# One batch for everyone: it takes long enough (20 script calls) to be caught running
BATCH = 20_000
# The bound the issue sets: a killed worker delays delivery by at most this much
RECOVERY_S = 30


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "S3_"))}
    env.update(
        {
            "MONGODB_URL": settings.mongodb_url,
            "REDIS_URL": settings.redis_url,
            "APERTURE_SECRET_KEY": settings.secret_key,
            "FANOUT_BATCH_SIZE": str(BATCH),
            "FANOUT_PAGE_SIZE": "5000",  # an index rebuild of four pages, to be caught in
            "FAMOUS_FOLLOWER_THRESHOLD": str(settings.famous_threshold),
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def network(services: Services) -> tuple[int, list[int]]:
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
    return author.id, follower_ids


async def kill_when(
    process: subprocess.Popen[bytes], caught: Callable[[], Awaitable[bool]], what: str
) -> float:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if await caught():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            return time.monotonic()
        await asyncio.sleep(0.001)
    raise AssertionError(f"never caught the worker {what}")


@pytest.mark.parametrize("kill_at", ["dispatch", "batch"])
async def test_sigkill_mid_fanout_loses_nothing_duplicates_nothing_and_recovers_within_30_s(
    tmp_path: Path, redis_url: str, kill_at: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mongodb_url=f"litemongo://{tmp_path / 'mongo'}",
        redis_url=redis_db_url(redis_url, 1),
        secret_key="crash-test-secret",
        fanout_batch_size=BATCH,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        famous_threshold=10**9,
    )
    env = worker_env(settings)
    async with open_services(settings) as services:
        redis = services.stores.redis
        author_id, follower_ids = await network(services)
        if kill_at == "batch":
            await services.follower_index.ensure(author_id)  # the dispatch is quick: only ranges
        first = start_worker(env)
        try:
            post = await services.posts.create(author_id, "crash me if you can")
            member = feed_member(post.id, author_id)

            async def delivered() -> int:
                async with redis.pipeline(transaction=False) as pipe:
                    for follower in follower_ids:
                        pipe.zscore(feed_key(follower), member)
                    scores = await pipe.execute()
                return sum(1 for score in scores if score is not None)

            async def rebuilding_index() -> bool:
                return bool(await redis.exists(building_key(author_id)))

            async def pushing() -> bool:
                # Part-way through the one batch: it pushes in id order, a thousand per call
                async with redis.pipeline(transaction=False) as pipe:
                    pipe.zscore(feed_key(follower_ids[0]), member)
                    pipe.zscore(feed_key(follower_ids[-1]), member)
                    first_has, last_has = await pipe.execute()
                return first_has is not None and last_has is None

            if kill_at == "dispatch":
                killed_at = await kill_when(first, rebuilding_index, "rebuilding the follower index")
                assert not await redis.exists(ready_key(author_id)), "killed before the index was complete"
            else:
                killed_at = await kill_when(first, pushing, "in the middle of a batch")
                partial = await delivered()
                assert 0 < partial < FOLLOWERS, f"the kill must land mid-batch (delivered {partial})"
        finally:
            if first.poll() is None:
                first.kill()

        second = start_worker(env)
        try:
            while time.monotonic() < killed_at + RECOVERY_S + 30 and (
                await delivered() < FOLLOWERS or await services.fanout.pending(post.id) > 0
            ):
                await asyncio.sleep(0.1)
            recovered_s = time.monotonic() - killed_at
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
        assert await delivered() == FOLLOWERS, stderr.decode()[-2000:]
        assert recovered_s <= RECOVERY_S, f"delivery completed {recovered_s:.1f} s after the kill"
        async with redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids:
                pipe.zrange(feed_key(follower), 0, -1)
            feeds = await pipe.execute()
        for members in feeds:
            assert members.count(member) == 1
            assert len(members) == 2, "the sentinel and the one post: nothing duplicated"
        assert await services.fanout.pending(post.id) == 0
        await redis.flushdb()
