"""A block made while a fan-out of the blocker's post is in flight, with the worker then killed
mid-batch, leaves the post out of the blocked person's feed, and every other follower still
gets it exactly once.

Modelled on tests/test_fanout_crash.py: real `aperture worker` processes, the embedded MongoDB
stand-in on SQLite, the session's real Redis. The blocked person is the first follower the
batch pushes to, so the post is already in their feed when the block lands: only the unfollow
sweeps (at once, and again after FANOUT_SWEEP_DELAY_S) can take it out, and the batch retried
by the second worker must not put it back.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from aperture.settings import Settings
from services.foundation.clock import utc_now
from services.runtime import open_services
from services.timeline.feed_store import feed_key, feed_member
from tests.processes import redis_db_url, start_worker
from tests.test_fanout_crash import BATCH, kill_when, network, worker_env

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.multiprocess

SWEEP_DELAY_S = 2.0


async def test_a_block_during_the_blockers_fan_out_keeps_the_post_out_of_the_blocked_feed(
    tmp_path: Path, redis_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mongodb_url=f"litemongo://{tmp_path / 'mongo'}",
        redis_url=redis_db_url(redis_url, 1),
        secret_key="crash-test-secret",
        fanout_batch_size=BATCH,
        fanout_sweep_delay_s=SWEEP_DELAY_S,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        famous_threshold=10**9,
    )
    env = worker_env(settings)
    async with open_services(settings) as services:
        redis = services.stores.redis
        author_id, follower_ids = await network(services)
        blocked_id = follower_ids[0]  # the lowest id: the batch pushes to them first
        await services.stores.db["users"].insert_one(
            {
                "_id": blocked_id,
                "username": "blockedone",
                "display_name": "blockedone",
                "bio": "",
                "password_hash": "-",
                "created_at": utc_now(),
            }
        )
        others = follower_ids[1:]
        await services.follower_index.ensure(author_id)
        first = start_worker(env)
        try:
            post = await services.posts.create(author_id, "not for the blocked")
            member = feed_member(post.id, author_id)

            async def has_it(follower: int) -> bool:
                return await redis.zscore(feed_key(follower), member) is not None

            async def pushing_past_the_blocked() -> bool:
                return await has_it(blocked_id) and not await has_it(follower_ids[-1])

            async def block_mid_batch() -> bool:
                if not await pushing_past_the_blocked():
                    return False
                await services.privacy.block(author_id, blocked_id)
                return True  # and the worker is killed at once, mid-batch

            await kill_when(first, block_mid_batch, "pushing past the blocked follower")
            blocked_at = time.monotonic()
        finally:
            if first.poll() is None:
                first.kill()

        second = start_worker(env)
        try:

            async def delivered() -> int:
                async with redis.pipeline(transaction=False) as pipe:
                    for follower in others:
                        pipe.zscore(feed_key(follower), member)
                    scores = await pipe.execute()
                return sum(1 for score in scores if score is not None)

            deadline = blocked_at + 90
            while time.monotonic() < deadline and (
                await delivered() < len(others)
                or await services.fanout.pending(post.id) > 0
                or time.monotonic() < blocked_at + SWEEP_DELAY_S + 1
                or await redis.zcard("arq:queue") > 0
            ):
                await asyncio.sleep(0.1)
        finally:
            second.terminate()
            _, stderr = second.communicate(timeout=30)
        assert await delivered() == len(others), stderr.decode()[-2000:]
        assert not await has_it(blocked_id), "the block's sweeps took the post out and nothing put it back"
        assert await services.fanout.pending(post.id) == 0
        # Nor does any read path show it: the timeline, the post, the author's profile
        page = await services.home.page(blocked_id, None, 20)
        assert post.id not in [record.id for record in page.items]
        assert not await services.policy.can_see(blocked_id, author_id)
        assert not await services.follows.follows_which(blocked_id, [author_id])
        await redis.flushdb()
