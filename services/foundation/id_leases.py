"""Leases of id-generator node ids, so that no two live processes mint ids on the same node.

Owns the `aperture:id-node:<n>` keys (n < NODE_COUNT). A process takes the first free node id
with SET NX and a TTL, renews it while it runs, and deletes it on close. Its generator refuses
to mint once the lease may have lapsed (a process paused past the TTL may have lost its node to
another), so a lapse surfaces as an error, never as a duplicate id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import TYPE_CHECKING

from services.foundation.ids import NODE_COUNT

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from services.foundation.ids import IdGenerator

log = logging.getLogger(__name__)

LEASE_TTL_S = 60.0
# Renewals are this far apart, so two can fail (a Redis failover) before the lease lapses
RENEW_EVERY_S = LEASE_TTL_S / 4
# Minting stops this long before the TTL, to allow for clock drift between Redis and us
_SAFETY_S = 5.0

# KEYS = (lease); ARGV = token, ttl ms. Renews or deletes the lease only while it is ours.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


class NoFreeNodeIdError(RuntimeError):
    """Every node id is leased: more than NODE_COUNT processes mint ids at once."""


def node_lease_key(node: int) -> str:
    return f"aperture:id-node:{node}"


class NodeLease:
    """Holds one node id for `generator`, renewing it in the background until `close()`."""

    def __init__(self, redis: aioredis.Redis, generator: IdGenerator, *, ttl_s: float = LEASE_TTL_S) -> None:
        self._redis = redis
        self._generator = generator
        self._ttl_s = ttl_s
        self._token = secrets.token_hex(16)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._task: asyncio.Task[None] | None = None

    @property
    def node(self) -> int:
        return self._generator.node

    async def acquire(self) -> int:
        ttl_ms = int(self._ttl_s * 1000)
        for node in range(NODE_COUNT):
            asked_at = time.monotonic()
            if await self._redis.set(node_lease_key(node), self._token, nx=True, px=ttl_ms):
                self._generator.assign(node, valid_until=asked_at + self._ttl_s - _SAFETY_S)
                return node
        raise NoFreeNodeIdError(f"all {NODE_COUNT} id-generator node ids are leased by live processes")

    async def renew(self) -> bool:
        """Extends the lease; False (and minting stops) if another process holds the node now."""
        asked_at = time.monotonic()
        key = node_lease_key(self._generator.node)
        if await self._renew(keys=[key], args=[self._token, int(self._ttl_s * 1000)]):
            self._generator.assign(self._generator.node, valid_until=asked_at + self._ttl_s - _SAFETY_S)
            return True
        self._generator.assign(self._generator.node, valid_until=0.0)
        return False

    def start(self, every_s: float = RENEW_EVERY_S) -> None:
        self._task = asyncio.create_task(self._keep(every_s), name="id-node-lease")

    async def _keep(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                if not await self.renew():
                    lost = self._generator.node
                    await self.acquire()
                    log.warning("id node lease %d was lost; now minting on node %d", lost, self.node)
            except Exception:
                log.warning("could not renew the id node lease", exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._release(keys=[node_lease_key(self._generator.node)], args=[self._token])
