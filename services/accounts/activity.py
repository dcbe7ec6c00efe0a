"""When each user was last seen. Owns `seen:{uid}` keys and the `activity` collection.

Every authenticated request touches the viewer, but a process writes at most
once a minute per user, so the cost on the hot path is a dictionary lookup.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.foundation.cluster_safe import mget

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from pymongo.asynchronous.database import AsyncDatabase

_LOCAL_THROTTLE_S = 60.0
_PERSIST_EVERY_S = 3600
_LOCAL_CACHE_LIMIT = 100_000


def seen_key(user_id: int) -> str:
    return f"seen:{{{user_id}}}"


class ActivityService:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], redis: aioredis.Redis) -> None:
        self._activity = db["activity"]
        self._redis = redis
        self._recent: dict[int, float] = {}

    async def ensure_indexes(self) -> None:
        """The collection is keyed by user id; no secondary index is needed."""

    def forget_recent_touches(self) -> None:
        """Drop this process's throttle, after the stores were wiped under it (tests, a restore)."""
        self._recent.clear()

    async def touch(self, user_id: int) -> None:
        now = time.time()
        if now - self._recent.get(user_id, 0.0) < _LOCAL_THROTTLE_S:
            return
        if len(self._recent) > _LOCAL_CACHE_LIMIT:
            self._recent.clear()
        self._recent[user_id] = now
        previous = await self._redis.getset(seen_key(user_id), int(now))
        if previous is None or now - float(previous) >= _PERSIST_EVERY_S:
            await self._activity.update_one(
                {"_id": user_id},
                {"$set": {"last_seen_at": datetime.fromtimestamp(now, tz=UTC)}},
                upsert=True,
            )

    async def last_seen(self, user_ids: Sequence[int]) -> list[datetime | None]:
        if not user_ids:
            return []
        values = await mget(self._redis, [seen_key(uid) for uid in user_ids])
        result: list[datetime | None] = [
            datetime.fromtimestamp(float(v), tz=UTC) if v is not None else None for v in values
        ]
        missing = [uid for uid, value in zip(user_ids, result, strict=True) if value is None]
        if missing:
            documents = await self._activity.find({"_id": {"$in": missing}}).to_list(len(missing))
            stored = {d["_id"]: d["last_seen_at"].astimezone(UTC) for d in documents}
            result = [value or stored.get(uid) for uid, value in zip(user_ids, result, strict=True)]
        return result
