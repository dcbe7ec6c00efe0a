"""Id-generator node ids are leased in Redis: live processes never share one, a lapsed lease
stops minting instead of risking duplicates, and a lost lease is replaced."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
import redis.asyncio as aioredis

from services.foundation.id_leases import NodeLease, NoFreeNodeIdError, node_lease_key
from services.foundation.ids import NODE_COUNT, IdGenerator, IdLeaseExpiredError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LEASE_DB = 6  # apart from the app's own leases in db 0


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, db=LEASE_DB, decode_responses=True)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def unleased() -> IdGenerator:
    return IdGenerator(node=0, valid_until=0.0)


async def test_live_processes_get_distinct_nodes_and_a_closed_one_frees_its_node(
    redis: aioredis.Redis,
) -> None:
    leases = [NodeLease(redis, unleased()) for _ in range(3)]
    nodes = [await lease.acquire() for lease in leases]
    assert sorted(nodes) == [0, 1, 2]
    ids = {lease._generator.next_id() for lease in leases for _ in range(100)}
    assert len(ids) == 300
    await leases[1].close()
    assert await redis.exists(node_lease_key(nodes[1])) == 0
    newcomer = NodeLease(redis, unleased())
    assert await newcomer.acquire() == nodes[1]
    assert await redis.exists(node_lease_key(nodes[0])) == 1, "closing one lease leaves the others"


async def test_a_generator_without_a_lease_mints_nothing(redis: aioredis.Redis) -> None:
    with pytest.raises(IdLeaseExpiredError):
        unleased().next_id()


async def test_minting_stops_before_the_lease_can_lapse_and_resumes_on_renewal(
    redis: aioredis.Redis,
) -> None:
    generator = unleased()
    lease = NodeLease(redis, generator, ttl_s=6.5)  # minting allowed for 1.5 s of it
    await lease.acquire()
    generator.next_id()
    await asyncio.sleep(1.6)
    with pytest.raises(IdLeaseExpiredError):
        generator.next_id()
    assert await lease.renew()
    generator.next_id()


async def test_a_lost_lease_stops_minting_and_the_keeper_takes_another_node(redis: aioredis.Redis) -> None:
    generator = unleased()
    lease = NodeLease(redis, generator)
    assert await lease.acquire() == 0
    # The lease expired while the process was paused, and another process took node 0
    await redis.set(node_lease_key(0), "another process")
    assert not await lease.renew()
    with pytest.raises(IdLeaseExpiredError):
        generator.next_id()
    lease.start(every_s=0.05)
    deadline = time.monotonic() + 5
    while lease.node == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert lease.node == 1
    generator.next_id()
    await lease.close()
    assert await redis.get(node_lease_key(0)) == "another process", "close never frees a node it lost"
    assert await redis.exists(node_lease_key(1)) == 0


async def test_more_processes_than_node_ids_are_refused(redis: aioredis.Redis) -> None:
    for _ in range(NODE_COUNT):
        await NodeLease(redis, unleased()).acquire()
    with pytest.raises(NoFreeNodeIdError):
        await NodeLease(redis, unleased()).acquire()
