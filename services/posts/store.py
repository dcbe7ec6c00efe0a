"""Where post documents live: a hot collection and an archive (cold) collection.

The archive can be another database or another MongoDB deployment. Reads are
transparent: lookups by id fall through to the archive, and pages that reach into
archived territory merge both tiers. The archive only ever holds posts older than the
"archive ceiling" (an upper bound of the ids ever archived, kept in Redis), so pages
above it never touch the cold tier. Each process caches the ceiling for a second; an
archival run raises it before it moves anything and then waits out that second, so no
process reads with a ceiling below a post that has already left the hot tier.

A post moves by copy-then-delete, both idempotent. Between the two steps a post exists
in both tiers; readers prefer the hot copy and drop duplicates, and the next run of the
job finishes the move.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING, DeleteOne, ReplaceOne

from services.posts.records import PostStatus

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    import redis.asyncio as aioredis
    from pymongo.asynchronous.collection import AsyncCollection
    from pymongo.asynchronous.database import AsyncDatabase

    Document = dict[str, Any]

CEILING_KEY = "tiers:archive-ceiling"
# At most one GET a second per process; archival waits this long after raising the ceiling
CEILING_REFRESH_S = 1.0
_RAISE_CEILING = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


class PostStore:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        archive_db: AsyncDatabase[dict[str, Any]],
        redis: aioredis.Redis,
    ) -> None:
        self.hot: AsyncCollection[Document] = db["posts"]
        self.cold: AsyncCollection[Document] = archive_db["posts"]
        self._redis = redis
        self._raise_ceiling = redis.register_script(_RAISE_CEILING)
        self._ceiling = 0
        self._ceiling_read_at = 0.0

    async def ensure_indexes(self) -> None:
        for collection in (self.hot, self.cold):
            await collection.create_index(
                [("author_id", ASCENDING), ("_id", DESCENDING)], name="author_timeline"
            )
            await collection.create_index([("hashtags", ASCENDING), ("_id", DESCENDING)], name="hashtag")
            await collection.create_index([("status", ASCENDING), ("_id", ASCENDING)], name="status")

    def forget_archive_ceiling(self) -> None:
        """Re-read the ceiling on next use, after the stores were wiped under this process (tests)."""
        self._ceiling_read_at = 0.0

    async def archive_ceiling(self) -> int:
        """The newest post id that was ever archived (0 when nothing was)."""
        now = time.monotonic()
        if now - self._ceiling_read_at > CEILING_REFRESH_S:
            self._ceiling = int(await self._redis.get(CEILING_KEY) or 0)
            self._ceiling_read_at = now
        return self._ceiling

    async def find_many(self, post_ids: Sequence[int]) -> tuple[list[Document], set[int]]:
        """Documents for the ids found in either tier, and which of them came from the archive."""
        unique = list(set(post_ids))
        documents = await self.hot.find({"_id": {"$in": unique}}).to_list(len(unique))
        found = {document["_id"] for document in documents}
        missing = [pid for pid in unique if pid not in found]
        cold_ids: set[int] = set()
        if missing and min(missing) <= await self.archive_ceiling():
            archived = await self.cold.find({"_id": {"$in": missing}}).to_list(len(missing))
            cold_ids = {document["_id"] for document in archived}
            documents += archived
        return documents, cold_ids

    async def find_one(self, post_id: int) -> Document | None:
        documents, _ = await self.find_many([post_id])
        return documents[0] if documents else None

    async def page(
        self, query: dict[str, Any], before: int | None, limit: int, projection: Any = None
    ) -> list[Document]:
        """Newest first, below `before`, across tiers when the page reaches below the archive ceiling."""
        keyed = {**query, "_id": {"$lt": before}} if before is not None else query
        rows = await self.hot.find(keyed, projection).sort("_id", DESCENDING).limit(limit).to_list(limit)
        ceiling = await self.archive_ceiling()
        reaches_archive = len(rows) < limit or rows[-1]["_id"] <= ceiling
        if not ceiling or not reaches_archive or (before is not None and before <= 0):
            return rows
        cold_rows = (
            await self.cold.find(keyed, projection).sort("_id", DESCENDING).limit(limit).to_list(limit)
        )
        merged: dict[int, Document] = {row["_id"]: row for row in cold_rows}
        merged.update((row["_id"], row) for row in rows)  # the hot copy wins mid-move
        return [merged[key] for key in sorted(merged, reverse=True)[:limit]]

    async def count(self, query: dict[str, Any]) -> int:
        """Matching posts across tiers, each counted once even mid-move."""
        hot = await self.hot.count_documents(query)
        if not await self.archive_ceiling():
            return hot
        cold_ids = [row["_id"] for row in await self.cold.find(query, {"_id": 1}).to_list(None)]
        if not cold_ids:
            return hot
        in_both = await self.hot.count_documents({"_id": {"$in": cold_ids}})
        return hot + len(cold_ids) - in_both

    async def set_status(self, post_id: int, status: PostStatus, extra: dict[str, Any]) -> Document | None:
        """Change a post's status in whichever tier holds it; returns the document as it was."""
        change = {"$set": {"status": status.value, **extra}}
        query = {"_id": post_id, "status": {"$ne": status.value}}
        before: Document | None = await self.hot.find_one_and_update(query, change)
        if before is None and post_id <= await self.archive_ceiling():
            before = await self.cold.find_one_and_update(query, change)
        return before

    # Moves between tiers

    async def archive_candidates(
        self, older_than: int, promoted_before: datetime, after: int, limit: int
    ) -> list[Document]:
        """Visible hot posts created before `older_than` (and not promoted since
        `promoted_before`), in id order from `after`."""
        query = {
            "status": PostStatus.VISIBLE.value,
            "_id": {"$lt": older_than, "$gt": after},
            "$or": [{"promoted_at": {"$exists": False}}, {"promoted_at": {"$lt": promoted_before}}],
        }
        rows: list[Document] = await self.hot.find(query).sort("_id", ASCENDING).limit(limit).to_list(limit)
        return rows

    async def open_for_archival(self, newest: int) -> None:
        """Let ids up to `newest` be archived: raise the ceiling, then, if it rose, wait until
        every process's cached ceiling has expired, so none pages past a post being moved."""
        if await self._raise_ceiling(keys=[CEILING_KEY], args=[newest]):
            self._ceiling = max(self._ceiling, newest)
            await asyncio.sleep(CEILING_REFRESH_S + 0.1)

    async def move_to_archive(self, documents: Sequence[Document]) -> None:
        """Copy the documents to the archive, then delete them from the hot tier (only if unchanged)."""
        if not documents:
            return
        # The ceiling rises first, so readers look in the archive before a post can be there
        newest = max(document["_id"] for document in documents)
        await self._raise_ceiling(keys=[CEILING_KEY], args=[newest])
        self._ceiling = max(self._ceiling, newest)
        await self.cold.bulk_write(
            [ReplaceOne(_shard_filter(d), d, upsert=True) for d in documents], ordered=False
        )
        await self.hot.bulk_write(
            [DeleteOne({**_shard_filter(d), "status": d["status"]}) for d in documents], ordered=False
        )

    async def move_to_hot(self, post_id: int, promoted_at: Any) -> Document | None:
        document = await self.cold.find_one({"_id": post_id})
        if document is None:
            return None
        # Marked, so that the archival job leaves it hot for a full archive period again
        document["promoted_at"] = promoted_at
        await self.hot.replace_one(_shard_filter(document), document, upsert=True)
        await self.cold.delete_one(_shard_filter(document))
        return document

    async def drop_promoted_leftovers(self, post_ids: Sequence[int]) -> int:
        """Cold copies of posts that a killed promotion already copied back to the hot tier."""
        promoted = await self.hot.find(
            {"_id": {"$in": list(post_ids)}, "promoted_at": {"$exists": True}}, {"_id": 1}
        ).to_list(None)
        for row in promoted:
            await self.cold.delete_one({"_id": row["_id"]})
        return len(promoted)

    async def tier_counts(self) -> dict[str, int]:
        return {
            "hot": await self.hot.estimated_document_count(),
            "cold": await self.cold.estimated_document_count(),
        }


def _shard_filter(document: Document) -> Document:
    """The document's id with its shard key (posts are sharded by author), which MongoDB
    requires of an upsert on a sharded collection and uses to reach one shard."""
    return {"_id": document["_id"], "author_id": document["author_id"]}
