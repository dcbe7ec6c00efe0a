"""Hot/cold tier benchmark: read latency per tier, and the cache hit rate under Zipf reads.

Loads posts straight into the stores (most of them old), archives the old quiet ones
with the real archival service, then reads through PostService, the path every query
and timeline uses. Redis gets a memory cap with LRU eviction, as a production cache
would, so the hit rate is earned rather than given. Prints one JSON document.

    .venv/bin/python -m bench.tiers [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
from datetime import timedelta
from typing import Any

from bench.common import embedded_stack, emit, machine, summarize_ms
from services.foundation.clock import utc_now
from services.foundation.ids import id_floor_for
from services.posts.service import post_key


async def load(stack: Any, total: int, recent: int) -> list[int]:
    """`total` posts by 1,000 authors; all but the newest `recent` are a year old."""
    store = stack.services.posts.store
    old_base = id_floor_for(utc_now() - timedelta(days=365))
    ids = [old_base + (i << 11) for i in range(total - recent)]
    ids += [stack.services.ids.next_id() for _ in range(recent)]
    for start in range(0, total, 10_000):
        await store.hot.insert_many(
            [
                {"_id": post_id, "author_id": 1 + post_id % 1000, "caption": f"post {post_id}", "hashtags": [],
                 "mention_ids": [], "status": "VISIBLE", "created_at": utc_now(), "media": []}
                for post_id in ids[start : start + 10_000]
            ]
        )  # fmt: skip
    return ids


async def latency(stack: Any, post_ids: list[int], *, cached: bool) -> dict[str, float]:
    posts = stack.services.posts
    redis = stack.services.stores.redis
    samples = []
    for post_id in post_ids:
        if cached:
            await posts.get(post_id)
        else:
            await redis.delete(post_key(post_id))
        started = time.perf_counter()
        record = await posts.get(post_id)
        samples.append(time.perf_counter() - started)
        assert record is not None
    return summarize_ms(samples)


async def main(quick: bool) -> None:
    total, recent, reads = (5_000, 1_000, 5_000) if quick else (50_000, 10_000, 30_000)
    result: dict[str, Any] = {
        "benchmark": "tiers",
        "mode": "quick" if quick else "full",
        "machine": machine(),
    }
    async with embedded_stack(promote_after_reads=5) as stack:
        services = stack.services
        redis = services.stores.redis
        ids = await load(stack, total, recent)
        started = time.perf_counter()
        report = await services.archive.run(age=timedelta(days=180), max_engagement=50, max_batches=10**6)
        archive_seconds = time.perf_counter() - started
        await services.stores.warm()
        counts = await services.archive.tier_counts()
        result["settings"] = {
            "posts": total,
            "recent_posts": recent,
            "archive_after_days": 180,
            "mongodb": "litemongo in memory; the archive is a second database",
            "redis_cache": "maxmemory 8 MB, allkeys-lru",
            "zipf_exponent": 1.1,
            "reads": reads,
        }
        result["archival"] = {
            "archived": report.archived,
            "seconds": round(archive_seconds, 2),
            "posts_per_s": round(report.archived / archive_seconds),
            "tiers": counts,
        }
        rng = random.Random(7)
        hot_ids = ids[-recent:]
        cold_ids = ids[: total - recent]
        result["read_latency"] = {
            "cached": await latency(stack, rng.sample(hot_ids, 300), cached=True),
            "hot_uncached": await latency(stack, rng.sample(hot_ids, 300), cached=False),
            "cold_uncached": await latency(stack, rng.sample(cold_ids, 300), cached=False),
        }
        await redis.config_set("maxmemory", "8mb")
        await redis.config_set("maxmemory-policy", "allkeys-lru")
        await redis.flushdb()
        # Popularity follows recency (rank 0 is the newest post), with a Zipf tail into the archive
        newest_first = list(reversed(ids))
        weights = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(total)))
        services.posts.cache_hits = services.posts.cache_misses = 0
        samples = []
        for post_id in rng.choices(newest_first, cum_weights=weights, k=reads):
            began = time.perf_counter()
            await services.posts.get(post_id)
            samples.append(time.perf_counter() - began)
        hits, misses = services.posts.cache_hits, services.posts.cache_misses
        promotions = await services.queue.depth()
        result["zipf_reads"] = {
            "reads": reads,
            "cache_hit_rate": round(hits / (hits + misses), 4),
            "latency": summarize_ms(samples),
            "archived_posts_read_often_enough_to_promote": promotions,
        }
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
