"""Redis structures of the home timeline, and the scripts that keep them consistent.

Keys (each user's keys share the hash tag `{uid}`, so a script can touch them together):

- `feed:{uid}`       sorted set of "postId:authorId", scored by post id, capped.
- `feedfloor:{uid}`  every post with an id above this value is in the feed; below it the
                     feed may be incomplete (trimmed, or built with bounded work), and
                     reads fall back to the stores.
- `active:{uid}`     present while the user is active (read their feed within the active
                     window): only active users are pushed to.
- `lapses:{n}`       when each active user's marker lapses, by user id modulo LAPSE_SHARDS
                     (written with the marker, read by the lapse sweep, lapses.py).
- `recent:{aid}`     sorted set of an author's newest visible post ids, capped, with
  `recentfloor:{aid}` the same floor rule. Famous authors are merged from it at read time.

Both kinds of set hold a sentinel member at score 0, so that "the set exists" and "the set
is empty" can be told apart, and incremental adds never recreate an expired set (which would
then wrongly claim to be complete). A set being (re)built has its floor at MAX_ID, so readers
fall back to the stores until the build sets the real floor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import redis.asyncio as aioredis

from services.foundation.cluster_safe import ScriptBatch
from services.foundation.ids import MAX_ID
from services.foundation.turn_batch import TurnBatch
from services.timeline import feed_scripts

SENTINEL = "0:0"
RECENT_SENTINEL = "0"
BUILDING_FLOOR = MAX_ID

# Prefixes of the per-user keys, which the range push script also builds (feed_scripts.py)
FEED_PREFIX = "feed:"
FEED_FLOOR_PREFIX = "feedfloor:"
ACTIVE_PREFIX = "active:"
ACTIVE_ABSENT = -2  # what TTL answers for a marker that does not exist
# Sets of lapse times: enough that none grows with the user base, and a cluster spreads them
LAPSE_SHARDS = 256


def feed_key(user_id: int) -> str:
    return f"{FEED_PREFIX}{{{user_id}}}"


def feed_floor_key(user_id: int) -> str:
    return f"{FEED_FLOOR_PREFIX}{{{user_id}}}"


def active_key(user_id: int) -> str:
    return f"{ACTIVE_PREFIX}{{{user_id}}}"


def lapse_key(user_id: int) -> str:
    return f"lapses:{{{user_id % LAPSE_SHARDS}}}"


def lapse_keys() -> list[str]:
    return [f"lapses:{{{shard}}}" for shard in range(LAPSE_SHARDS)]


async def active_ttls(redis: aioredis.Redis, user_ids: Sequence[int]) -> list[int]:
    """Seconds left on each user's active marker, as TTL answers (ACTIVE_ABSENT when it is gone),
    in one round trip."""
    if not user_ids:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for user_id in user_ids:
            pipe.ttl(active_key(user_id))
        return [int(ttl) for ttl in await pipe.execute()]


def recent_key(author_id: int) -> str:
    return f"recent:{{{author_id}}}"


def recent_floor_key(author_id: int) -> str:
    return f"recentfloor:{{{author_id}}}"


def feed_member(post_id: int, author_id: int) -> str:
    return f"{post_id}:{author_id}"


def trim_turn(post_id: int) -> int:
    """Which eighth of the followers a range push checks against the cap: the post id, mixed
    (its low bits are a per-millisecond sequence, mostly 0), taken modulo 8."""
    return (post_id * 0x9E3779B1 >> 20) % 8


def checks_cap(follower_id: int, post_id: int) -> bool:
    """Whether the range push of this post trims this follower's feed to the cap (as
    feed_scripts.PUSH_RANGE decides it, from the id's last digit)."""
    return (ord(str(follower_id)[-1]) + trim_turn(post_id)) % 8 == 0


@dataclass(frozen=True, slots=True)
class RangePush:
    """What one range push did: followers read from the index (and the last of them), how
    many left it for having no feed, and the live ones among those who got the post."""

    read: int
    last_id: int
    removed: int
    live: list[int]


@dataclass(frozen=True, slots=True)
class Window:
    """Ids (newest first) read from one cached source, and how far down the source is complete."""

    ids: list[int]
    floor: int
    exists: bool
    # The author of each id, where the source holds it (a feed member carries its author)
    authors: list[int] = field(default_factory=list)

    def trusted(self) -> list[int]:
        """The ids the cache vouches for: every post above the floor is present."""
        return [post_id for post_id in self.ids if post_id > self.floor]

    def needs_store(self, wanted: int) -> bool:
        """True when the cache cannot vouch for `wanted` ids, and older ones may exist in the store."""
        return self.floor > 0 and len(self.trusted()) < wanted


