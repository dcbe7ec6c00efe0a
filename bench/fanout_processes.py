"""The processes bench/fanout_workers.py starts: arq workers built as `aperture worker` builds
them (with timing hooks that report through Redis), and plain pushers for the push stage alone.
Started with spawn, so each is a fresh interpreter, as a deployed worker is.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import time
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from aperture.cli import stop_worker
from aperture.logs import configure_logging
from bench.common import redis_cpu_s
from jobs.worker import build_worker
from services.runtime import open_services
from services.timeline.events import FanoutFinished
from services.timeline.feed_store import SENTINEL, FeedStore, active_key, feed_key
from services.timeline.presence import live_key

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from aperture.settings import Settings

PUSH_STAGE_BASE = 5 * 10**14
DONE, EVENTS, BATCHES = "bench:fanout:done", "bench:fanout:events", "bench:fanout:batches"
SPAWN = multiprocessing.get_context("spawn")


def run_loop(coroutine: Any) -> None:
    import uvloop  # noqa: PLC0415 - the event loop `aperture worker` uses

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coroutine)


# Worker processes: `aperture worker`, plus three timing hooks that report through Redis


def worker_process(settings: Settings, index: int) -> None:
    run_loop(_worker(settings, index))


async def _worker(settings: Settings, index: int) -> None:
    configure_logging(settings.log_level, settings.log_format)
    async with open_services(settings) as services:
        redis = services.stores.redis
        fanout, follows = services.fanout, services.follows
        read_s: list[float] = []
        start, read, push_batch = fanout.start, follows.follower_ids_after, fanout.push_batch

        async def timed_read(followee_id: int, after: int | None, limit: int) -> tuple[list[int], int | None]:
            began = time.perf_counter()
            try:
                return await read(followee_id, after, limit)
            finally:
                read_s.append(time.perf_counter() - began)

        async def timed_start(post_id: int, visible_at: float) -> None:
            began = time.time()
            read_s.clear()
            await start(post_id, visible_at)
            event = {"worker": index, "dispatch_began_s": began - visible_at,
                     "dispatch_ended_s": time.time() - visible_at, "follower_read_s": sum(read_s)}  # fmt: skip
            await redis.rpush(EVENTS, json.dumps(event))  # type: ignore[misc]

        async def counted_batch(
            post_id: int, author_id: int, low: int, high: int | None, position: str, visible_at: float
        ) -> None:
            await push_batch(post_id, author_id, low, high, position, visible_at)
            await redis.hincrby(BATCHES, str(index), 1)  # type: ignore[misc]

        async def report_done(event: FanoutFinished) -> None:
            report = {"lag_s": event.lag_s, "worker": index, "at": time.time()}
            await redis.rpush(DONE, json.dumps(report))  # type: ignore[misc]

        follows.follower_ids_after = timed_read  # type: ignore[method-assign]
        fanout.start = timed_start  # type: ignore[method-assign]
        fanout.push_batch = counted_batch  # type: ignore[method-assign]
        services.bus.subscribe(FanoutFinished, report_done)
        worker = build_worker(settings, services)
        # The 30 s counter-flush cron would recount the author's 100k follow edges inside a
        # timed sample; its cost is measured on its own (exact_follower_count_s)
        worker.cron_jobs = []
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        run_task = asyncio.create_task(worker.async_run())
        await redis.set(f"bench:ready:{index}", os.getpid())
        await stop.wait()
        await stop_worker(worker, run_task)


async def start_workers(
    settings: Settings, redis: aioredis.Redis, count: int
) -> tuple[list[BaseProcess], float]:
    began = time.perf_counter()
    await redis.delete(*[f"bench:ready:{i}" for i in range(count)])
    processes: list[BaseProcess] = [
        SPAWN.Process(target=worker_process, args=(settings, i), daemon=True) for i in range(count)
    ]
    for process in processes:
        process.start()
    while await redis.exists(*[f"bench:ready:{i}" for i in range(count)]) < count:
        if any(p.exitcode is not None for p in processes):
            raise RuntimeError("a worker process exited during startup")
        await asyncio.sleep(0.1)
    return processes, time.perf_counter() - began


def stop_workers(processes: list[BaseProcess]) -> None:
    for process in processes:
        process.terminate()  # SIGTERM: the worker drains like `aperture worker` does
    for process in processes:
        process.join(30)
        if process.exitcode is None:
            process.kill()


# The push stage alone: plain processes calling FeedStore.push, no arq and no MongoDB


def push_process(
    url: str, followers: list[int], post_ids: list[int], cluster: bool, go: Any, out: Any
) -> None:
    run_loop(_push(url, followers, post_ids, cluster, go, out))


async def _push(
    url: str, followers: list[int], post_ids: list[int], cluster: bool, go: Any, out: Any
) -> None:
    redis = aioredis.Redis.from_url(url, decode_responses=True)
    store = FeedStore(redis, cluster=cluster)
    await redis.ping()
    out.put(("ready", 0.0, 0.0))
    await asyncio.to_thread(go.wait)
    cpu = time.process_time()
    for post_id in post_ids:
        for start in range(0, len(followers), 1000):
            await store.push(followers[start : start + 1000], post_id, 42, cap=800, live_key=live_key)
    out.put(("done", time.time(), time.process_time() - cpu))
    await redis.aclose()


async def push_stage(
    url: str, redis: aioredis.Redis, followers: int, processes: int, cluster: bool
) -> dict[str, Any]:
    users = [PUSH_STAGE_BASE + i for i in range(followers)]
    for start in range(0, followers, 5000):
        async with redis.pipeline(transaction=False) as pipe:
            for user in users[start : start + 5000]:
                pipe.delete(feed_key(user))  # fresh feeds for every configuration
                pipe.zadd(feed_key(user), {SENTINEL: 0})
                pipe.set(active_key(user), 1, ex=3600)
            await pipe.execute()
    rounds = 2
    post_ids = [PUSH_STAGE_BASE + 10**7 * (processes + 10 * cluster) + r for r in range(rounds)]
    go, out = SPAWN.Event(), SPAWN.Queue()
    share = -(-followers // processes)
    children = [
        SPAWN.Process(
            target=push_process, args=(url, users[i * share : (i + 1) * share], post_ids, cluster, go, out)
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    for _ in children:
        await asyncio.to_thread(out.get, timeout=60)
    before = await redis_cpu_s(redis)
    began = time.time()
    go.set()
    finished = [await asyncio.to_thread(out.get, timeout=600) for _ in children]
    elapsed = max(f[1] for f in finished) - began
    after = await redis_cpu_s(redis)
    for child in children:
        child.join(30)
    entries = followers * rounds
    redis_cpu = after["main_thread"] - before["main_thread"]
    return {
        "processes": processes,
        "one_script_call_per_follower": cluster,
        "entries": entries,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(entries / elapsed),
        "redis_main_thread_busy": round(redis_cpu / elapsed, 2),
        "redis_cpu_us_per_entry": round(redis_cpu / entries * 1e6, 2),
        "pushers_cpu_us_per_entry": round(sum(f[2] for f in finished) / entries * 1e6, 2),
    }
