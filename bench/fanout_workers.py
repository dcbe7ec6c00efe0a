"""Fan-out of one post to 100,000 followers with 1, 2 and 4 arq worker processes.

Everything is real and private to this run: a redis-server on a free loopback port (feeds
and the arq queue), the MongoDB stand-in on SQLite shared by every process (as `aperture
serve` keeps it), and worker processes that run `jobs.worker.build_worker`, as `aperture
worker` does. The post is created through PostService, so the fan-out job is enqueued as
in production: a dispatcher job pages the follower index and enqueues batch jobs carrying
explicit follower ids, and the batches run on whichever worker takes them.

A sample is timed from the enqueue of the fan-out job until the last batch has pushed
(the FanoutFinished event, reported by the worker that finished it), then every follower's
feed is checked to hold the post. Each worker count also runs samples of three posts
created back to back, timed from the first enqueue to the last push. Redis's CPU time (INFO cpu) and each worker's CPU time
(/proc) are read around every sample, to show which side runs out of CPU first.

Also measured in the same run: redis-benchmark's pipelined ZADD on the same server (the
baseline), the follower read alone, the push stage alone from 1, 2 and 4 plain processes
(no arq, no MongoDB), Redis work per home-timeline read over HTTP, and Redis memory per
feed entry (bench/redis_memory.py).

    .venv/bin/python -m bench.fanout_workers            # 100k followers, about 9 minutes
    .venv/bin/python -m bench.fanout_workers --no-wait  # start even if the machine is busy
    .venv/bin/python -m bench.fanout_workers --quick    # 10k followers, a smoke run

Without --no-wait the run first waits, for two minutes at most, until the 1-minute load
average is below 1. The load average is recorded before every part either way, since
other work on the machine (a test suite) takes cores from the measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from aperture.cli import stop_worker
from aperture.logs import configure_logging
from aperture.settings import Settings
from bench import redis_memory
from bench.common import (
    emit,
    free_port,
    git_dirty_files,
    git_revision,
    load_average,
    machine,
    private_redis,
    process_cpu_s,
    redis_benchmark_zadd_tcp,
    redis_cpu_s,
    serve_app,
    wait_until_idle,
    wrk_graphql,
)
from bench.home_timeline import HOME_QUERY
from jobs.worker import build_worker
from services.foundation.clock import utc_now
from services.runtime import open_services
from services.social.follows import edge_id
from services.timeline.events import FanoutFinished
from services.timeline.feed_store import SENTINEL, FeedStore, active_key, feed_key, feed_member
from services.timeline.presence import live_key

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from services.container import Services

SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "followers": 100_000,
        "repetitions": 4,
        "concurrent_repetitions": 2,
        "readers": 200,
        "read_seconds": 10,
    },
    "quick": {
        "followers": 10_000,
        "repetitions": 2,
        "concurrent_repetitions": 1,
        "readers": 50,
        "read_seconds": 3,
    },
}
WORKER_COUNTS = (1, 2, 4)
CONCURRENT_POSTS = 3  # several posts in flight, as under production load
FOLLOWER_BASE = 10**12
PUSH_STAGE_BASE = 5 * 10**14
DONE, EVENTS, BATCHES = "bench:fanout:done", "bench:fanout:events", "bench:fanout:batches"
SPAWN = multiprocessing.get_context("spawn")


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


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


# The graph and one timed fan-out


async def load_graph(services: Services, followers: int) -> dict[str, Any]:
    """One author, `followers` follow edges written straight to the store, every follower active."""
    author = await services.users.sign_up("fanoutauthor", "bench-password-1", None)
    follower_ids = [FOLLOWER_BASE + i for i in range(followers)]
    now = utc_now()
    began = time.perf_counter()
    for start in range(0, followers, 10_000):
        await services.stores.db["follows"].insert_many(
            [{"_id": edge_id(f, author.id), "seq": services.ids.next_id(), "follower_id": f,
              "followee_id": author.id, "created_at": now} for f in follower_ids[start : start + 10_000]],
            ordered=False,
        )  # fmt: skip
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    await services.stores.warm()
    warm_s = time.perf_counter() - began
    # Every follower read their feed recently: the feed exists and the active marker is set
    redis = services.stores.redis
    for start in range(0, followers, 5000):
        async with redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids[start : start + 5000]:
                pipe.zadd(feed_key(follower), {SENTINEL: 0})
                pipe.set(active_key(follower), 1, ex=30 * 86400)
            await pipe.execute()
    return {
        "author_id": author.id,
        "follower_ids": follower_ids,
        "summary": {"follow_edges": followers, "insert_s": round(load_s, 1), "warm_s": round(warm_s, 1)},
    }


async def delivered(redis: aioredis.Redis, follower_ids: list[int], member: str) -> int:
    count = 0
    for start in range(0, len(follower_ids), 10_000):
        async with redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids[start : start + 10_000]:
                pipe.zscore(feed_key(follower), member)
            count += sum(1 for score in await pipe.execute() if score is not None)
    return count


async def reports(redis: aioredis.Redis, key: str, count: int, timeout_s: float = 30.0) -> list[str]:
    """The list at `key` once it holds `count` entries (or whatever it holds after the timeout)."""
    deadline = time.monotonic() + timeout_s
    while await redis.llen(key) < count and time.monotonic() < deadline:  # type: ignore[misc]
        await asyncio.sleep(0.01)
    entries: list[str] = await redis.lrange(key, 0, -1)  # type: ignore[misc]
    return entries


async def one_fanout(
    services: Services, graph: dict[str, Any], processes: list[BaseProcess], label: str, posts: int = 1
) -> dict[str, Any]:
    """Create `posts` posts by the author back to back and time until every fan-out has finished."""
    redis = services.stores.redis
    await redis.delete(DONE, EVENTS, BATCHES)
    redis_before = await redis_cpu_s(redis)
    workers_before = [process_cpu_s(p.pid or 0) for p in processes]
    first_enqueue = time.time()
    created = [
        await services.posts.create(graph["author_id"], f"fan-out bench {label}.{i}") for i in range(posts)
    ]
    finished = []
    for _ in created:
        done = await redis.blpop([DONE], timeout=600)  # type: ignore[misc]
        if done is None:
            raise RuntimeError(f"fan-out {label} did not finish")
        finished.append(json.loads(done[1]))
    workers_cpu = [process_cpu_s(p.pid or 0) - cpu for p, cpu in zip(processes, workers_before, strict=True)]
    redis_after = await redis_cpu_s(redis)
    # One post: enqueue to last push, as the worker measured it; several: first enqueue to last push
    seconds = finished[0]["lag_s"] if posts == 1 else max(f["at"] for f in finished) - first_enqueue
    # The dispatcher reports after its own last step, which can come after the last batch has
    # reported the lag (another worker ran it): wait for its report before reading it
    events = [json.loads(e) for e in await reports(redis, EVENTS, len(created))]
    batches = await redis.hgetall(BATCHES)  # type: ignore[misc]
    followers = len(graph["follower_ids"])
    for post in created:
        reached = await delivered(redis, graph["follower_ids"], feed_member(post.id, graph["author_id"]))
        assert reached == followers, f"{reached} of {followers} feeds hold post {post.id}"
    entries = followers * posts
    redis_cpu = redis_after["main_thread"] - redis_before["main_thread"]
    sample: dict[str, Any] = {
        "posts": posts,
        "entries": entries,
        "lag_s": round(seconds, 3),
        "entries_per_s": round(entries / seconds),
    }
    if posts == 1 and events:
        # Batches can only start once the dispatcher has read its page of followers
        read_done = events[0]["dispatch_began_s"] + events[0]["follower_read_s"]
        sample["entries_per_s_after_follower_read"] = round(followers / (seconds - read_done))
    return {
        **sample,
        "dispatch": events[0] if posts == 1 and events else events,
        "batches_per_worker": {k: int(v) for k, v in sorted(batches.items())},
        "redis_main_thread_cpu_s": round(redis_cpu, 3),
        "redis_main_thread_busy": round(redis_cpu / seconds, 2),
        "workers_cpu_s": [round(c, 2) for c in workers_cpu],
        "workers_busy_cores": round(sum(workers_cpu) / seconds, 2),
        "machine_busy_cores": round(
            (sum(workers_cpu) + redis_after["process"] - redis_before["process"]) / seconds, 2
        ),
    }


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return float(statistics.median(s[key] for s in samples))

    entries = samples[0]["entries"]
    summary: dict[str, Any] = {
        "median_entries_per_s": round(median("entries_per_s")),
        "min_entries_per_s": min(s["entries_per_s"] for s in samples),
        "max_entries_per_s": max(s["entries_per_s"] for s in samples),
        "median_lag_s": round(median("lag_s"), 3),
    }
    timed = [s for s in samples if s["posts"] == 1 and "entries_per_s_after_follower_read" in s]
    if timed:  # the dispatcher's report is missing only if it never came (see `reports`)
        summary["median_entries_per_s_after_follower_read"] = round(
            statistics.median(s["entries_per_s_after_follower_read"] for s in timed)
        )
        for key in ("dispatch_ended_s", "follower_read_s"):
            summary[f"median_{key}"] = round(statistics.median(s["dispatch"][key] for s in timed), 3)
        summary["samples_with_dispatch_report"] = len(timed)
    return {
        **summary,
        "median_redis_main_thread_busy": round(median("redis_main_thread_busy"), 2),
        "median_workers_busy_cores": round(median("workers_busy_cores"), 2),
        "median_machine_busy_cores": round(median("machine_busy_cores"), 2),
        "redis_cpu_us_per_entry": round(median("redis_main_thread_cpu_s") / entries * 1e6, 2),
        "worker_cpu_us_per_entry": round(
            statistics.median(sum(s["workers_cpu_s"]) for s in samples) / entries * 1e6, 2
        ),
    }


async def fanout_with_workers(
    settings: Settings, services: Services, graph: dict[str, Any], count: int, size: dict[str, Any]
) -> dict[str, Any]:
    processes, startup = await start_workers(settings, services.stores.redis, count)
    try:
        await asyncio.sleep(2)  # let the startup work (index warm-up) finish on every core
        load = load_average()
        warmup = await one_fanout(services, graph, processes, f"{count}w warm-up")
        samples = []
        for repetition in range(size["repetitions"]):
            await asyncio.sleep(1)
            samples.append(await one_fanout(services, graph, processes, f"{count}w #{repetition}"))
        concurrent = []
        for repetition in range(size["concurrent_repetitions"]):
            await asyncio.sleep(1)
            concurrent.append(
                await one_fanout(
                    services,
                    graph,
                    processes,
                    f"{count}w x{CONCURRENT_POSTS} #{repetition}",
                    CONCURRENT_POSTS,
                )
            )
    finally:
        stop_workers(processes)
    return {
        "workers": count,
        "startup_s": round(startup, 1),
        "load_average_before": load,
        **summarize(samples),
        "concurrent_posts": {"posts": CONCURRENT_POSTS, **summarize(concurrent), "samples": concurrent},
        "warmup": warmup,
        "samples": samples,
    }


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


# Redis work per home-timeline read, over HTTP


async def home_reads(
    settings: Settings, services: Services, graph: dict[str, Any], size: dict[str, Any]
) -> dict[str, Any]:
    import httpx  # noqa: PLC0415

    redis = services.stores.redis
    readers = graph["follower_ids"][: size["readers"]]
    # Full pages, as in bench/home_timeline.py: top the readers' feeds up to 20 posts with posts
    # pushed straight into them (their fan-out jobs stay queued; no worker runs at this point)
    missing = 21 - await redis.zcard(feed_key(readers[0]))
    store = FeedStore(redis, cluster=False)
    for index in range(max(0, missing)):
        post = await services.posts.create(graph["author_id"], f"top-up {index}")
        await store.push(readers, post.id, graph["author_id"], cap=settings.feed_cap, live_key=live_key)
    await services.stores.db["users"].insert_many(
        [{"_id": r, "username": f"reader{i}", "display_name": f"Reader {i}", "bio": "", "password_hash": "-",
          "created_at": utc_now()} for i, r in enumerate(readers)]
    )  # fmt: skip
    tokens = [await services.sessions.create(reader) for reader in readers]
    async with serve_app(settings, services) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            for token in tokens:  # warm every session; the answer must be a full, error-free page
                response = await client.post(
                    "/graphql", json={"query": HOME_QUERY}, headers={"Authorization": f"Bearer {token}"}
                )
                body = response.json()
                assert "errors" not in body, body
                posts_per_page = len(body["data"]["viewer"]["homeTimeline"]["edges"])
                assert posts_per_page > 0
        stats_before = await redis.info("commandstats")
        commands_before = int((await redis.info("stats"))["total_commands_processed"])
        cpu_before = await redis_cpu_s(redis)
        api_before = resource.getrusage(resource.RUSAGE_SELF)
        run = await wrk_graphql(
            base_url, [{"query": HOME_QUERY}], tokens, connections=16, seconds=size["read_seconds"]
        )
        api_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_after = await redis_cpu_s(redis)
        commands = int((await redis.info("stats"))["total_commands_processed"]) - commands_before
        stats_after = await redis.info("commandstats")
    requests = run.get("requests", 0)
    if not requests:
        return {"wrk": run}
    calls = {
        name.removeprefix("cmdstat_"): (
            stats_after[name]["calls"] - stats_before.get(name, {"calls": 0})["calls"]
        )
        for name in stats_after
    }
    api_cpu = (api_after.ru_utime + api_after.ru_stime) - (api_before.ru_utime + api_before.ru_stime)
    redis_cpu = cpu_after["main_thread"] - cpu_before["main_thread"]
    return {
        "query": "homeTimeline(first: 20), hydrated as in bench/home_timeline.py",
        "posts_per_page": posts_per_page,
        "wrk": run,
        "redis_commands_per_read": round(commands / requests, 1),
        "redis_calls_per_read_by_command": {
            name: round(n / requests, 2) for name, n in sorted(calls.items(), key=lambda kv: -kv[1]) if n
        },
        "redis_cpu_us_per_read": round(redis_cpu / requests * 1e6, 1),
        "api_process_cpu_ms_per_read": round(api_cpu / requests * 1000, 2),
        "note": "API, wrk and Redis share the 2 cores; the API uses ~1 core, so req/s ~ 1000 / cpu_ms_per_read",
    }


async def main(mode: str, wait_idle: bool) -> None:
    size = SIZES[mode]
    started_at = datetime.now(UTC)
    # Waits at most two minutes: the load average records how busy the machine was either way
    idle = await wait_until_idle(timeout_s=120) if wait_idle else {"load_average_at_start": load_average()}
    result: dict[str, Any] = {
        "benchmark": "fanout_workers",
        "mode": mode,
        "run": {
            "started_at": started_at.isoformat(timespec="seconds"),
            "git_commit": git_revision(),
            "uncommitted_changes_in": git_dirty_files(),
        },
        "machine": {**machine(), **idle},
    }
    tmp = Path(tempfile.mkdtemp(prefix="aperture-fanout-"))
    async with private_redis(tmp / "redis") as server:
        settings = Settings(
            port=free_port(), data_dir=tmp, mongodb_url=f"litemongo://{tmp / 'mongo'}", redis_url=server.url,
            secret_key="bench-secret-key", log_level="WARNING", argon2_time_cost=1, argon2_memory_kib=8192,
            # Pushed, not pulled: with the default threshold (10k) this author would be famous
            famous_threshold=10**9,
            # Keeps the author's follower recount (a counter flush) out of the timed samples
            counter_flush_delay_s=86_400.0,
        )  # fmt: skip
        result["settings"] = {
            "followers": size["followers"],
            "repetitions": size["repetitions"],
            "warmup_repetitions": 1,
            "concurrent_posts": CONCURRENT_POSTS,
            "concurrent_repetitions": size["concurrent_repetitions"],
            "worker_counts": list(WORKER_COUNTS),
            "fanout_batch_size": settings.fanout_batch_size,
            "fanout_page_size": settings.fanout_page_size,
            "feed_cap": settings.feed_cap,
            "worker_max_jobs": settings.worker_max_jobs,
            "worker_poll_delay_s": settings.worker_poll_delay_s,
            "famous_threshold": settings.famous_threshold,
            "counter_flush_delay_s": settings.counter_flush_delay_s,
            "redis": "private redis-server on a free 127.0.0.1 port, no persistence; also the arq queue",
            "mongodb": "litemongo on SQLite in a temporary directory, shared by every process",
            "followers_state": "all active, feeds exist (short, listpack-encoded), none live",
            "workers": "spawned processes running jobs.worker.build_worker (uvloop), cron jobs off",
        }
        log("redis-benchmark baseline")
        result["redis_benchmark_zadd_pipelined"] = redis_benchmark_zadd_tcp(server.port)
        async with open_services(settings) as services:
            redis = services.stores.redis
            await redis.flushdb()
            # The wipe freed this process's id-generator node; take one again before minting
            await services.node_lease.acquire()
            log(f"loading {size['followers']} follow edges")
            graph = await load_graph(services, size["followers"])
            result["graph"] = graph["summary"]
            reads = []
            for _ in range(3):
                began = time.perf_counter()
                rows, _ = await services.follows.follower_ids_after(
                    graph["author_id"], None, settings.fanout_page_size
                )
                reads.append(time.perf_counter() - began)
            result["follower_read_in_one_process"] = {
                "rows": len(rows),
                "seconds": [round(r, 3) for r in reads],
            }
            began = time.perf_counter()
            await services.follows.exact_followers([graph["author_id"]])
            result["exact_follower_count_s"] = round(time.perf_counter() - began, 3)
            fanout: dict[str, Any] = {}
            for count in WORKER_COUNTS:
                log(f"fan-out with {count} worker(s)")
                fanout[str(count)] = await fanout_with_workers(settings, services, graph, count, size)
            result["fanout"] = fanout
            zadd = result["redis_benchmark_zadd_pipelined"].get("zadd_per_s")
            one = fanout["1"]["median_entries_per_s"]
            result["scaling"] = {
                str(c): {
                    "median_entries_per_s": fanout[str(c)]["median_entries_per_s"],
                    "speedup_over_1_worker": round(fanout[str(c)]["median_entries_per_s"] / one, 2),
                    "ratio_to_redis_benchmark_zadd": round(fanout[str(c)]["median_entries_per_s"] / zadd, 3)
                    if zadd
                    else None,
                }
                for c in WORKER_COUNTS
            }
            post_keys = [k async for k in redis.scan_iter("post:*", count=1000)]
            result["post_cache_bytes"] = (
                await redis.memory_usage(post_keys[0], samples=0) if post_keys else None
            )
            log("home-timeline reads")
            result["home_reads"] = {
                "load_average_before": load_average(),
                **await home_reads(settings, services, graph, size),
            }
            log("push stage alone")
            stage: dict[str, Any] = {"load_average_before": load_average()}
            for count in WORKER_COUNTS:
                stage[str(count)] = await push_stage(
                    server.url, redis, size["followers"], count, cluster=False
                )
            stage["1_cluster_path"] = await push_stage(server.url, redis, size["followers"], 1, cluster=True)
            result["push_stage"] = stage
            log("redis memory")
            await redis.flushdb()
            await services.node_lease.acquire()
            memory_size = redis_memory.SIZES[mode]
            result["redis_memory"] = {
                "load_average_before": load_average(),
                **await redis_memory.measure(redis, settings.feed_cap, memory_size),
            }
    result["run"]["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"]["load_average_at_end"] = load_average()
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10k followers, 2 repetitions")
    parser.add_argument("--no-wait", action="store_true", help="start even if the machine is busy")
    arguments = parser.parse_args()
    run_loop(main("quick" if arguments.quick else "full", wait_idle=not arguments.no_wait))
