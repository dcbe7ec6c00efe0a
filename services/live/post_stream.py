"""The live counts of one post on screen; bursts are coalesced, so a slow client sees the latest state."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.counters.service import POST
from services.foundation.errors import not_found
from services.live.channels import COUNTS, DELETED_POST, post_channel
from services.live.hub import RESYNC

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from services.counters.service import CounterService
    from services.live.channels import LiveEvents
    from services.live.hub import LiveHub
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy


@dataclass(frozen=True, slots=True)
class PostLiveState:
    post_id: int
    like_count: int
    comment_count: int
    deleted: bool = False


class PostStream:
    def __init__(
        self,
        *,
        posts: PostService,
        counters: CounterService,
        live: LiveEvents,
        hub: LiveHub,
        policy: VisibilityPolicy,
    ) -> None:
        self._policy = policy
        self._posts = posts
        self._counters = counters
        self._live = live
        self._hub = hub

    async def open(self, post_id: int, viewer_id: int | None) -> AsyncGenerator[PostLiveState, None]:
        """The post's state now, then after every change; ends with `deleted` if it is deleted."""
        record = await self._posts.get(post_id)
        if (
            record is None
            or not record.visible_to(viewer_id)
            or not await self._policy.can_see(viewer_id, record.author_id)
        ):
            raise not_found("post", "id")
        subscription = await self._hub.open([post_channel(post_id)], coalesce=True)
        watching = asyncio.create_task(self._live.watch_post(post_id))
        try:
            yield await self._state(post_id)
            while True:
                message = await subscription.next()
                if message is None:
                    return
                if message.get("type") == DELETED_POST:
                    yield PostLiveState(post_id, like_count=0, comment_count=0, deleted=True)
                    return
                if message.get("type") in (COUNTS, RESYNC):
                    yield await self._state(post_id)
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
            await subscription.close()

    async def _state(self, post_id: int) -> PostLiveState:
        (counts,) = await self._counters.get_many(POST, [post_id])
        return PostLiveState(post_id, like_count=counts["likes"], comment_count=counts["comments"])
