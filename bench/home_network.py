"""The synthetic network of bench/home_timeline.py, and a worker run until no job is due.

A power-law follower distribution (accounts with 100k+ followers included), written straight
to the stores (loading data, not exercising the API); readers who follow accounts that post;
and `drain`, which other benchmarks use to run the jobs their setup enqueued.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import time
from typing import TYPE_CHECKING, Any

from pymongo.errors import BulkWriteError

from jobs.worker import build_worker
from services.foundation.clock import utc_now
from services.social.follows import edge_document
from services.timeline.feed_store import SENTINEL, active_key, feed_key
from services.timeline.user_classes import FAMOUS

if TYPE_CHECKING:
    import random

    from bench.common import Stack
    from services.container import Services

CHUNK = 10_000


async def insert_chunks(collection: Any, documents: list[dict[str, Any]]) -> None:
    """Bulk load; edges that already exist are skipped by the unique index."""
    for start in range(0, len(documents), CHUNK):
        with contextlib.suppress(BulkWriteError):
            await collection.insert_many(documents[start : start + CHUNK], ordered=False)
    # The in-memory engine keeps millions of documents on the Python heap; without this,
    # full garbage collections over them stall the event loop for whole seconds mid-run
    gc.collect()
    gc.freeze()


async def build_network(services: Services, size: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Users and follow edges written straight to the stores (loading data, not exercising the API)."""
    db = services.stores.db
    started = time.perf_counter()
    password_hash = services.users._hasher.hash("bench-password")
    user_ids = [services.ids.next_id() for _ in range(size["users"])]
    now = utc_now()
    await insert_chunks(
        db["users"],
        [
            {"_id": uid, "username": f"bench{i}", "display_name": f"Bench {i}", "bio": "",
             "password_hash": password_hash, "created_at": now}
            for i, uid in enumerate(user_ids)
        ],
    )  # fmt: skip
    # Popularity by rank: Zipf with exponent 1.1; rank 0 is a mega account followed by most users
    ranks = list(range(1, len(user_ids)))
    weights = list(itertools.accumulate(1 / r**1.1 for r in ranks))
    edges: set[tuple[int, int]] = set()
    mega = user_ids[0]
    for follower in rng.sample(user_ids[1:], min(size["mega_followers"], len(user_ids) - 1)):
        edges.add((follower, mega))
    for follower in user_ids:
        wanted = max(1, min(500, int(rng.lognormvariate(0, 1) * size["mean_follows"] / 1.65)))
        for index in rng.choices(ranks, cum_weights=weights, k=wanted):
            followee = user_ids[index]
            if followee != follower:
                edges.add((follower, followee))
    follow_docs = [edge_document(f, e, services.ids.next_id(), now) for f, e in edges]
    await insert_chunks(db["follows"], follow_docs)
    followers: dict[int, int] = {}
    for _, followee in edges:
        followers[followee] = followers.get(followee, 0) + 1
    await insert_chunks(
        db["counters"],
        [{"_id": f"user:{uid}", "followers": n, "following": 0, "posts": 0} for uid, n in followers.items()],
    )
    famous = [uid for uid, n in followers.items() if n >= size["famous_threshold"]]
    if famous:
        await services.stores.redis.sadd(FAMOUS, *map(str, famous))  # type: ignore[misc]
    # Everyone has read their feed recently: the worst case for fan-out on write
    redis = services.stores.redis
    for start in range(0, len(user_ids), 5000):
        async with redis.pipeline(transaction=False) as pipe:
            for uid in user_ids[start : start + 5000]:
                pipe.zadd(feed_key(uid), {SENTINEL: 0})
                pipe.set(active_key(uid), 1, ex=30 * 86400)
            await pipe.execute()
    await services.stores.warm()  # as a restarted server would, before traffic
    counts = sorted(followers.values(), reverse=True)
    return {
        "user_ids": user_ids,
        "followers": followers,
        "famous": famous,
        "summary": {
            "users": len(user_ids),
            "follow_edges": len(edges),
            "build_seconds": round(time.perf_counter() - started, 1),
            "top_follower_counts": counts[:5],
            "accounts_with_10k_plus": sum(1 for c in counts if c >= 10_000),
            "accounts_with_100k_plus": sum(1 for c in counts if c >= 100_000),
            "median_followers": counts[len(counts) // 2] if counts else 0,
            "famous_accounts": len(famous),
        },
    }


async def drain(stack: Stack, max_jobs: int = 32) -> None:
    """Run a worker until no job is due and none is running. Not arq's burst mode: that waits
    for deferred jobs too (the counter flushes this benchmark defers past its end)."""
    worker = build_worker(stack.settings, stack.services, max_jobs=max_jobs, poll_delay_s=0.01)
    running = asyncio.create_task(worker.async_run())
    try:
        while not running.done():
            await asyncio.sleep(0.05)
            due = await stack.services.stores.redis.zcount(worker.queue_name, "-inf", time.time() * 1000)
            if due == 0 and not worker.tasks and worker.job_counter == 0:
                break
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.close()


async def fill_feeds(
    stack: Stack, network: dict[str, Any], size: dict[str, Any], rng: random.Random
) -> tuple[list[int], list[tuple[int, str]]]:
    """Readers who follow 40 accounts that post, then one post per posting account, fanned out."""
    services = stack.services
    famous = set(network["famous"])
    posting = rng.sample([uid for uid in network["user_ids"] if uid not in famous], size["fill_posts"])
    readers = rng.sample([uid for uid in network["user_ids"][1:] if uid not in famous], size["readers"])
    edges = {(reader, author) for reader in readers for author in rng.sample(posting, 40) if reader != author}
    await insert_chunks(
        services.stores.db["follows"],
        [edge_document(r, a, services.ids.next_id(), utc_now()) for r, a in edges],
    )
    for index, author in enumerate(posting):
        await services.posts.create(author, f"Photo {index} #bench #day{index % 30}")
    for famous_author in network["famous"]:
        for index in range(30):
            await services.posts.create(famous_author, f"Famous post {index} #famous")
    await drain(stack)
    sessions = [(reader, await services.sessions.create(reader)) for reader in readers]
    return posting, sessions
