"""Who is live: users with an open subscription. Owns the `live:{uid}` keys and, on a single
Redis node, the `liveusers` sorted set.

Each open socket keeps its user's key alive with a short expiry, refreshed while the
socket stays open, so a crashed API process cannot leave users marked live for long.
On a single node each live user is also listed in `liveusers`, scored by the second their
mark expires: the fan-out's range push (feed_scripts.PUSH_RANGE) asks it about a whole chunk
of followers in one call, where a key per follower would cost a lookup of a cold key each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

LIVE_TTL_S = 60
# The set of live users, scored by when each one's mark expires (single node only)
LIVE_USERS_KEY = "liveusers"
# One open connection: KEYS = (live[, live users]); ARGV = connection id, ttl, user id. The
# set's score follows the key's expiry, and members past theirs are swept here.
_MARK_LIVE = """
redis.call('HSET', KEYS[1], ARGV[1], '1')
redis.call('EXPIRE', KEYS[1], ARGV[2])
if KEYS[2] then
  local now = tonumber(redis.call('TIME')[1])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end
return 1
"""
# One connection closed: KEYS = (live[, live users]); ARGV = connection id, user id. The user
# leaves the set with their last connection.
_CLEAR = """
redis.call('HDEL', KEYS[1], ARGV[1])
if KEYS[2] and redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[2]) end
return 1
"""


LIVE_PREFIX = "live:"


def live_key(user_id: int) -> str:
    return f"{LIVE_PREFIX}{{{user_id}}}"


class PresenceService:
    def __init__(self, redis: aioredis.Redis, *, cluster: bool) -> None:
        self._redis = redis
        self._mark_live = redis.register_script(_MARK_LIVE)
        self._clear = redis.register_script(_CLEAR)
        # On a Redis Cluster the set would share no slot with the users' keys, and the range
        # push that reads it runs only on a single node
        self._listed: list[str] = [] if cluster else [LIVE_USERS_KEY]

    async def ensure_indexes(self) -> None:
        """Redis only."""

    async def mark_live(self, user_id: int, connection_id: str, ttl_s: int = LIVE_TTL_S) -> None:
        """Record one open connection; the key is a hash of connection ids, so several
        sockets of one user keep the user live until the last one closes."""
        await self._mark_live(keys=[live_key(user_id), *self._listed], args=[connection_id, ttl_s, user_id])

    async def clear(self, user_id: int, connection_id: str) -> None:
        await self._clear(keys=[live_key(user_id), *self._listed], args=[connection_id, user_id])

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
