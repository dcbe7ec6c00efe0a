"""Grouped notifications: written by jobs from the domains' events, read by their recipient.

Every event only enqueues a job naming the fact (a like, a comment, a follow edge, a caption).
The job reads the fact from its owner as it is now, makes the notification items match it,
settles the touched groups, and checks the fact once more: if it changed meanwhile (a like
undone while its job ran), it goes round again. So jobs are idempotent and order-free: a like
job retried after the unlike's job finds no like and leaves nothing behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from services.counters.service import NOTICE
from services.foundation.cluster_safe import publish
from services.foundation.pagination import Page
from services.notifications import sources
from services.notifications.job_names import NotificationJob
from services.notifications.records import recipient_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import redis.asyncio as aioredis

    from services.counters.service import CounterService
    from services.foundation.job_queue import JobQueue
    from services.notifications.records import Contribution, NotificationGroup
    from services.notifications.sources import Contributions
    from services.notifications.store import NotificationStore
    from services.posts.records import PostRecord

GROUP_CHANGED = "group"
GROUP_REMOVED = "removed"
MARKED_READ = "read"
_SYNC_ROUNDS = 3


def notifications_channel(user_id: int) -> str:
    return f"live:notifications:{user_id}"


class NotificationService:
    def __init__(
        self,
        *,
        store: NotificationStore,
        contributions: Contributions,
        counters: CounterService,
        queue: JobQueue,
        redis: aioredis.Redis,
        groups_kept: int,
    ) -> None:
        self.store = store
        self._contributions = contributions
        self._counters = counters
        self._queue = queue
        self._redis = redis
        self._groups_kept = groups_kept

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    # Reactions to the domains' events: enqueue only, so requests never wait on notifications

    async def on_like(self, post_id: int, user_id: int, post_author_id: int) -> None:
        if user_id != post_author_id:
            await self._queue.enqueue(NotificationJob.SYNC_LIKE, post_id, user_id)

    async def on_comment(self, comment_id: int, post_id: int) -> None:
        await self._queue.enqueue(NotificationJob.SYNC_COMMENT, comment_id, post_id)

    async def on_follow(self, follower_id: int, followee_id: int) -> None:
        await self._queue.enqueue(NotificationJob.SYNC_FOLLOW, follower_id, followee_id)

    async def on_post_visible(self, post: PostRecord) -> None:
        if post.mention_ids:
            await self._queue.enqueue(NotificationJob.SYNC_CAPTION, post.id)

    async def on_post_deleted(self, post: PostRecord) -> None:
        await self._queue.enqueue(NotificationJob.FORGET_POST, post.id)

    # Job bodies

    async def sync_like(self, post_id: int, user_id: int) -> None:
        await self._sync(
            sources.like_source(post_id, user_id), lambda: self._contributions.of_like(post_id, user_id)
        )

    async def sync_comment(self, comment_id: int, post_id: int) -> None:
        await self._sync(
            sources.comment_source(comment_id), lambda: self._contributions.of_comment(comment_id, post_id)
        )

    async def sync_follow(self, follower_id: int, followee_id: int) -> None:
        await self._sync(
            sources.follow_source(follower_id, followee_id),
            lambda: self._contributions.of_follow(follower_id, followee_id),
        )

    async def sync_caption(self, post_id: int) -> None:
        await self._sync(sources.caption_source(post_id), lambda: self._contributions.of_caption(post_id))

    async def forget_post(self, post_id: int) -> None:
        for group in await self.store.remove_post(post_id):
            await self._announce(group.recipient_id, GROUP_REMOVED, group.id)

    async def _sync(self, source: str, read_fact: Callable[[], Awaitable[list[Contribution]]]) -> None:
        for _ in range(_SYNC_ROUNDS):
            wanted = await read_fact()
            for group_id, change in (await self.store.reconcile(source, wanted)).items():
                await self._settle(group_id, change)
            if await read_fact() == wanted:
                return

    async def _settle(self, group_id: str, change: int) -> None:
        settled = await self.store.settle(group_id)
        group = settled.group
        if group is None:
            await self._announce(recipient_of(group_id), GROUP_REMOVED, group_id)
            return
        # Also when nothing changed here (a retry): the adjustment schedules an exact recount
        await self._counters.adjust(NOTICE, group.nid, "activities", change)
        if settled.created:
            for trimmed in await self.store.trim(group.recipient_id, self._groups_kept):
                await self._announce(group.recipient_id, GROUP_REMOVED, trimmed)
        await self._announce(group.recipient_id, GROUP_CHANGED, group.id)

    async def _announce(self, recipient_id: int, kind: str, group_id: str | None = None) -> None:
        message = orjson.dumps({"type": kind, "groupId": group_id})
        await publish(self._redis, notifications_channel(recipient_id), message)

    # Reads, by the recipient only (resolvers check who asks)

    async def page(self, recipient_id: int, after: int | None, limit: int) -> Page[NotificationGroup]:
        return Page.from_overfetch(await self.store.page(recipient_id, after, limit + 1), limit)

    async def activity_counts(self, groups: Sequence[NotificationGroup]) -> list[int]:
        """How many contributions each group holds; never fewer than the actors it shows."""
        counts = await self._counters.get_many(NOTICE, [group.nid for group in groups])
        return [
            max(count["activities"], len(group.actor_ids))
            for group, count in zip(groups, counts, strict=True)
        ]

    async def read_up_to(self, recipient_id: int) -> int:
        return await self.store.read_up_to(recipient_id)

    async def unread_count(self, recipient_id: int) -> int:
        return await self.store.count_unread(recipient_id, await self.store.read_up_to(recipient_id))

    async def mark_read(self, recipient_id: int, up_to: int | None) -> int:
        """Mark every group with activity up to `up_to` (default: all) read; returns the unread count."""
        target = up_to if up_to is not None else await self.store.newest_seq(recipient_id)
        if target:
            await self.store.mark_read(recipient_id, target)
            await self._announce(recipient_id, MARKED_READ)
        return await self.unread_count(recipient_id)

    async def exact_counts(self, nids: Sequence[int]) -> dict[int, int]:
        return await self.store.exact_counts(nids)
