"""Hashtag pages, followed hashtags and trending tags, kept from the posts' own events.

A post that becomes visible or is deleted enqueues one job that brings the tag windows and
the trending counts in line with the post as it is then (so a retried or late job does no
harm); reads are served from the windows, cache-first, with the `hashtag` index behind them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.foundation.pagination import Page
from services.hashtags.job_names import HashtagJob
from services.posts.records import PostStatus

if TYPE_CHECKING:
    from services.foundation.job_queue import JobQueue
    from services.hashtags.follows import HashtagFollows
    from services.hashtags.trending import TrendingHashtags
    from services.hashtags.windows import TagWindows
    from services.posts.records import PostRecord
    from services.posts.service import PostService

_SLACK = 5  # extra candidates per round, to absorb deleted posts
_MAX_ROUNDS = 4


class HashtagService:
    def __init__(
        self,
        *,
        posts: PostService,
        queue: JobQueue,
        windows: TagWindows,
        follows: HashtagFollows,
        trending: TrendingHashtags,
    ) -> None:
        self._posts = posts
        self._queue = queue
        self.windows = windows
        self.follows = follows
        self.trending = trending

    async def ensure_indexes(self) -> None:
        await self.follows.ensure_indexes()

    async def on_post_changed(self, post: PostRecord) -> None:
        if post.hashtags:
            await self._queue.enqueue(HashtagJob.SYNC_POST_TAGS, post.id)

    async def sync_post(self, post_id: int) -> None:
        """Make the windows and trending counts agree with the post as it is now."""
        post = await self._posts.get(post_id)
        if post is None or not post.hashtags:
            return
        if post.is_visible:
            await self.windows.add(post.id, post.hashtags)
            await self.trending.record(post.author_id, post.hashtags, post.created_at.timestamp())
        elif post.status is PostStatus.DELETED:
            await self.windows.remove(post.id, post.hashtags)

    async def page(self, tag: str, after: int | None, first: int) -> Page[PostRecord]:
        """A tag's visible posts, newest first, below the post id `after`."""
        want = first + _SLACK
        visible: list[PostRecord] = []
        before = after
        for _ in range(_MAX_ROUNDS):
            candidates = await self.windows.ids_before([tag], before, want)
            records = await self._posts.get_many(candidates)
            visible += [record for record in records if record is not None and record.is_visible]
            if len(candidates) < want:
                return Page(items=visible[:first], has_next=len(visible) > first)
            if len(visible) > first:
                break
            before = candidates[-1]
        return Page(items=visible[:first], has_next=True)


class FollowedHashtagPosts:
    """The home timeline's source of posts that carry a tag the reader follows: pulled at read
    time from the shared tag windows (docs/social.md says why not pushed)."""

    def __init__(self, follows: HashtagFollows, windows: TagWindows) -> None:
        self._follows = follows
        self._windows = windows

    async def ids_before(self, viewer_id: int, before: int | None, want: int) -> list[int]:
        tags = await self._follows.tags_of(viewer_id)
        return await self._windows.ids_before(tags, before, want) if tags else []
