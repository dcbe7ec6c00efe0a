"""Each author's newest visible post ids, cached in Redis (`recent:{aid}`, see feed_store).

They feed the read-time merge of famous authors, follow backfill and feed rebuilds. A cold
author is rebuilt from MongoDB; beyond the cached window reads fall back to MongoDB.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from services.timeline.feed_store import BUILDING_FLOOR

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.posts.service import PostRecord, PostService
    from services.timeline.feed_store import FeedStore, Window

_REBUILD_CONCURRENCY = 8


class RecentPosts:
    def __init__(self, store: FeedStore, posts: PostService, cap: int, ttl_s: int) -> None:
        self._store = store
        self._posts = posts
        self.cap = cap
        self._ttl_s = ttl_s

    async def windows(self, author_ids: Sequence[int], before: int | None, count: int) -> dict[int, Window]:
        windows = await self._store.read_recent(author_ids, before, count)
        # A set left mid-build by a crashed process is rebuilt too (builds are idempotent)
        cold = [a for a, window in windows.items() if not window.exists or window.floor == BUILDING_FLOOR]
        if cold:
            semaphore = asyncio.Semaphore(_REBUILD_CONCURRENCY)

            async def rebuild(author_id: int) -> None:
                async with semaphore:
                    await self.rebuild(author_id)

            await asyncio.gather(*(rebuild(author) for author in cold))
            windows.update(await self._store.read_recent(cold, before, count))
        return windows

    async def newest_ids(self, author_id: int, before: int | None, count: int) -> list[int] | None:
        """The author's `count` newest visible post ids below `before`, as the cached window
        vouches for them (fewer when the author has no more), or None when the cursor has gone
        past the window and MongoDB must answer. What a user timeline page reads."""
        if count > self.cap:
            return None  # more than a window ever holds
        window = (await self.windows([author_id], before, count))[author_id]
        trusted = window.trusted()
        if len(trusted) >= count:
            return trusted[:count]
        return trusted if window.floor == 0 else None

    async def rebuild(self, author_id: int) -> None:
        # Created before the query, so a post that turns visible meanwhile is still added
        await self._store.begin_recent(author_id, self._ttl_s)
        page = await self._posts.author_posts(author_id, None, self.cap)
        ids = [record.id for record in page.items]
        floor = ids[-1] - 1 if page.has_next else 0
        await self._store.finish_recent(author_id, ids, self.cap, floor)

    async def older(self, author_id: int, before: int, count: int) -> list[int]:
        """Ids below the cached window, from MongoDB."""
        page = await self._posts.author_posts(author_id, before, count)
        return [record.id for record in page.items]

    async def on_visible(self, post: PostRecord) -> None:
        await self._store.add_recent(post.author_id, post.id, self.cap)

    async def on_deleted(self, post: PostRecord) -> None:
        await self._store.remove_recent(post.author_id, post.id)