class FeedStore:
    def __init__(self, redis: aioredis.Redis, *, cluster: bool, turns: TurnBatch | None = None) -> None:
        self._redis = redis
        self._turns = turns or TurnBatch(redis)
        self._cluster = cluster
        self._push = redis.register_script(feed_scripts.PUSH)
        self._add_capped = redis.register_script(feed_scripts.ADD_CAPPED)
        self._remove_author = redis.register_script(feed_scripts.REMOVE_AUTHOR)
        self._begin = redis.register_script(feed_scripts.BEGIN)
        self._finish = redis.register_script(feed_scripts.FINISH)
        self._merge = redis.register_script(feed_scripts.MERGE)
        self._raise_floor = redis.register_script(feed_scripts.RAISE_FLOOR)
        self._push_range = redis.register_script(feed_scripts.PUSH_RANGE)

    @property
    def single_node(self) -> bool:
        """Whether scripts may touch keys of many users at once (not on a Redis Cluster)."""
        return not self._cluster

    async def push(
        self,
        follower_ids: Sequence[int],
        post_id: int,
        author_id: int,
        *,
        cap: int,
        live_key: Callable[[int], str],
        chunk: int = 200,
    ) -> tuple[list[int], list[int]]:
        """Push a post into the followers' feeds. Returns the followers whose feed received
        it, and those of them who are live (checked in the same script, on the same slot)."""
        member = feed_member(post_id, author_id)
        # On a cluster every script must stay on one slot, so each follower gets its own call;
        # on one node a script takes a chunk of followers per call.
        size = 1 if self._cluster else chunk
        groups = [list(follower_ids[i : i + size]) for i in range(0, len(follower_ids), size)]
        batch = ScriptBatch(self._redis)
        for group in groups:
            keys: list[str] = []
            for follower in group:
                keys += [
                    feed_key(follower),
                    feed_floor_key(follower),
                    active_key(follower),
                    live_key(follower),
                ]
            await batch.script(self._push, keys, [cap, post_id, member])
        results = await batch.execute()
        pushed: list[int] = []
        live: list[int] = []
        for group, flags in zip(groups, results, strict=True):
            for follower, flag in zip(group, flags, strict=True):
                if flag:
                    pushed.append(follower)
                    if flag == 2:  # noqa: PLR2004 - the script's "live" flag
                        live.append(follower)
        return pushed, live

    async def push_range(
        self,
        index_key: str,
        low: int,
        high: int | None,
        *,
        count: int,
        post_id: int,
        author_id: int,
        cap: int,
        live_users_key: str,
    ) -> RangePush:
        """Push a post into the feeds of up to `count` followers in [low, high] of an author's
        follower index, in one script on the Redis node (single node only): each follower
        whose feed exists gets it (the index holds the active ones, lapses.py), the others
        leave the index. Live followers are those listed in `live_users_key` with a time to come."""
        raw = await self._push_range(
            keys=[index_key, live_users_key],
            args=[
                low,
                "+inf" if high is None else high,
                count,
                cap,
                post_id,
                feed_member(post_id, author_id),
                FEED_PREFIX,
                FEED_FLOOR_PREFIX,
                trim_turn(post_id),
            ],
        )
        return RangePush(
            read=int(raw[0]), last_id=int(raw[1]), removed=int(raw[2]), live=[int(i) for i in raw[3:]]
        )

    async def unpush(self, follower_ids: Sequence[int], post_id: int, author_id: int) -> None:
        member = feed_member(post_id, author_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            for follower in follower_ids:
                pipe.zrem(feed_key(follower), member)
            await pipe.execute()

    async def remove_author(self, user_id: int, author_id: int) -> int:
        removed: int = await self._remove_author(keys=[feed_key(user_id)], args=[author_id])
        return removed

    async def read_feed(self, user_id: int, before: int | None, count: int) -> tuple[Window, int]:
        """The newest `count` entries below `before`, and the seconds left on the active marker
        (negative when the user is not active)."""
        upper = f"({before}" if before is not None else "+inf"
        members, floor, exists, active_ttl = await self._turns.commands(
            [
                ("ZREVRANGEBYSCORE", feed_key(user_id), upper, "(0", "LIMIT", 0, count),
                ("GET", feed_floor_key(user_id)),
                ("EXISTS", feed_key(user_id)),
                ("TTL", active_key(user_id)),
            ]
        )
        entries = [member.split(":", 1) for member in members]
        window = Window(
            ids=[int(post) for post, _ in entries],
            floor=int(floor or 0),
            exists=bool(exists),
            authors=[int(author) for _, author in entries],
        )
        return window, int(active_ttl)

    async def read_newer(self, user_id: int, author_ids: Sequence[int], after: int, count: int) -> list[int]:
        """Ids above `after`, oldest first, from the feed and the given authors' recent sets."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(feed_key(user_id), f"({after}", "+inf", start=0, num=count)
            for author_id in author_ids:
                pipe.zrangebyscore(recent_key(author_id), f"({after}", "+inf", start=0, num=count)
            rows = await pipe.execute()
        ids = {int(member.split(":", 1)[0]) for member in rows[0]}
        for members in rows[1:]:
            ids |= {int(member) for member in members}
        return sorted(ids)[:count]

    async def read_recent(
        self, author_ids: Sequence[int], before: int | None, count: int
    ) -> dict[int, Window]:
        if not author_ids:
            return {}
        upper = f"({before}" if before is not None else "+inf"
        commands: list[tuple[Any, ...]] = []
        for author_id in author_ids:
            commands += [
                ("ZREVRANGEBYSCORE", recent_key(author_id), upper, "(0", "LIMIT", 0, count),
                ("GET", recent_floor_key(author_id)),
                ("EXISTS", recent_key(author_id)),
            ]
        rows = await self._turns.commands(commands)
        windows: dict[int, Window] = {}
        for index, author_id in enumerate(author_ids):
            members, floor, exists = rows[3 * index : 3 * index + 3]
            windows[author_id] = Window(
                ids=[int(m) for m in members], floor=int(floor or 0), exists=bool(exists)
            )
        return windows

    async def add_recent(self, author_id: int, post_id: int, cap: int) -> bool:
        """Add a newly visible post to its author's recent set, if that set is being kept."""
        added: int = await self._add_capped(
            keys=[recent_key(author_id), recent_floor_key(author_id)], args=[cap, post_id, post_id]
        )
        return added >= 0

    async def begin_recent(self, author_id: int, ttl_s: int) -> None:
        await self._begin(
            keys=[recent_key(author_id), recent_floor_key(author_id)],
            args=[RECENT_SENTINEL, ttl_s, BUILDING_FLOOR],
        )

    async def finish_recent(self, author_id: int, post_ids: Sequence[int], cap: int, floor: int) -> None:
        args: list[Any] = [floor, cap]
        for post_id in post_ids:
            args += [post_id, post_id]
        await self._finish(keys=[recent_key(author_id), recent_floor_key(author_id)], args=args)

    async def remove_recent(self, author_id: int, post_id: int) -> None:
        await self._redis.zrem(recent_key(author_id), post_id)

    async def begin_feed(self, user_id: int, feed_ttl_s: int, active_ttl_s: int) -> int:
        """Make the feed exist and its owner active, so pushes land while it is being filled.

        Returns the floor the feed had (0 if it is new), for the rebuild to keep.
        """
        batch = ScriptBatch(self._redis)
        await batch.script(
            self._begin,
            [feed_key(user_id), feed_floor_key(user_id), active_key(user_id)],
            [SENTINEL, feed_ttl_s, BUILDING_FLOOR, active_ttl_s],
        )
        batch.pipe.zadd(lapse_key(user_id), {str(user_id): time.time() + active_ttl_s})
        previous_floor, _ = await batch.execute()
        return int(previous_floor)

    async def finish_feed(
        self, user_id: int, entries: Sequence[tuple[int, int]], cap: int, floor: int
    ) -> None:
        """Merge (post id, author id) entries into a feed being built, and set its floor.

        The floor is set first, so that trimming past the cap can only raise it.
        """
        args: list[Any] = [floor, cap]
        for post_id, author_id in entries:
            args += [post_id, feed_member(post_id, author_id)]
        await self._finish(keys=[feed_key(user_id), feed_floor_key(user_id)], args=args)

    async def merge_into_feed(
        self, user_id: int, entries: Sequence[tuple[int, int]], cap: int, *, floor: int = 0
    ) -> bool:
        """Add entries to a live feed (follow backfill), raising its floor to `floor` when the
        entries are only the newest part of what belongs above it. False when the feed is not kept."""
        if not entries:
            return True
        args: list[Any] = [floor, cap]
        for post_id, author_id in entries:
            args += [post_id, feed_member(post_id, author_id)]
        added: int = await self._merge(keys=[feed_key(user_id), feed_floor_key(user_id)], args=args)
        return added >= 0

    async def raise_floors(self, user_ids: Sequence[int], floor: int) -> None:
        """Raise the floor of each of these users' feeds that exist to at least `floor`."""
        batch = ScriptBatch(self._redis)
        for user_id in user_ids:
            await batch.script(self._raise_floor, [feed_key(user_id), feed_floor_key(user_id)], [floor])
        await batch.execute()

    async def refresh(self, user_id: int, feed_ttl_s: int, active_ttl_s: int) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.expire(feed_key(user_id), feed_ttl_s)
            pipe.expire(feed_floor_key(user_id), feed_ttl_s)
            pipe.set(active_key(user_id), 1, ex=active_ttl_s)
            pipe.zadd(lapse_key(user_id), {str(user_id): time.time() + active_ttl_s})
            await pipe.execute()

    async def state(self, user_id: int) -> dict[str, int]:
        """Remaining TTLs (-2 when absent) of the feed and the active marker."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.ttl(feed_key(user_id))
            pipe.ttl(active_key(user_id))
            feed_ttl, active_ttl = await pipe.execute()
        return {"feed": int(feed_ttl), "active": int(active_ttl)}

    async def feed_members(self, user_id: int) -> list[str]:
        members: list[str] = await self._redis.zrevrange(feed_key(user_id), 0, -1)
        return [m for m in members if m != SENTINEL]
