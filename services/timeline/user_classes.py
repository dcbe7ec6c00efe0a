"""User classes, derived from data the system already has.

- famous:   follower count at or above the threshold (with 10% hysteresis); never fanned out
            to, merged at read time instead. Owns the `{famous}`, `{famous}:promoting` sets
            (one hash tag: a promotion moves an id between them at once) and each reader's
            `famousfollows:{uid}` set (the famous accounts they follow).
- live:     has an open subscription (see presence).
- active:   read their home feed within the active window (see feed_store's active marker).
- passive:  not active, but their feed cache is still kept; rebuilt when they return.
- inactive: not seen for long enough that their feed cache expired; they cost nothing.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

    from services.social.follows import FollowService
    from services.timeline.feed_store import FeedStore
    from services.timeline.presence import PresenceService

FAMOUS = "{famous}"
PROMOTING = "{famous}:promoting"
_FOLLOWEES_SENTINEL = "-"
_FAMOUS_FOLLOWS_TTL_S = 24 * 3600
# KEYS = (famous, promoting); ARGV = user id
_FINISH_PROMOTION = "redis.call('SADD', KEYS[1], ARGV[1]) return redis.call('SREM', KEYS[2], ARGV[1])"
# Replace a set: KEYS = (set); ARGV = ttl, then the members
_REPLACE_SET = """
redis.call('DEL', KEYS[1])
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
return redis.call('EXPIRE', KEYS[1], ARGV[1])
"""


class UserClass(Enum):
    FAMOUS = "FAMOUS"
    LIVE = "LIVE"
    ACTIVE = "ACTIVE"
    PASSIVE = "PASSIVE"
    INACTIVE = "INACTIVE"


def famous_follows_key(user_id: int) -> str:
    return f"famousfollows:{{{user_id}}}"


class UserClassService:
    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        follows: FollowService,
        feeds: FeedStore,
        presence: PresenceService,
        threshold: int,
        max_followees: int,
        turns: TurnBatch | None = None,
    ) -> None:
        self._redis = redis
        self._turns = turns or TurnBatch(redis)
        self._follows = follows
        self._feeds = feeds
        self._presence = presence
        self.threshold = threshold
        self._max_followees = max_followees
        self._finish_promotion = redis.register_script(_FINISH_PROMOTION)
        self._replace_set = redis.register_script(_REPLACE_SET)

    async def ensure_indexes(self) -> None:
        """Redis only."""

    async def is_famous(self, author_id: int) -> bool:
        return bool(await self._redis.sismember(FAMOUS, str(author_id)))  # type: ignore[misc]

    async def wants_promotion(self, user_id: int, followers: int) -> bool | None:
        """True to promote, False to demote, None to stay. Demotion waits until the count
        falls 10% below the threshold, so an account at the edge does not flap."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sismember(FAMOUS, str(user_id))
            pipe.sismember(PROMOTING, str(user_id))
            famous, promoting = await pipe.execute()
        if followers >= self.threshold and not famous and not promoting:
            return True
        if famous and followers < self.threshold * 0.9:
            return False
        return None

    async def begin_promotion(self, author_id: int) -> None:
        await self._redis.sadd(PROMOTING, str(author_id))  # type: ignore[misc]

    async def add_to_followers(self, author_id: int, follower_ids: Sequence[int]) -> None:
        """Add the author to the followers' famous-followee sets that are being kept."""
        await self._redis_script_sadd_existing(follower_ids, author_id, add=True)

    async def remove_from_followers(self, author_id: int, follower_ids: Sequence[int]) -> None:
        await self._redis_script_sadd_existing(follower_ids, author_id, add=False)

    async def _redis_script_sadd_existing(
        self, follower_ids: Sequence[int], author_id: int, *, add: bool
    ) -> None:
        if not follower_ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids:
                pipe.exists(famous_follows_key(follower))
            exists = await pipe.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            for follower, present in zip(follower_ids, exists, strict=True):
                if present and add:
                    pipe.sadd(famous_follows_key(follower), str(author_id))
                elif present:
                    pipe.srem(famous_follows_key(follower), str(author_id))
            await pipe.execute()

    async def finish_promotion(self, author_id: int) -> None:
        await self._finish_promotion(keys=[FAMOUS, PROMOTING], args=[author_id])

    async def begin_demotion(self, author_id: int) -> None:
        # Leaving the set first means new posts are pushed again while followers are backfilled
        await self._redis.srem(FAMOUS, str(author_id))  # type: ignore[misc]

    async def famous_followees(self, user_id: int) -> list[int]:
        """The famous accounts a user follows (including themselves when famous)."""
        members = set(await self._turns.command("SMEMBERS", famous_follows_key(user_id)))
        if _FOLLOWEES_SENTINEL not in members:
            members = set(await self._build_famous_follows(user_id))
        return [int(m) for m in members if m != _FOLLOWEES_SENTINEL]

    async def _build_famous_follows(self, user_id: int) -> list[str]:
        followees = [*await self._follows.followee_ids(user_id, self._max_followees), user_id]
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.smismember(FAMOUS, [str(f) for f in followees])
            pipe.smismember(PROMOTING, [str(f) for f in followees])
            famous_flags, promoting_flags = await pipe.execute()
        famous = [str(f) for f, a, b in zip(followees, famous_flags, promoting_flags, strict=True) if a or b]
        await self._replace_set(
            keys=[famous_follows_key(user_id)], args=[_FAMOUS_FOLLOWS_TTL_S, _FOLLOWEES_SENTINEL, *famous]
        )
        return [_FOLLOWEES_SENTINEL, *famous]

    async def on_follow(self, follower_id: int, followee_id: int) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sismember(FAMOUS, str(followee_id))
            pipe.sismember(PROMOTING, str(followee_id))
            famous, promoting = await pipe.execute()
        if famous or promoting:
            await self.add_to_followers(followee_id, [follower_id])

    async def on_unfollow(self, follower_id: int, followee_id: int) -> None:
        await self._redis.srem(famous_follows_key(follower_id), str(followee_id))  # type: ignore[misc]

    async def classify(self, user_id: int) -> UserClass:
        if await self.is_famous(user_id):
            return UserClass.FAMOUS
        if await self._presence.is_live(user_id):
            return UserClass.LIVE
        state = await self._feeds.state(user_id)
        if state["active"] >= 0:
            return UserClass.ACTIVE
        return UserClass.PASSIVE if state["feed"] >= 0 else UserClass.INACTIVE

    async def famous_count(self) -> int:
        return int(await self._redis.scard(FAMOUS))  # type: ignore[misc]
