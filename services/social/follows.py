"""The social graph. Owns the `follows` collection.

Each edge is one document whose _id is "follower:followee", so follow and unfollow are
idempotent and concurrent requests cannot create a second edge, with no extra unique
index (on a sharded cluster both copies would land on the followee's shard anyway).
`seq` is a time-ordered id that orders the edges for paging.
The followee index pages followers for fan-out; with followee as the shard key
(docs/scaling.md) each fan-out batch reads one shard.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.counters.service import USER
from services.foundation.clock import utc_now
from services.foundation.counting import count_grouped
from services.foundation.errors import DomainError, ErrorCode, not_found
from services.foundation.pagination import Page
from services.social.events import FollowAdded, FollowRemoved

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymongo.asynchronous.database import AsyncDatabase

    from services.accounts.users import UserService
    from services.counters.service import CounterService
    from services.foundation.events import EventBus
    from services.foundation.ids import IdGenerator

_DUPLICATE_KEY = 11000


def edge_id(follower_id: int, followee_id: int) -> str:
    return f"{follower_id}:{followee_id}"


def edge_document(follower_id: int, followee_id: int, seq: int, created_at: datetime) -> dict[str, Any]:
    """A follow edge as the `follows` collection stores it: `follow` writes one, and the
    benchmarks load many straight into the store."""
    return {
        "_id": edge_id(follower_id, followee_id),
        "seq": seq,
        "follower_id": follower_id,
        "followee_id": followee_id,
        "created_at": created_at,
    }


@dataclass(frozen=True, slots=True)
class FollowEdge:
    id: int
    follower_id: int
    followee_id: int
    created_at: datetime

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> FollowEdge:
        return cls(
            id=document["seq"],
            follower_id=document["follower_id"],
            followee_id=document["followee_id"],
            created_at=document["created_at"].astimezone(UTC),
        )


class FollowService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        ids: IdGenerator,
        users: UserService,
        counters: CounterService,
        *,
        bus: EventBus,
    ) -> None:
        self._follows = db["follows"]
        self._ids = ids
        self._users = users
        self._counters = counters
        self._bus = bus

    async def ensure_indexes(self) -> None:
        await self._follows.create_index([("followee_id", ASCENDING), ("seq", DESCENDING)], name="followers")
        await self._follows.create_index([("follower_id", ASCENDING), ("seq", DESCENDING)], name="following")

    async def follow(self, follower_id: int, followee_id: int) -> bool:
        """Create the edge; False when it already existed."""
        if follower_id == followee_id:
            raise DomainError(ErrorCode.CANNOT_FOLLOW_SELF, "you cannot follow yourself", "userId")
        if await self._users.get(followee_id) is None:
            raise not_found("user", "userId")
        document = edge_document(follower_id, followee_id, self._ids.next_id(), utc_now())
        try:
            await self._follows.insert_one(document)
        except DuplicateKeyError as exc:
            if exc.code == _DUPLICATE_KEY:
                return False
            raise
        await asyncio.gather(
            self._counters.adjust(USER, followee_id, "followers", 1),
            self._counters.adjust(USER, follower_id, "following", 1),
        )
        await self._bus.publish(FollowAdded(follower_id, followee_id))
        return True

    async def unfollow(self, follower_id: int, followee_id: int) -> bool:
        """Remove the edge; False when there was none."""
        if await self._users.get(followee_id) is None:
            raise not_found("user", "userId")
        result = await self._follows.delete_one({"_id": edge_id(follower_id, followee_id)})
        if result.deleted_count == 0:
            return False
        await asyncio.gather(
            self._counters.adjust(USER, followee_id, "followers", -1),
            self._counters.adjust(USER, follower_id, "following", -1),
        )
        await self._bus.publish(FollowRemoved(follower_id, followee_id))
        return True

    async def followers(self, user_id: int, after: int | None, limit: int) -> Page[FollowEdge]:
        """Newest followers first."""
        return await self._page({"followee_id": user_id}, after, limit)

    async def following(self, user_id: int, after: int | None, limit: int) -> Page[FollowEdge]:
        """Most recently followed first."""
        return await self._page({"follower_id": user_id}, after, limit)

    async def _page(self, query: dict[str, Any], after: int | None, limit: int) -> Page[FollowEdge]:
        if after is not None:
            query = {**query, "seq": {"$lt": after}}
        rows = await self._follows.find(query).sort("seq", DESCENDING).limit(limit + 1).to_list(limit + 1)
        return Page.from_overfetch([FollowEdge.from_document(row) for row in rows], limit)

    async def follower_ids_after(
        self, followee_id: int, after: int | None, limit: int
    ) -> tuple[list[int], int | None]:
        """A batch of follower ids for fan-out, and the edge key to continue after (None at the end)."""
        query: dict[str, Any] = {"followee_id": followee_id}
        if after is not None:
            query["seq"] = {"$lt": after}
        rows = await (
            self._follows.find(query, {"follower_id": 1, "seq": 1})
            .sort("seq", DESCENDING)
            .limit(limit)
            .to_list(limit)
        )
        next_key = rows[-1]["seq"] if len(rows) == limit else None
        return [row["follower_id"] for row in rows], next_key

    async def followee_ids(self, follower_id: int, limit: int) -> list[int]:
        """The accounts a user follows, most recent first, at most `limit`."""
        rows = await (
            self._follows.find({"follower_id": follower_id}, {"followee_id": 1})
            .sort("seq", DESCENDING)
            .limit(limit)
            .to_list(limit)
        )
        return [row["followee_id"] for row in rows]

    async def edge(self, follower_id: int, followee_id: int) -> FollowEdge | None:
        row = await self._follows.find_one(
            {"_id": edge_id(follower_id, followee_id), "followee_id": followee_id}
        )
        return FollowEdge.from_document(row) if row is not None else None

    async def recent_edges_of(self, follower_ids: Sequence[int], limit: int) -> list[FollowEdge]:
        """The most recent follows made by any of `follower_ids`, at most `limit` (one query)."""
        if not follower_ids:
            return []
        rows = await (
            self._follows.find({"follower_id": {"$in": list(set(follower_ids))}})
            .sort([("seq", DESCENDING)])
            .limit(limit)
            .to_list(limit)
        )
        return [FollowEdge.from_document(row) for row in rows]

    async def follows_which(self, follower_id: int, followee_ids: Sequence[int]) -> set[int]:
        """Which of `followee_ids` the follower follows (one query)."""
        if not followee_ids:
            return set()
        unique = list(set(followee_ids))
        rows = await self._follows.find(
            # Point lookups by edge id; the followee list routes them to their shards
            {"_id": {"$in": [edge_id(follower_id, f) for f in unique]}, "followee_id": {"$in": unique}},
            {"followee_id": 1},
        ).to_list(None)
        return {row["followee_id"] for row in rows}

    async def followed_by_which(self, followee_id: int, follower_ids: Sequence[int]) -> set[int]:
        """Which of `follower_ids` follow the followee (one query)."""
        if not follower_ids:
            return set()
        rows = await self._follows.find(
            {
                "_id": {"$in": [edge_id(f, followee_id) for f in set(follower_ids)]},
                "followee_id": followee_id,
            },
            {"follower_id": 1},
        ).to_list(None)
        return {row["follower_id"] for row in rows}

    async def exact_followers(self, user_ids: Sequence[int]) -> dict[int, int]:
        return await count_grouped(self._follows, "followee_id", user_ids)

    async def exact_following(self, user_ids: Sequence[int]) -> dict[int, int]:
        return await count_grouped(self._follows, "follower_id", user_ids)
