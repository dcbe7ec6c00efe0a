"""Redis calls that work the same on one node and on a Redis Cluster.

redis-py 5's asyncio RedisCluster speaks the single-node command API with a few gaps, and the
services go through these helpers where they would meet one:

- it has no MULTI/EXEC: steps that must be atomic are Lua scripts, whose keys share a hash tag;
- it refuses EVALSHA and PUBLISH in a pipeline: `ScriptBatch` queues scripts as raw EVALSHA
  commands, and `publish` sends PUBLISH as a raw command (routed by channel);
- MGET must stay on one slot: `mget` splits the keys per slot on a cluster;
- it has no pub/sub: `open_pubsub` subscribes on one node, since a cluster forwards every
  PUBLISH to all of its nodes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, RedisError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from redis.asyncio.client import PubSub
    from redis.commands.core import AsyncScript


def is_cluster(redis: aioredis.Redis) -> bool:
    return isinstance(redis, RedisCluster)


async def mget(redis: aioredis.Redis, keys: Sequence[str]) -> list[Any]:
    """Values in key order; on a cluster, one MGET per slot, sent to the nodes in parallel."""
    if isinstance(redis, RedisCluster):
        values: list[Any] = await redis.mget_nonatomic(keys)
    else:
        values = await redis.mget(keys)
    return values


def publish(client: Any, channel: str, message: bytes | str) -> Any:
    """PUBLISH on a client (awaitable) or queued on a pipeline, on one node or a cluster."""
    return client.execute_command("PUBLISH", channel, message)


async def open_pubsub(redis: aioredis.Redis) -> PubSub:
    """A pub/sub connection; on a cluster, to one node chosen at random (any node hears every
    channel, and spreading the API processes spreads the subscriber load)."""
    if not isinstance(redis, RedisCluster):
        return redis.pubsub(ignore_subscribe_messages=True)
    if not redis.get_nodes():
        await redis.initialize()
    node = random.choice(redis.get_nodes())  # noqa: S311 - load spreading, not security
    pool = aioredis.ConnectionPool(connection_class=node.connection_class, **node.connection_kwargs)
    return aioredis.Redis(connection_pool=pool).pubsub(ignore_subscribe_messages=True)


class ScriptBatch:
    """A non-transactional pipeline that also carries Lua script calls.

    Plain commands are queued on `pipe`, scripts with `script()`; `execute()` returns the
    results in queueing order and raises the first error. On a cluster each script's keys
    must share one slot; the batch is sent as one pipeline per node.
    """

    def __init__(self, redis: aioredis.Redis) -> None:
        self.pipe = redis.pipeline(transaction=False)
        self._cluster = is_cluster(redis)
        self._scripts: dict[int, tuple[AsyncScript, Sequence[Any], Sequence[Any]]] = {}

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> None:
        if self._cluster:
            self._scripts[len(self.pipe)] = (script, keys, args)
            self.pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        else:
            await script(keys=keys, args=args, client=self.pipe)

    async def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        """The results in queueing order; with raise_on_error False, a failed call's error is
        its result instead of being raised."""
        if not self._cluster:
            return await self.pipe.execute(raise_on_error=raise_on_error)
        results: list[Any] = await self.pipe.execute(raise_on_error=False)
        for position, (script, keys, args) in self._scripts.items():
            if isinstance(results[position], NoScriptError):
                # A node that has not seen the script yet (new, or promoted in a failover):
                # the script object loads it on every primary and runs this call again alone
                try:
                    results[position] = await script(keys=keys, args=args)
                except RedisError as exc:
                    results[position] = exc
        for result in results:
            if raise_on_error and isinstance(result, Exception):
                raise result
        return results
