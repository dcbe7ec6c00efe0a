"""Posts and the user timeline. Owns the posts (through PostStore's hot and archive tiers)
and the `post:{id}` cache.

The cache is filled on read with SET NX and overwritten by writers, so a reader
racing a delete can never put the pre-delete version back: a deleted post is
cached as deleted, and readers skip it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING

from services.counters.service import USER
from services.foundation.clock import utc_now
from services.foundation.errors import DomainError, ErrorCode, forbidden, not_found
from services.foundation.pagination import Page
from services.foundation.parse_memo import ParseMemo
from services.foundation.turn_batch import TurnBatch
from services.posts import text
from services.posts.events import ArchivedPostsRead, PostBecameVisible, PostDeleted
from services.posts.records import MediaItem, MediaKind, MediaState, PostRecord, PostStatus

__all__ = ["MediaItem", "MediaKind", "MediaState", "PostRecord", "PostService", "PostStatus"]

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    import redis.asyncio as aioredis

    from services.accounts.users import UserService
    from services.counters.service import CounterService
    from services.foundation.events import EventBus
    from services.foundation.ids import IdGenerator
    from services.posts.store import PostStore

MAX_CAPTION = 2200
_MEDIA_UPDATE_ATTEMPTS = 20
_CACHE_TTL_S = 24 * 3600
# Parsed posts remembered by their cached text (about 5 KB each with the text)
_PARSED_KEPT = 10_000


def post_key(post_id: int) -> str:
    return f"post:{{{post_id}}}"


def validate_caption(caption: str) -> str:
    caption = caption.strip()
    if len(caption) > MAX_CAPTION:
        raise DomainError(
            ErrorCode.TEXT_TOO_LONG, f"captions are at most {MAX_CAPTION} characters", "caption"
        )
    return caption


class PostService:
    def __init__(
        self,
        store: PostStore,
        redis: aioredis.Redis,
        ids: IdGenerator,
        users: UserService,
        counters: CounterService,
        *,
        bus: EventBus,
        turns: TurnBatch | None = None,
    ) -> None:
        self.store = store
        self._turns = turns or TurnBatch(redis)
        self._parsed = ParseMemo(PostRecord.from_cache, _PARSED_KEPT)
        self._posts = store.hot
        self._redis = redis
        self.cache_hits = 0
        self.cache_misses = 0
        self._ids = ids
        self._users = users
        self._counters = counters
        self._bus = bus

    async def _became_visible(self, record: PostRecord) -> None:
        await self._counters.adjust(USER, record.author_id, "posts", 1)
        await self._bus.publish(PostBecameVisible(record))

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    async def create(
        self, author_id: int, caption: str, media: Sequence[MediaItem] = (), post_id: int | None = None
    ) -> PostRecord:
        caption = validate_caption(caption)
        if not caption and not media:
            raise DomainError(ErrorCode.INVALID_INPUT, "a post needs a caption or media", "caption")
        mention_ids = await self._users.ids_for_usernames(text.mentions(caption))
        ready = all(item.state is MediaState.READY for item in media)
        record = PostRecord(
            id=post_id or self._ids.next_id(),
            author_id=author_id,
            caption=caption,
            hashtags=tuple(text.hashtags(caption)),
            mention_ids=tuple(mention_ids),
            status=PostStatus.VISIBLE if ready else PostStatus.PROCESSING,
            created_at=utc_now(),
            media=tuple(media),
        )
        await self._posts.insert_one(record.to_document())
        await self._counters.initialize("post", record.id)
        await self._cache([record], overwrite=True)
        if record.is_visible:
            await self._became_visible(record)
        return record

    async def get_many(self, post_ids: Sequence[int]) -> list[PostRecord | None]:
        """Posts in key order (deleted ones included, so callers can tell), None for a miss."""
        if not post_ids:
            return []
        cached = await self._turns.mget([post_key(pid) for pid in post_ids])
        found: dict[int, PostRecord] = {}
        cold_ids: set[int] = set()
        for pid, raw in zip(post_ids, cached, strict=True):
            if raw is not None:
                found[pid], archived = self._parsed(raw)
                if archived:
                    cold_ids.add(pid)
        missing = list({pid for pid in post_ids if pid not in found})
        self.cache_hits += len(post_ids) - len(missing)
        self.cache_misses += len(missing)
        if missing:
            documents, archived_ids = await self.store.find_many(missing)
            records = [PostRecord.from_document(d) for d in documents]
            found.update((record.id, record) for record in records)
            await self._cache(records, overwrite=False, archived_ids=archived_ids)
            cold_ids |= archived_ids
        if cold_ids:
            await self._bus.publish(ArchivedPostsRead(tuple(sorted(cold_ids))))
        return [found.get(pid) for pid in post_ids]

    async def forget(self, post_ids: Sequence[int]) -> None:
        """Drop cached records, after their tier changed, so the next read caches the truth."""
        # One DEL per key: on a cluster the keys live on different slots
        async with self._redis.pipeline(transaction=False) as pipe:
            for post_id in post_ids:
                pipe.delete(post_key(post_id))
            await pipe.execute()

    async def get(self, post_id: int) -> PostRecord | None:
        return (await self.get_many([post_id]))[0]

    async def update_media(self, post_id: int, media_id: int, **changes: Any) -> PostRecord | None:
        """Record a media item's processing outcome; the post turns VISIBLE when every item is
        READY, or FAILED as soon as one fails. Safe to call again with the same outcome.

        Items of one post are processed in parallel, so the media list is swapped with a
        compare-and-set on its previous value and retried on a lost race.
        """
        for _ in range(_MEDIA_UPDATE_ATTEMPTS):
            document = await self._posts.find_one({"_id": post_id})
            if document is None:
                return None
            record = PostRecord.from_document(document)
            items = [
                dataclasses.replace(item, **changes) if item.id == media_id else item for item in record.media
            ]
            status = record.status
            if status is PostStatus.PROCESSING:
                if any(item.state is MediaState.FAILED for item in items):
                    status = PostStatus.FAILED
                elif all(item.state is MediaState.READY for item in items):
                    status = PostStatus.VISIBLE
            updated = dataclasses.replace(record, media=tuple(items), status=status)
            result = await self._posts.update_one(
                {"_id": post_id, "media": document["media"], "status": record.status.value},
                {"$set": {"media": [item.to_document() for item in items], "status": status.value}},
            )
            if result.modified_count == 1 or updated == record:
                await self._cache([updated], overwrite=True)
                if record.status is PostStatus.PROCESSING and status is PostStatus.VISIBLE:
                    await self._became_visible(updated)
                return updated
        raise RuntimeError(f"post {post_id}: media update kept losing races")

    async def processing_before(self, cutoff: int, limit: int) -> list[PostRecord]:
        """Posts still processing that were created before the id `cutoff` (for recovery)."""
        rows = await (
            self._posts.find({"status": PostStatus.PROCESSING.value, "_id": {"$lt": cutoff}})
            .sort("_id", ASCENDING)
            .limit(limit)
            .to_list(limit)
        )
        return [PostRecord.from_document(row) for row in rows]

    async def require_interactive(self, post_id: int) -> PostRecord:
        """A post others may like or comment on: it exists, is not deleted, and is visible."""
        record = await self.get(post_id)
        if record is None or record.status is PostStatus.DELETED:
            raise not_found("post", "postId")
        if not record.is_visible:
            raise DomainError(
                ErrorCode.POST_NOT_VISIBLE, f"the post is still {record.status.value.lower()}", "postId"
            )
        return record

    async def _cache(
        self, records: Sequence[PostRecord], *, overwrite: bool, archived_ids: Collection[int] = ()
    ) -> None:
        if not records:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for record in records:
                value = record.to_cache(archived=record.id in archived_ids)
                pipe.set(post_key(record.id), value, ex=_CACHE_TTL_S, nx=not overwrite)
            await pipe.execute()

    async def delete(self, viewer_id: int, post_id: int) -> PostRecord:
        record = await self.get(post_id)
        if record is None or record.status is PostStatus.DELETED:
            raise not_found("post", "id")
        if record.author_id != viewer_id:
            raise forbidden("only the author can delete a post")
        document = await self.store.set_status(post_id, PostStatus.DELETED, {"deleted_at": utc_now()})
        deleted = PostRecord.from_document({**record.to_document(), "status": PostStatus.DELETED.value})
        await self._cache([deleted], overwrite=True)
        was_visible = document is not None and document["status"] == PostStatus.VISIBLE.value
        if was_visible:
            await self._counters.adjust(USER, record.author_id, "posts", -1)
        # Published whatever state the post was in, so that a failed post's blobs go too
        await self._bus.publish(PostDeleted(deleted, was_visible=was_visible))
        return deleted

    async def author_posts(
        self, author_id: int, after: int | None, limit: int, *, include_own_hidden: bool = False
    ) -> Page[PostRecord]:
        """One author's posts, newest first. The author also sees their processing and failed posts."""
        statuses = [PostStatus.VISIBLE.value]
        if include_own_hidden:
            statuses += [PostStatus.PROCESSING.value, PostStatus.FAILED.value]
        query: dict[str, Any] = {"author_id": author_id, "status": {"$in": statuses}}
        rows = await self.store.page(query, after, limit + 1)
        records = [PostRecord.from_document(row) for row in rows]
        await self._cache(records, overwrite=False)
        return Page.from_overfetch(records, limit)

    async def ids_by_authors_before(self, author_ids: Sequence[int], before: int, limit: int) -> list[int]:
        """The newest visible post ids by any of the authors below `before`: fan-out on read,
        used only past the cached window. On MongoDB the author index serves it as a merge."""
        if not author_ids:
            return []
        query = {"author_id": {"$in": list(author_ids)}, "status": PostStatus.VISIBLE.value}
        rows = await self.store.page(query, before, limit, {"_id": 1})
        return [row["_id"] for row in rows]

    async def tagged_ids_before(self, tag: str, before: int | None, limit: int) -> list[int]:
        """The newest visible post ids carrying `tag` (normalised) below `before`, served by the
        `hashtag` index on both tiers."""
        query = {"hashtags": tag, "status": PostStatus.VISIBLE.value}
        rows = await self.store.page(query, before, limit, {"_id": 1})
        return [row["_id"] for row in rows]

    async def exact_post_counts(self, author_ids: Sequence[int]) -> dict[int, int]:
        return {
            aid: await self.store.count({"author_id": aid, "status": PostStatus.VISIBLE.value})
            for aid in author_ids
        }
