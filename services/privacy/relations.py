"""One-way relations between users (a block, a mute): MongoDB documents, read through cached
Redis sets so that a page asks about its authors with one SMISMEMBER per set.

Each relation is one document whose _id is "from:to", so adding twice is a duplicate key.
Each user's set of targets (`<name>:{<uid>}`), and for blocks the set of who targets them
(`<name>by:{<uid>}`), is a cache holding a sentinel member, so a missing set and an empty one
differ. A write bumps the set's version key and deletes it; a fill writes only if the version
is unchanged since it read MongoDB (as `followedtags:{<uid>}` does), so a fill can never bring
back a relation removed, or hide one added, while it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING

from services.foundation.clock import utc_now
from services.foundation.documents import insert_new
from services.foundation.pagination import Page
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from pymongo.asynchronous.collection import AsyncCollection

    from services.foundation.ids import IdGenerator

SENTINEL = "-"
_CACHE_TTL_S = 7 * 24 * 3600
_FILL = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def relation_key(prefix: str, user_id: int) -> str:
    return f"{prefix}:{{{user_id}}}"


def relation_version_key(prefix: str, user_id: int) -> str:
    return f"{prefix}:{{{user_id}}}:v"


@dataclass(frozen=True, slots=True)
class RelationEdge:
    seq: int
    from_id: int
    to_id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Side:
    """One direction of a relation as a cached set: whose id keys it, and which id it holds."""

    prefix: str
    owner_field: str
    member_field: str


class RelationStore:
    def __init__(
        self,
        documents: AsyncCollection[dict[str, Any]],
        redis: aioredis.Redis,
        ids: IdGenerator,
        *,
        name: str,
        reverse: bool,
        turns: TurnBatch | None = None,
    ) -> None:
        self._documents = documents
        self._redis = redis
        self._ids = ids
        self._turns = turns or TurnBatch(redis)
        self._fill = redis.register_script(_FILL)
        self.outgoing = Side(name, "from_id", "to_id")
        self.incoming = Side(f"{name}by", "to_id", "from_id") if reverse else None

    async def ensure_indexes(self) -> None:
        await self._documents.create_index([("from_id", ASCENDING), ("seq", DESCENDING)], name="by_from")
        await self._documents.create_index([("to_id", ASCENDING), ("seq", DESCENDING)], name="by_to")

    async def add(self, from_id: int, to_id: int) -> bool:
        """False when the relation already existed."""
        document = {
            "_id": f"{from_id}:{to_id}",
            "seq": self._ids.next_id(),
            "from_id": from_id,
            "to_id": to_id,
            "created_at": utc_now(),
        }
        if not await insert_new(self._documents, document):
            return False
        await self._changed(from_id, to_id)
        return True

    async def remove(self, from_id: int, to_id: int) -> bool:
        result = await self._documents.delete_one({"_id": f"{from_id}:{to_id}", "from_id": from_id})
        if not result.deleted_count:
            return False
        await self._changed(from_id, to_id)
        return True

    async def _changed(self, from_id: int, to_id: int) -> None:
        sides = [(self.outgoing, from_id)]
        if self.incoming is not None:
            sides.append((self.incoming, to_id))
        async with self._redis.pipeline(transaction=False) as pipe:
            for side, owner in sides:
                pipe.incr(relation_version_key(side.prefix, owner))
                pipe.expire(relation_version_key(side.prefix, owner), 2 * _CACHE_TTL_S)
                pipe.delete(relation_key(side.prefix, owner))
            await pipe.execute()

    async def page(self, from_id: int, after: int | None, limit: int) -> Page[RelationEdge]:
        """The user's relations, newest first."""
        query: dict[str, Any] = {"from_id": from_id}
        if after is not None:
            query["seq"] = {"$lt": after}
        rows = await self._documents.find(query).sort("seq", DESCENDING).limit(limit + 1).to_list(limit + 1)
        edges = [
            RelationEdge(row["seq"], row["from_id"], row["to_id"], row["created_at"].astimezone(UTC))
            for row in rows
        ]
        return Page.from_overfetch(edges, limit)

    async def which(self, side: Side, owner_id: int, user_ids: Sequence[int]) -> set[int]:
        """Which of `user_ids` are in the owner's set on that side: one SMISMEMBER in the
        request's Redis turn; MongoDB (and a fill) only when the set is not cached."""
        if not user_ids:
            return set()
        # Plain ints: ids read back from MongoDB can be bson.Int64, which hiredis refuses to send
        unique = list(dict.fromkeys(int(user_id) for user_id in user_ids))
        key, version_key = relation_key(side.prefix, owner_id), relation_version_key(side.prefix, owner_id)
        flags, version = await self._turns.commands(
            [("SMISMEMBER", key, SENTINEL, *unique), ("GET", version_key)]
        )
        if flags[0]:
            return {user_id for user_id, flag in zip(unique, flags[1:], strict=True) if flag}
        members = await self._all_of(side, owner_id)
        await self._fill(
            keys=[key, version_key], args=[version or "0", _CACHE_TTL_S, SENTINEL, *sorted(members)]
        )
        return members & set(unique)

    async def owners_with_none(self, side: Side, owner_ids: Sequence[int]) -> set[int]:
        """The owners whose cached set on that side holds nothing: one SCARD each, in one batch.
        An owner whose set is not cached is left out (not known to have none)."""
        unique = list(dict.fromkeys(int(owner_id) for owner_id in owner_ids))
        sizes = await self._turns.per_key("SCARD", [relation_key(side.prefix, owner) for owner in unique])
        return {owner for owner, size in zip(unique, sizes, strict=True) if size == 1}  # the sentinel alone

    async def _all_of(self, side: Side, owner_id: int) -> set[int]:
        rows = await self._documents.find({side.owner_field: owner_id}, {side.member_field: 1}).to_list(None)
        return {int(row[side.member_field]) for row in rows}

    async def exists(self, from_id: int, to_id: int) -> bool:
        return bool(await self.which(self.outgoing, from_id, [to_id]))
