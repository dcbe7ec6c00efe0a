"""The range push (feed_scripts.PUSH_RANGE) alone: Redis CPU per feed entry into short and full feeds.

bench/fanout_workers.py pushes into feeds of a few entries, as after a rebuild. In steady
state an active reader's feed is full (FEED_CAP entries, a skiplist), and a push into a full
feed also has to cut it back to the cap. This bench pushes posts into both kinds through
FeedStore.push_range on a private redis-server and reads Redis's main-thread CPU around each
pass; the short feeds are the baseline measured in the same run.

    .venv/bin/python -m bench.range_push [--followers 5000] [--posts 16]

To compare two commits, run this file against each (it adapts to the previous signature
of push_range, which took the live key prefix instead of the live users' set).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import tempfile
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bench.common import (
    emit,
    git_dirty_files,
    git_revision,
    machine,
    private_redis,
    redis_cpu_s,
    run,
    wait_until_idle,
)
from services.timeline import presence
from services.timeline.feed_store import SENTINEL, FeedStore, active_key, feed_key, feed_member
from services.timeline.follower_index import index_key
from services.timeline.presence import LIVE_PREFIX

CAP = 800
CHUNK = 1000  # FanoutService's PUSH_CHUNK
AUTHOR = 77
FIRST_FOLLOWER = 10**12
FIRST_POST = 10**14


def _live_argument() -> dict[str, str]:
    if "live_users_key" in inspect.signature(FeedStore.push_range).parameters:
        return {"live_users_key": str(getattr(presence, "LIVE_USERS_KEY", "liveusers"))}
    return {"live_prefix": LIVE_PREFIX}  # the previous commit's signature


async def _fill(redis: aioredis.Redis, followers: list[int], entries: int) -> None:
    """Every follower active, with a feed of `entries` posts besides its sentinel."""
    posts = {feed_member(FIRST_POST - 10**6 + i, AUTHOR): FIRST_POST - 10**6 + i for i in range(entries)}
    await redis.zadd(index_key(AUTHOR), {"0": 0, **{str(f): f for f in followers}})
    for start in range(0, len(followers), 200):
        async with redis.pipeline(transaction=False) as pipe:
            for follower in followers[start : start + 200]:
                pipe.zadd(feed_key(follower), {SENTINEL: 0, **posts})
                pipe.set(active_key(follower), 1, ex=3600)
            await pipe.execute()


async def _push_pass(store: FeedStore, post_id: int) -> int:
    low, read = FIRST_FOLLOWER, 0
    while True:
        pushed = await store.push_range(
            index_key(AUTHOR), low, None, count=CHUNK, post_id=post_id, author_id=AUTHOR, cap=CAP,
            **_live_argument(),
        )  # fmt: skip
        read += pushed.read
        if pushed.read < CHUNK:
            return read
        low = pushed.last_id + 1


async def _measure(redis: aioredis.Redis, followers: list[int], entries: int, posts: int) -> dict[str, Any]:
    await redis.flushdb()
    await _fill(redis, followers, entries)
    store = FeedStore(redis, cluster=False)
    per_entry = []
    for post in range(posts):
        before = (await redis_cpu_s(redis))["main_thread"]
        pushed = await _push_pass(store, FIRST_POST + post)
        per_entry.append(((await redis_cpu_s(redis))["main_thread"] - before) / pushed * 1e6)
    sizes = {await redis.zcard(feed_key(f)) - 1 for f in followers[:100]}
    encoding = await redis.object("encoding", feed_key(followers[0]))
    return {
        "entries_before": entries,
        "encoding": encoding,
        "redis_cpu_us_per_entry_median": round(statistics.median(per_entry), 2),
        "redis_cpu_us_per_entry_each_pass": [round(x, 2) for x in per_entry],
        "feed_sizes_after_min_max": [min(sizes), max(sizes)],
    }


async def main(followers: int, posts: int) -> None:
    result: dict[str, Any] = {
        "benchmark": "range_push",
        "machine": machine(),
        "git": {"revision": git_revision(), "dirty_files": git_dirty_files()},
        "load": await wait_until_idle(max_load=1.5, timeout_s=60),
        "settings": {"followers": followers, "posts": posts, "cap": CAP, "chunk": CHUNK,
                     "followers_state": "all active, none live"},
    }  # fmt: skip
    ids = [FIRST_FOLLOWER + i for i in range(followers)]
    with tempfile.TemporaryDirectory() as tmp:
        async with private_redis(Path(tmp)) as server:
            redis = aioredis.Redis.from_url(server.url, decode_responses=True)
            short = await _measure(redis, ids, 5, posts)
            full = await _measure(redis, ids, CAP, posts)
            await redis.aclose()
    result["short_feeds"] = short
    result["full_feeds"] = full
    result["full_over_short"] = round(
        full["redis_cpu_us_per_entry_median"] / short["redis_cpu_us_per_entry_median"], 2
    )
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--followers", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=16)
    arguments = parser.parse_args()
    run(main(arguments.followers, arguments.posts))
