"""Fan-out of one post to 100,000 followers with 1, 2 and 4 arq worker processes.

Everything is real and private to this run: a redis-server on a free loopback port (feeds
and the arq queue), the MongoDB stand-in on SQLite shared by every process (as `aperture
serve` keeps it), and worker processes that run `jobs.worker.build_worker`, as `aperture
worker` does. The post is created through PostService, so the fan-out job is enqueued as
in production: a dispatcher job splits the author's follower index (a Redis set of the active
followers) into id ranges and enqueues one batch job per range; each batch pushes its range in
scripts that read the ids inside Redis, on whichever worker takes it.

A sample is timed from the enqueue of the fan-out job until the last batch has pushed
(the FanoutFinished event, reported by the worker that finished it), then every follower's
feed is checked to hold the post. Each worker count also runs samples of three posts
created back to back, timed from the first enqueue to the last push. Redis's CPU time (INFO cpu) and each worker's CPU time
(/proc) are read around every sample, to show which side runs out of CPU first.

Also measured in the same run: redis-benchmark's pipelined ZADD on the same server (the
baseline: run before the fan-outs and after each worker count, the ratio taken to the
median), the follower read alone, the push stage alone from 1, 2 and 4 plain processes
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
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    wait_until_idle,
)
from bench.fanout_home_reads import home_reads
from bench.fanout_processes import BATCHES, DONE, EVENTS, push_stage, run_loop, start_workers, stop_workers
from services.foundation.clock import utc_now
from services.runtime import open_services
from services.social.follows import edge_document
from services.timeline.feed_store import SENTINEL, active_key, feed_key, feed_member

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    import redis.asyncio as aioredis

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


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# The graph and one timed fan-out


async def load_graph(services: Services, followers: int) -> dict[str, Any]:
    """One author, `followers` follow edges written straight to the store, every follower active."""
    author = await services.users.sign_up("fanoutauthor", "bench-password-1", None)
    follower_ids = [FOLLOWER_BASE + i for i in range(followers)]
    now = utc_now()
    began = time.perf_counter()
    for start in range(0, followers, 10_000):
        await services.stores.db["follows"].insert_many(
            [
                edge_document(f, author.id, services.ids.next_id(), now)
                for f in follower_ids[start : start + 10_000]
            ],
            ordered=False,
        )
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


def baseline_median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of redis-benchmark's runs, with each run's figure beside it."""
    rates = [run["zadd_per_s"] for run in runs if "zadd_per_s" in run]
    if not rates:
        return runs[0]
    return {
        **{k: v for k, v in runs[0].items() if k != "zadd_per_s"},
        "zadd_per_s": statistics.median(rates),
        "runs_zadd_per_s": rates,
        "runs": "before the fan-outs and after each worker count",
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
        # One short redis-benchmark run swings by a third on this shared machine (0.96M to
        # 1.39M/s in one evening): it runs again after each worker count, and the ratio uses
        # the median of all the runs
        baselines = [redis_benchmark_zadd_tcp(server.port)]
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
                baselines.append(redis_benchmark_zadd_tcp(server.port))
            result["fanout"] = fanout
            result["redis_benchmark_zadd_pipelined"] = baseline_median(baselines)
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
