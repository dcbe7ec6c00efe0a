"""Redis memory per home-feed entry, and what pushing into full feeds costs.

A feed is a sorted set of "postId:authorId" members scored by post id, capped at FEED_CAP
entries plus a sentinel (services/feed_store.py). Redis keeps a sorted set of at most
`zset-max-listpack-entries` members (128 by default) as one compact listpack, and converts a
bigger one to a skiplist plus a hash table, so a full feed (800) costs several times more per
entry than a short one. This measures both encodings at several sizes, with members shaped
like real ones (time-ordered 53-bit ids), the per-user keys beside the feed, and the push
script's throughput into feeds that are full, where every push also trims one entry.

    .venv/bin/python -m bench.redis_memory            # own redis-server; prints JSON
    .venv/bin/python -m bench.redis_memory --quick

bench/fanout_workers.py runs the same measurement and keeps it in its JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from aperture.settings import Settings
from bench.common import (
    emit,
    git_dirty_files,
    git_revision,
    load_average,
    machine,
    private_redis,
    redis_cpu_s,
)
from services.foundation.clock import utc_now
from services.foundation.ids import id_floor_for
from services.timeline.feed_store import (
    SENTINEL,
    FeedStore,
    active_key,
    feed_floor_key,
    feed_key,
    feed_member,
    lapse_key,
    lapse_keys,
)
from services.timeline.presence import live_key

LISTPACK_SETTING = "zset-max-listpack-entries"
USER_BASE = 7 * 10**14  # far from the ids other benchmarks use
TEMPLATES = 16  # distinct feeds of each size; the others are copies of them
SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "feed_sizes": [20, 128, 129, 400, 800],
        "feeds_per_size": 1000,
        "push_users": 10_000,
        "rounds": 5,
    },
    "quick": {"feed_sizes": [20, 800], "feeds_per_size": 200, "push_users": 2000, "rounds": 2},
}


def _entries(count: int, rng: random.Random) -> dict[str, int]:
    """`count` feed members as real ones look: recent post ids, authors among ~10^9 users."""
    newest = id_floor_for(utc_now())
    entries: dict[str, int] = {}
    for index in range(count):
        post_id = newest - (index + 1) * (1 << 20) - rng.randrange(1 << 11)
        author_id = id_floor_for(utc_now()) - rng.randrange(1 << 46)
        entries[feed_member(post_id, author_id)] = post_id
    return entries


async def _used_memory(redis: aioredis.Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


async def _fill(redis: aioredis.Redis, users: list[int], size: int, rng: random.Random) -> None:
    """Give each user a feed of `size` entries (plus the sentinel).

    A few template feeds are written with ZADD and the rest are server-side COPYs of them,
    round robin: a copy is a full duplicate with the template's encoding (no member is
    shared between keys), and generating and packing millions of members in Python would
    take minutes for the same bytes.
    """
    templates = [f"bench:template:{size}:{i}" for i in range(min(TEMPLATES, len(users)))]
    for template in templates:
        await redis.delete(template)
        await redis.zadd(template, {SENTINEL: 0, **_entries(size, rng)})
    for start in range(0, len(users), 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for offset, user in enumerate(users[start : start + 1000], start):
                pipe.copy(templates[offset % len(templates)], feed_key(user), replace=True)
            await pipe.execute()
    await redis.delete(*templates)


async def _drop(redis: aioredis.Redis, users: list[int]) -> None:
    for start in range(0, len(users), 1000):
        chunk = users[start : start + 1000]
        await redis.delete(
            *[feed_key(u) for u in chunk],
            *[feed_floor_key(u) for u in chunk],
            *[active_key(u) for u in chunk],
        )


async def feed_memory(
    redis: aioredis.Redis, sizes: list[int], feeds: int, listpack_max: int
) -> dict[str, Any]:
    """Bytes per entry of feeds of each size, under one `zset-max-listpack-entries` value."""
    await redis.config_set(LISTPACK_SETTING, listpack_max)
    rng = random.Random(9)
    rows: dict[str, Any] = {}
    for size in sizes:
        users = [USER_BASE + size * 10**6 + i for i in range(feeds)]
        before = await _used_memory(redis)
        await _fill(redis, users, size, rng)
        after = await _used_memory(redis)
        sample = users[:: max(1, feeds // 20)]
        usage = [int(await redis.memory_usage(feed_key(u), samples=0) or 0) for u in sample]
        encoding = await redis.object("encoding", feed_key(users[0]))
        rows[str(size)] = {
            "encoding": encoding,
            "bytes_per_feed_used_memory": round((after - before) / feeds),
            "bytes_per_entry_used_memory": round((after - before) / (feeds * size), 1),
            "bytes_per_feed_memory_usage": round(sum(usage) / len(usage)),
            "bytes_per_entry_memory_usage": round(sum(usage) / len(usage) / size, 1),
        }
        await _drop(redis, users)
    return {LISTPACK_SETTING: listpack_max, "by_entries": rows}


async def user_keys_memory(redis: aioredis.Redis, users: int) -> dict[str, Any]:
    """What is kept beside each feed: its floor, the active marker (with a TTL), and the
    marker's lapse record (a member of one of the `lapses:{n}` sorted sets)."""
    ids = [USER_BASE + 9 * 10**8 + i for i in range(users)]
    floor = id_floor_for(utc_now())
    before = await _used_memory(redis)
    for start in range(0, users, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for user in ids[start : start + 1000]:
                pipe.set(feed_floor_key(user), floor, ex=90 * 86400)
                pipe.set(active_key(user), 1, ex=30 * 86400)
                pipe.zadd(lapse_key(user), {str(user): time.time() + 30 * 86400})
            await pipe.execute()
    after = await _used_memory(redis)
    await _drop(redis, ids)
    await redis.delete(*lapse_keys())
    return {
        "keys": ["feedfloor:{uid}", "active:{uid}", "a member of lapses:{n}"],
        "bytes_per_user": round((after - before) / users),
    }


async def push_into_feeds(
    redis: aioredis.Redis, cap: int, users: int, rounds: int, size: int, listpack_max: int
) -> dict[str, Any]:
    """Push `rounds` posts into `users` active feeds that hold `size` entries, as a fan-out
    batch does (1,000 followers per call, 200 per script), from this one process."""
    await redis.config_set(LISTPACK_SETTING, listpack_max)
    rng = random.Random(11)
    ids = [USER_BASE + 8 * 10**8 + i for i in range(users)]
    await _fill(redis, ids, size, rng)
    for start in range(0, users, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for user in ids[start : start + 1000]:
                pipe.set(active_key(user), 1, ex=3600)
            await pipe.execute()
    store = FeedStore(redis, cluster=False)
    post_base = id_floor_for(utc_now()) + (1 << 30)
    cpu_before = await redis_cpu_s(redis)
    started = time.perf_counter()
    for round_ in range(rounds):
        for start in range(0, users, 1000):
            pushed, _ = await store.push(
                ids[start : start + 1000], post_base + round_, 42, cap=cap, live_key=live_key
            )
            assert len(pushed) == len(ids[start : start + 1000])
    elapsed = time.perf_counter() - started
    cpu_after = await redis_cpu_s(redis)
    lengths = {int(await redis.zcard(feed_key(u))) for u in ids[:: max(1, users // 50)]}
    encoding = await redis.object("encoding", feed_key(ids[0]))
    await _drop(redis, ids)
    entries = users * rounds
    redis_cpu = cpu_after["main_thread"] - cpu_before["main_thread"]
    return {
        "entries_before_push": size,
        "encoding": encoding,
        LISTPACK_SETTING: listpack_max,
        "feed_lengths_after": sorted(lengths),
        "entries": entries,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(entries / elapsed),
        "redis_main_thread_cpu_s": round(redis_cpu, 3),
        "redis_cpu_us_per_entry": round(redis_cpu / entries * 1e6, 2),
    }


async def measure(redis: aioredis.Redis, cap: int, size: dict[str, Any]) -> dict[str, Any]:
    default_max = int((await redis.config_get(LISTPACK_SETTING))[LISTPACK_SETTING])
    # A listpack must hold the cap plus the sentinel (and the one entry a push adds before trimming)
    listpack_max = 1 << (cap + 2).bit_length()
    try:
        result: dict[str, Any] = {
            "feed_cap": cap,
            "member_example": next(iter(_entries(1, random.Random(1)))),
            "feeds_default_encoding": await feed_memory(
                redis, size["feed_sizes"], size["feeds_per_size"], default_max
            ),
            "feeds_listpack_up_to_cap": await feed_memory(
                redis, size["feed_sizes"], size["feeds_per_size"], listpack_max
            ),
            "user_keys": await user_keys_memory(redis, 10_000),
        }
        pushes = {}
        for label, entries, setting in (
            ("short_feeds_listpack", 20, default_max),
            ("full_feeds_skiplist", cap, default_max),
            ("full_feeds_listpack", cap, listpack_max),
        ):
            pushes[label] = await push_into_feeds(
                redis, cap, size["push_users"], size["rounds"], entries, setting
            )
        result["push_into_feeds_one_process"] = pushes
    finally:
        await redis.config_set(LISTPACK_SETTING, default_max)
    return result


async def main(mode: str) -> None:
    size = SIZES[mode]
    cap = Settings().feed_cap
    result: dict[str, Any] = {
        "benchmark": "redis_memory",
        "mode": mode,
        "run": {"git_commit": git_revision(), "uncommitted_changes_in": git_dirty_files()},
        "machine": {**machine(), "load_average_before": load_average()},
    }
    async with private_redis(Path(tempfile.mkdtemp(prefix="aperture-redis-memory-"))) as server:
        redis = aioredis.Redis.from_url(server.url, decode_responses=True)
        try:
            result["redis_memory"] = await measure(redis, cap, size)
        finally:
            await redis.aclose()
    result["machine"]["load_average_at_end"] = load_average()
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer and smaller feeds")
    asyncio.run(main("quick" if parser.parse_args().quick else "full"))
