"""Jobs survive what goes wrong around them: a failing store call, a Redis restart, Redis out
of memory; and a worker starts new work at once rather than at its next poll."""

from __future__ import annotations

import asyncio
import subprocess
import time
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from arq.connections import RedisSettings, create_pool
from redis.exceptions import ConnectionError as RedisConnectionError

from aperture.embedded.redis_server import EmbeddedRedis
from jobs.worker import build_worker
from services.foundation.job_queue import QUEUE_NAME, JobQueue
from services.timeline.events import FanoutFinished, PostPushed
from services.timeline.job_names import TimelineJob
from tests.helpers import Api, create_post, follow
from tests.processes import process_env, start_worker
from tests.timelines import feed_post_ids, raw

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aperture.settings import Settings
    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

HOME = "{ viewer { homeTimeline(first: 5) { edges { node { id } } } } }"


async def test_a_batch_that_fails_after_its_push_is_retried_until_the_fan_out_finishes(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    readers = [await api.new_user("reader") for _ in range(6)]
    for reader in readers:
        await follow(api, reader, author)
        await api.gql(HOME, token=reader.token)  # active: pushed to
    await run_jobs()
    failures = 0
    finished: list[FanoutFinished] = []

    def fail_once_after_the_push(event: PostPushed) -> None:
        nonlocal failures
        if event.author_id == raw(author.id) and event.live_reader_ids == () and failures == 0:
            failures += 1
            raise RedisConnectionError("the connection dropped after the push")

    stop_failing = services.bus.subscribe(PostPushed, fail_once_after_the_push)
    stop_listening = services.bus.subscribe(FanoutFinished, finished.append)
    try:
        post = await create_post(api, author, "delivered in the end")
        await run_jobs()  # the failed batch is deferred a couple of seconds, then retried
    finally:
        stop_failing()
        stop_listening()
    assert failures == 1
    assert await services.fanout.pending(raw(post)) == 0
    assert [event.post_id for event in finished] == [raw(post)]
    for reader in readers:
        assert raw(post) in await feed_post_ids(services, reader)


async def test_an_idle_worker_starts_a_new_job_at_once_not_at_its_next_poll(
    settings: Settings, services: Services
) -> None:
    worker = build_worker(settings, services, poll_delay_s=5.0)
    running = asyncio.create_task(worker.async_run())
    try:
        await asyncio.sleep(0.5)  # idle, blocked on the wake list
        started = time.perf_counter()
        await services.queue.enqueue(TimelineJob.UNMERGE_FOLLOW, 1, 2)
        while worker.jobs_complete + worker.jobs_failed == 0 and time.perf_counter() - started < 10:
            await asyncio.sleep(0.01)
        waited = time.perf_counter() - started
    finally:
        # A job is counted before its task has recorded the result in Redis: let the task
        # finish, or stopping the worker cancels it and close() raises (seen on a busy machine)
        pending = [task for task in worker.tasks.values() if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=5)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()
    assert worker.jobs_complete == 1
    assert waited < 1.0, f"the job waited {waited:.2f} s (the poll delay is 5 s)"


async def _queue_drains(url: str, queue: JobQueue, process: subprocess.Popen[bytes]) -> None:
    await queue.enqueue(TimelineJob.UNMERGE_FOLLOW, 1, 2)  # a no-op: nobody follows anybody
    deadline = time.monotonic() + 20
    client = aioredis.Redis.from_url(url)
    try:
        while await client.zcard(QUEUE_NAME) and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            await asyncio.sleep(0.1)
        assert await client.zcard(QUEUE_NAME) == 0, "the worker stopped taking jobs"
    finally:
        await client.aclose()


async def test_a_worker_process_survives_a_redis_restart_and_out_of_memory_replies(
    tmp_path: Path, redis_url: str
) -> None:
    own_redis = await EmbeddedRedis(tmp_path / "redis", persistent=True).start()
    env = process_env(tmp_path, redis_url, 0)
    env["REDIS_URL"] = own_redis.url
    worker = start_worker(env)
    queue = JobQueue(await create_pool(RedisSettings.from_dsn(own_redis.url), default_queue_name=QUEUE_NAME))
    try:
        await _queue_drains(own_redis.url, queue, worker)  # started and working

        await own_redis.stop()
        await asyncio.sleep(1.5)  # the worker's polls fail meanwhile
        assert worker.poll() is None, "the worker exited when Redis went away"
        await own_redis.start()
        await _queue_drains(own_redis.url, queue, worker)

        admin = aioredis.Redis.from_url(own_redis.url)
        await admin.config_set("maxmemory-policy", "noeviction")
        await admin.config_set("maxmemory", 1)  # every write now answers OOM
        await asyncio.sleep(1.0)
        assert worker.poll() is None, "the worker exited on an out-of-memory reply"
        await admin.config_set("maxmemory", 0)
        await admin.aclose()
        await _queue_drains(own_redis.url, queue, worker)
    finally:
        await queue.close()
        worker.terminate()
        worker.wait(timeout=20)
        await own_redis.stop()
