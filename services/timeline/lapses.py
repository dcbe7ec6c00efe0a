"""When a reader stops being active, they leave the follower indexes, so fan-out need not ask.

A reader is active while `active:{uid}` lives (feed_store.py: set when their feed is rebuilt,
refreshed on reads, for the active window). Fan-out pushes to every follower in an author's
index whose feed exists (feed_scripts.PUSH_RANGE) and no longer looks up each follower's active
marker: that lookup of a key nobody touched lately was about a sixth of Redis's time per feed
entry (bench/range_push.py). Instead the index is kept to the active followers here:

- every time a marker is set, FeedStore also records when it will lapse, in `lapses:{n}`
  (sorted sets of user ids scored by that time, split LAPSE_SHARDS ways by user id so that no
  key grows with the user base and a cluster spreads them);
- a cron job (`sweep`, every minute) takes each reader whose marker has gone out of the indexes
  of the accounts they follow; their return (a rebuild) puts them back.

So a reader who lapsed may receive pushes for up to a minute more, which costs a write into a
feed that is kept anyway and changes nothing a read returns. A sweep that races with the
reader's return puts them back itself: it checks the marker again after the removal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from services.timeline.feed_store import ACTIVE_ABSENT, active_ttls, lapse_key, lapse_keys

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

    from services.social.follows import FollowService
    from services.timeline.follower_index import FollowerIndex

# Records read per set in one sweep step (each lapsed reader costs a MongoDB read of their
# followees), and the steps one sweep may take: a backlog is finished by the next minutes' sweeps
PER_SHARD = 8
MAX_STEPS = 64
# Forget a record only if it still says what the sweep read (a refresh may have moved it on).
# KEYS = (record set); ARGV = pairs of user id, score read.
_FORGET = """
local forgotten = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= tonumber(ARGV[i + 1]) then
    forgotten = forgotten + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return forgotten
"""


class LapseSweeper:
    def __init__(
        self, redis: aioredis.Redis, follows: FollowService, index: FollowerIndex, max_followees: int
    ) -> None:
        self._redis = redis
        self._follows = follows
        self._index = index
        self._max_followees = max_followees
        self._forget = redis.register_script(_FORGET)

    async def sweep(self, now: float | None = None) -> int:
        """Take every reader whose activity has lapsed by `now` out of the follower indexes.
        Returns how many left them."""
        now = time.time() if now is None else now
        left = 0
        for _ in range(MAX_STEPS):
            due, more = await self._due(now)
            if due:
                left += await self._sweep_step(due)
            if not more:
                break
        return left

    async def _due(self, now: float) -> tuple[list[tuple[int, float]], bool]:
        """Records lapsed by `now`, a few from each set, and whether any set may hold more."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in lapse_keys():
                pipe.zrangebyscore(key, "-inf", now, start=0, num=PER_SHARD, withscores=True)
            rows = await pipe.execute()
        due = [(int(member), float(score)) for shard in rows for member, score in shard]
        return due, any(len(shard) == PER_SHARD for shard in rows)

    async def _sweep_step(self, due: Sequence[tuple[int, float]]) -> int:
        # A marker still there was set again without its record (a record lost, or written
        # before a crash): record it anew rather than forget it
        users = [user for user, _ in due]
        ttls = dict(zip(users, await active_ttls(self._redis, users), strict=True))
        renewed = {user: time.time() + max(ttl, 60) for user, ttl in ttls.items() if ttl != ACTIVE_ABSENT}
        lapsed = [user for user, ttl in ttls.items() if ttl == ACTIVE_ABSENT]
        followees = {user: await self._follows.followee_ids(user, self._max_followees) for user in lapsed}
        for user in lapsed:
            await self._index.remove_from_authors(user, followees[user])
        # Returned meanwhile (rebuild sets the marker, then adds them back): add them back too,
        # in case our removal came after the rebuild's additions
        again = await active_ttls(self._redis, lapsed)
        returned = [user for user, ttl in zip(lapsed, again, strict=True) if ttl != ACTIVE_ABSENT]
        for user in returned:
            await self._index.add_to_authors(user, followees[user])
        async with self._redis.pipeline(transaction=False) as pipe:
            for user, until in renewed.items():
                pipe.zadd(lapse_key(user), {str(user): until})
            await pipe.execute()
        by_key: dict[str, list[str | float]] = {}
        for user, score in due:
            if user not in renewed:
                by_key.setdefault(lapse_key(user), []).extend([str(user), score])
        for key, args in by_key.items():
            await self._forget(keys=[key], args=args)
        return len(lapsed) - len(returned)
