"""The rate limiter batches the charges of concurrent requests into one pipeline; each request
still gets its own verdict, in order, and a failure reaches every request of the batch."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.rate_limits import Bucket, RateLimiter

if TYPE_CHECKING:
    from services.container import Services


async def test_concurrent_charges_each_get_their_own_verdict(services: Services) -> None:
    limiter = RateLimiter(services.stores.redis, {Bucket.READ: 10, Bucket.POST: 3})
    reads = [limiter.charge("u:1", {Bucket.READ: 1}) for _ in range(25)]
    posts = [limiter.charge("u:2", {Bucket.READ: 1, Bucket.POST: 1}) for _ in range(5)]
    verdicts = await asyncio.gather(*reads, *posts)
    read_verdicts, post_verdicts = verdicts[:25], verdicts[25:]
    assert [v.allowed for v in read_verdicts] == [True] * 10 + [False] * 15
    assert [v.states[0].remaining for v in read_verdicts[:10]] == list(range(9, -1, -1))
    assert all(v.retry_after_s >= 1 for v in read_verdicts[10:])
    # Another subject's budget is untouched by the first one's, even within one pipeline
    assert [v.allowed for v in post_verdicts] == [True] * 3 + [False] * 2


async def test_a_redis_failure_reaches_every_charge_of_the_batch() -> None:
    unreachable = aioredis.Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    limiter = RateLimiter(unreachable, {Bucket.READ: 10})
    results = await asyncio.gather(
        *[limiter.charge(f"u:{n}", {Bucket.READ: 1}) for n in range(4)], return_exceptions=True
    )
    assert all(isinstance(result, RedisConnectionError) for result in results), results
    await unreachable.aclose()
    with pytest.raises(RedisConnectionError):
        await limiter.charge("u:9", {Bucket.READ: 1})
