"""Who is live: users with an open subscription. Owns the `live:{uid}` keys.

Each open socket keeps its user's key alive with a short expiry, refreshed while the
socket stays open, so a crashed API process cannot leave users marked live for long.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

LIVE_TTL_S = 60
# One open connection: KEYS = (live); ARGV = connection id, ttl
_MARK_LIVE = "redis.call('HSET', KEYS[1], ARGV[1], '1') return redis.call('EXPIRE', KEYS[1], ARGV[2])"


LIVE_PREFIX = "live:"


def live_key(user_id: int) -> str:
    return f"{LIVE_PREFIX}{{{user_id}}}"


class PresenceService:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._mark_live = redis.register_script(_MARK_LIVE)

    async def ensure_indexes(self) -> None:
        """Redis only."""

    async def mark_live(self, user_id: int, connection_id: str, ttl_s: int = LIVE_TTL_S) -> None:
        """Record one open connection; the key is a hash of connection ids, so several
        sockets of one user keep the user live until the last one closes."""
        await self._mark_live(keys=[live_key(user_id)], args=[connection_id, ttl_s])

    async def clear(self, user_id: int, connection_id: str) -> None:
        await self._redis.hdel(live_key(user_id), connection_id)  # type: ignore[misc]

    async def is_live(self, user_id: int) -> bool:
        return bool(await self._redis.exists(live_key(user_id)))

    async def live_among(self, user_ids: Sequence[int]) -> list[int]:
        if not user_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.exists(live_key(user_id))
            flags = await pipe.execute()
        return [user_id for user_id, flag in zip(user_ids, flags, strict=True) if flag]
