"""Likes. Owns the `likes` collection and the `liked:{uid}` Redis windows.

One document per (post, user): its _id is "post:user", so a second like is a duplicate
key, with no extra unique index. `seq`, a time-ordered id, orders the likers. Feeds show recent posts,
so "has the viewer liked these?" is answered from a per-user Redis set of the posts
they liked that are newer than a horizon (a month); only older posts go to MongoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.counters.service import POST
from services.engagement.events import LikeAdded, LikeRemoved
from services.foundation.clock import utc_now
from services.foundation.counting import count_grouped
from services.foundation.errors import not_found
from services.foundation.ids import MAX_ID, id_floor_for
from services.foundation.pagination import Page
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from pymongo.asynchronous.database import AsyncDatabase

    from services.counters.service import CounterService
    from services.foundation.events import EventBus
    from services.foundation.ids import IdGenerator
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy

_DUPLICATE_KEY = 11000


@dataclass(frozen=True, slots=True)
class LikeEdge:
    id: int
    post_id: int
    user_id: int
    created_at: datetime


_WINDOW_DAYS = 30
_WINDOW_TTL_S = 24 * 3600
_HORIZON = "h"  # sentinel member whose score is the window's horizon (a post id)


def like_id(post_id: int, user_id: int) -> str:
    return f"{post_id}:{user_id}"


def liked_key(user_id: int) -> str:
    return f"liked:{{{user_id}}}"


class LikeService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        redis: aioredis.Redis,
        ids: IdGenerator,
        posts: PostService,
        counters: CounterService,
        *,
        policy: VisibilityPolicy,
        bus: EventBus,
        turns: TurnBatch | None = None,
    ) -> None:
        self._policy = policy
        self._bus = bus
        self._redis = redis
        # Batched with the other reads of this turn
        self._window_reads = turns or TurnBatch(redis)
        self._likes = db["likes"]
        self._ids = ids
        self._posts = posts
        self._counters = counters
        self._add_if_window = redis.register_script(
            "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1]) end"
        )
        self._open_window = redis.register_script(
            "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) return redis.call('EXPIRE', KEYS[1], ARGV[3])"
        )

    async def ensure_indexes(self) -> None:
        await self._likes.create_index([("post_id", ASCENDING), ("seq", DESCENDING)], name="likers")
        await self._likes.create_index([("user_id", ASCENDING), ("post_id", ASCENDING)], name="by_user")

    async def like(self, user_id: int, post_id: int) -> bool:
        """Like a post; False when the user already liked it."""
        post = await self._posts.require_interactive(post_id)
        if not await self._policy.can_interact(user_id, post.author_id):
            raise not_found("post", "postId")  # private or blocked: as if it did not exist
        document = {
            "_id": like_id(post_id, user_id),
            "seq": self._ids.next_id(),
            "post_id": post_id,
            "user_id": user_id,
            "created_at": utc_now(),
        }
        try:
            await self._likes.insert_one(document)
        except DuplicateKeyError as exc:
            if exc.code == _DUPLICATE_KEY:
                return False
            raise
        await self._counters.adjust(POST, post_id, "likes", 1)
        await self._update_window(user_id, post_id, liked=True)
        await self._bus.publish(LikeAdded(user_id, post_id, post.author_id))
        return True

    async def unlike(self, user_id: int, post_id: int) -> bool:
        """Withdraw a like; False when there was none."""
        post = await self._posts.require_interactive(post_id)
        result = await self._likes.delete_one({"_id": like_id(post_id, user_id)})
        if result.deleted_count == 0:
            return False
        await self._counters.adjust(POST, post_id, "likes", -1)
        await self._update_window(user_id, post_id, liked=False)
        await self._bus.publish(LikeRemoved(user_id, post_id, post.author_id))
        return True

    async def get(self, post_id: int, user_id: int) -> LikeEdge | None:
        row = await self._likes.find_one({"_id": like_id(post_id, user_id), "post_id": post_id})
        if row is None:
            return None
        return LikeEdge(row["seq"], row["post_id"], row["user_id"], row["created_at"].astimezone(UTC))

    async def likers(self, post_id: int, after: int | None, limit: int) -> Page[LikeEdge]:
        query: dict[str, Any] = {"post_id": post_id}
        if after is not None:
            query["seq"] = {"$lt": after}
        rows = await self._likes.find(query).sort("seq", DESCENDING).limit(limit + 1).to_list(limit + 1)
        edges = [
            LikeEdge(row["seq"], row["post_id"], row["user_id"], row["created_at"].astimezone(UTC))
            for row in rows
        ]
        return Page.from_overfetch(edges, limit)

    async def liked_which(self, user_id: int, post_ids: Sequence[int]) -> set[int]:
        """Which of `post_ids` the user has liked: one Redis call for recent posts."""
        if not post_ids:
            return set()
        unique = list(set(post_ids))
        # Batched with the other checks of this turn: a new post reaches many open screens at
        # once, each checking its viewer's likes
        members = [_HORIZON, *map(str, unique)]
        scores = await self._window_reads.command("ZMSCORE", liked_key(user_id), *members)
        horizon = scores[0]
        if horizon is None:
            horizon = await self._build_window(user_id)
            scores = await self._redis.zmscore(liked_key(user_id), members)
        liked = {pid for pid, score in zip(unique, scores[1:], strict=True) if score is not None}
        older = [pid for pid in unique if pid < horizon]
        if older:
            liked |= await self._liked_in_store(user_id, older)
        return liked

    async def known_likes(self, user_ids: Sequence[int], post_id: int) -> dict[int, bool]:
        """Whether each user likes the post, for the users whose liked window covers it: one
        batch of reads for a new post reaching many open screens. Users without a window (or
        whose window starts above the post) are left out: `liked_which` answers for them.

        A post nobody likes, which a post that just became visible nearly always is, is
        answered for every user from its like count alone, one read where the windows are a
        read per user. A like is counted before its window is written, so when the count reads
        zero no window holds a like of the post either."""
        (counts,) = await self._counters.get_many(POST, [post_id])
        if counts["likes"] == 0:
            return dict.fromkeys(user_ids, False)
        keys = [liked_key(user_id) for user_id in user_ids]
        replies = await self._window_reads.per_key("ZMSCORE", keys, _HORIZON, str(post_id))
        known: dict[int, bool] = {}
        for user_id, (horizon, score) in zip(user_ids, replies, strict=True):
            if horizon is not None and post_id >= float(horizon):
                known[user_id] = score is not None
        return known

    async def _liked_in_store(self, user_id: int, post_ids: Sequence[int]) -> set[int]:
        rows = await self._likes.find(
            {"_id": {"$in": [like_id(pid, user_id) for pid in post_ids]}, "post_id": {"$in": list(post_ids)}},
            {"post_id": 1},
        ).to_list(None)
        return {row["post_id"] for row in rows}

    async def _build_window(self, user_id: int) -> float:
        horizon = id_floor_for(utc_now() - timedelta(days=_WINDOW_DAYS))
        key = liked_key(user_id)
        # Exists (trusting nothing) before the query, so likes made meanwhile still land in it
        await self._open_window(keys=[key], args=[MAX_ID, _HORIZON, _WINDOW_TTL_S])
        rows = await self._likes.find(
            {"user_id": user_id, "post_id": {"$gte": horizon}}, {"post_id": 1}
        ).to_list(None)
        # One ZADD, so the real horizon never shows without the likes it vouches for
        window: dict[str, float] = {str(row["post_id"]): row["post_id"] for row in rows}
        await self._redis.zadd(key, {**window, _HORIZON: horizon})
        return float(horizon)

    async def _update_window(self, user_id: int, post_id: int, *, liked: bool) -> None:
        key = liked_key(user_id)
        if liked:
            await self._add_if_window(keys=[key], args=[post_id])
        else:
            await self._redis.zrem(key, str(post_id))

    async def exact_like_counts(self, post_ids: Sequence[int]) -> dict[int, int]:
        return await count_grouped(self._likes, "post_id", post_ids)
