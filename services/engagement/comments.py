"""Comments. Owns the `comments` collection, read oldest first per post."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING

from services.counters.service import POST
from services.engagement.comment_heads import HEAD_SIZE
from services.engagement.comment_records import CommentRecord
from services.engagement.events import CommentAdded, CommentDeleted
from services.foundation.clock import utc_now
from services.foundation.counting import count_grouped
from services.foundation.errors import DomainError, ErrorCode, forbidden, not_found
from services.foundation.pagination import Page

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymongo.asynchronous.database import AsyncDatabase

    from services.counters.service import CounterService
    from services.engagement.comment_heads import CommentHeads
    from services.foundation.events import EventBus
    from services.foundation.ids import IdGenerator
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy

MAX_COMMENT = 2200


class CommentService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        ids: IdGenerator,
        posts: PostService,
        counters: CounterService,
        *,
        policy: VisibilityPolicy,
        bus: EventBus,
        heads: CommentHeads | None = None,
    ) -> None:
        self._heads = heads
        self._policy = policy
        self._bus = bus
        self._comments = db["comments"]
        self._ids = ids
        self._posts = posts
        self._counters = counters

    async def ensure_indexes(self) -> None:
        await self._comments.create_index([("post_id", ASCENDING), ("_id", ASCENDING)], name="thread")

    async def add(self, author_id: int, post_id: int, text: str) -> CommentRecord:
        text = text.strip()
        if not text:
            raise DomainError(ErrorCode.INVALID_INPUT, "a comment cannot be empty", "text")
        if len(text) > MAX_COMMENT:
            raise DomainError(
                ErrorCode.TEXT_TOO_LONG, f"comments are at most {MAX_COMMENT} characters", "text"
            )
        post = await self._posts.require_interactive(post_id)
        if not await self._policy.can_interact(author_id, post.author_id):
            raise not_found("post", "postId")  # private or blocked: as if it did not exist
        document = {
            "_id": self._ids.next_id(),
            "post_id": post_id,
            "author_id": author_id,
            "text": text,
            "created_at": utc_now(),
        }
        await self._comments.insert_one(document)
        if self._heads is not None:
            await self._heads.drop(post_id)
        await self._counters.adjust(POST, post_id, "comments", 1)
        comment = CommentRecord.from_document(document)
        await self._bus.publish(CommentAdded(comment.id, author_id, post_id, post.author_id, text))
        return comment

    async def delete(self, viewer_id: int, comment_id: int) -> CommentRecord:
        comment = await self.get(comment_id)
        if comment is None:
            raise not_found("comment", "id")
        post = await self._posts.get(comment.post_id)
        if viewer_id != comment.author_id and (post is None or post.author_id != viewer_id):
            raise forbidden("only the comment's author or the post's author can delete it")
        result = await self._comments.delete_one({"_id": comment_id})
        if result.deleted_count:
            if self._heads is not None:
                await self._heads.drop(comment.post_id)
            await self._counters.adjust(POST, comment.post_id, "comments", -1)
            post_author = post.author_id if post is not None else None
            await self._bus.publish(
                CommentDeleted(comment.id, comment.author_id, comment.post_id, post_author)
            )
        return comment

    async def get_many(self, comment_ids: Sequence[int]) -> list[CommentRecord | None]:
        rows = await self._comments.find({"_id": {"$in": list(set(comment_ids))}}).to_list(None)
        found = {row["_id"]: CommentRecord.from_document(row) for row in rows}
        return [found.get(cid) for cid in comment_ids]

    async def get(self, comment_id: int) -> CommentRecord | None:
        return (await self.get_many([comment_id]))[0]

    async def thread(self, post_id: int, after: int | None, limit: int) -> Page[CommentRecord]:
        """A post's comments, oldest first. The first page, the one post cards show, is read
        from the post's head in Redis when it is kept there."""
        if after is None and limit < HEAD_SIZE and self._heads is not None:
            first = await self._heads.first(post_id, limit, functools.partial(self._oldest, post_id))
            return Page.from_overfetch(first, limit)
        query: dict[str, Any] = {"post_id": post_id}
        if after is not None:
            query["_id"] = {"$gt": after}
        rows = await self._comments.find(query).sort("_id", ASCENDING).limit(limit + 1).to_list(limit + 1)
        return Page.from_overfetch([CommentRecord.from_document(row) for row in rows], limit)

    async def _oldest(self, post_id: int, count: int) -> list[CommentRecord]:
        rows = (
            await self._comments.find({"post_id": post_id}).sort("_id", ASCENDING).limit(count).to_list(count)
        )
        return [CommentRecord.from_document(row) for row in rows]

    async def exact_comment_counts(self, post_ids: Sequence[int]) -> dict[int, int]:
        return await count_grouped(self._comments, "post_id", post_ids)
