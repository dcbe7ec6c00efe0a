"""The live home timeline of one reader: replay what they missed, then stream what changes.

Opening a stream first listens, then replays: it opens the live channels, then sends what the
client missed since its cursor (minus a catch-up window that covers fan-out lag, and minus the
posts it says it has), then streams. Events come in batches (one per pub/sub message or
replay), so the caller can hydrate each batch's posts together.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from services.foundation.clock import utc_now
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import id_floor_for, id_time
from services.live.channels import (
    AUTHOR_ADDED,
    AUTHOR_REMOVED,
    DELETED_POST,
    NEW_POST,
    author_channel,
    user_channel,
)
from services.live.hub import RESYNC, SlowConsumerError
from services.posts.records import MediaState, PostRecord, PostStatus
from services.privacy.policy import LiveAudience

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from aperture.settings import Settings
    from services.live.hub import LiveHub, LiveSubscription
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy
    from services.timeline.home import HomeTimeline
    from services.timeline.presence import PresenceService
    from services.timeline.user_classes import UserClassService

MAX_REPLAY = 200
PRESENCE_REFRESH_S = 20.0
CHANNELS_REFRESH_S = 60.0


class HomeEventKind(Enum):
    POST_ADDED = "POST_ADDED"
    POST_REMOVED = "POST_REMOVED"
    AUTHOR_REMOVED = "AUTHOR_REMOVED"
    RESYNC = "RESYNC"


@dataclass(slots=True)
class HomeStreamEvent:
    """One change. `cursor` is where to resume (every kind but RESYNC carries one)."""

    kind: HomeEventKind
    post: PostRecord | None = None
    post_id: int | None = None
    author_id: int | None = None
    cursor: int | None = None
    visible_at: float | None = None  # when a live post became visible (not on replays)
    viewer_liked: bool | None = None  # whether the viewer likes the post, when the hub read it
    viewer_block_free: bool = False  # whether the hub found the viewer in no block either way


def _added(records: list[PostRecord]) -> list[HomeStreamEvent]:
    return [HomeStreamEvent(HomeEventKind.POST_ADDED, post=record, cursor=record.id) for record in records]


def _deleted_from_view(record: PostRecord, viewer_id: int) -> bool:
    """Whether the post was deleted after the viewer could have seen it. A client may list any
    id in `seen`: a removal for a post that never was published (its media never all ready)
    would tell anyone that it existed."""
    if record.status is not PostStatus.DELETED:
        return False
    return record.author_id == viewer_id or all(item.state is MediaState.READY for item in record.media)


def _new_post_events(
    record: PostRecord, message: dict[str, object], audience: LiveAudience | None, viewer_id: int
) -> list[HomeStreamEvent]:
    """A live new post for one viewer, with what the hub read for every viewer it goes to."""
    (event,) = _added([record])
    visible_at = message.get("visibleAt")
    event.visible_at = float(visible_at) if isinstance(visible_at, (int, float)) else None
    likes = message.get("likes")
    event.viewer_liked = likes.get(viewer_id) if isinstance(likes, dict) else None
    event.viewer_block_free = audience is not None and viewer_id in audience.block_free
    return [event]


def _decided_audience(message: dict[str, object], viewer_id: int) -> LiveAudience | None:
    """Who the hub found may see the message's post, if it decided for this viewer."""
    audience = message.get("audience")  # decided once per process for every viewer
    return audience if isinstance(audience, LiveAudience) and viewer_id in audience.decided else None


def _removed(post_id: int) -> HomeStreamEvent:
    return HomeStreamEvent(HomeEventKind.POST_REMOVED, post_id=post_id)


@dataclass
class _Replay:
    """What a stream's client holds: the posts it listed as `seen`, the posts this stream
    `delivered`, and `since`, where the stream began (its cursor, or when it subscribed)."""

    seen: set[int]
    since: int
    delivered: set[int] = field(default_factory=set)

    def resume_point(self) -> tuple[int, bool]:
        """Where a replay starts, and whether it looks back for posts that fan-out landed late."""
        if self.delivered:
            return max(self.delivered), True
        return self.since, False

    def stamp(self, events: list[HomeStreamEvent]) -> list[HomeStreamEvent]:
        """Give removals the stream's resume point as their cursor, so every event but RESYNC
        tells the client where to resume (a removal does not move it)."""
        unstamped = [e for e in events if e.cursor is None and e.kind is not HomeEventKind.RESYNC]
        if unstamped:  # a new post carries its own: no scan of what was delivered for it
            resume = self.resume_point()[0]
            for event in unstamped:
                event.cursor = resume
        return events

    def forget_old(self) -> None:
        if len(self.delivered) > MAX_REPLAY * 4:
            newest = sorted(self.delivered)[-MAX_REPLAY:]
            self.delivered.clear()
            self.delivered.update(newest)


class HomeStream:
    def __init__(
        self,
        *,
        settings: Settings,
        home: HomeTimeline,
        posts: PostService,
        presence: PresenceService,
        classes: UserClassService,
        hub: LiveHub,
        policy: VisibilityPolicy,
    ) -> None:
        self._policy = policy
        self._settings = settings
        self._home = home
        self._posts = posts
        self._presence = presence
        self._classes = classes
        self._hub = hub

    async def open(
        self,
        viewer_id: int,
        cursor: int | None,
        seen: set[int],
        express: Callable[[HomeStreamEvent], Awaitable[bool]] | None = None,
    ) -> AsyncGenerator[list[HomeStreamEvent], None]:
        """The viewer's events, in batches. `express`, when given, is offered each new post the
        hub can decide on at once (its record, the viewer's like and whether they may see it
        read for every viewer together) while this stream waits with nothing queued: it sends
        the event itself and answers True, or answers False and the event comes as usual."""
        await self._home.ensure_ready(viewer_id)
        # Live posts tell viewers in no block apart by their cached block sets (shared renders)
        await self._policy.cache_blocks_of(viewer_id)
        replay = _Replay(seen=seen, since=cursor if cursor is not None else id_floor_for(utc_now()))
        connection_id = uuid.uuid4().hex
        await self._presence.mark_live(viewer_id, connection_id)
        subscription = await self._hub.open(await self._channels(viewer_id), owner=viewer_id)
        if express is not None:
            subscription.express = functools.partial(self._express, viewer_id, replay, express)
        keep_alive = asyncio.create_task(self._keep_alive(viewer_id, connection_id, subscription))
        try:
            # Replay what landed before the hub listened. With a cursor: what the client missed,
            # looking back for fan-out lag. Without: posts pushed between the start of the stream
            # and now, whose events went out before this process was subscribed.
            start, look_back = (cursor, True) if cursor is not None else (replay.since, False)
            missed = await self._catch_up(viewer_id, start, replay, look_back=look_back)
            for event in missed:
                if event.post is not None:
                    replay.delivered.add(event.post.id)
                replay.stamp([event])
            if missed:
                yield missed
            async for events in self._stream(viewer_id, subscription, replay):
                yield events
        finally:
            keep_alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keep_alive
            await subscription.close()
            await self._presence.clear(viewer_id, connection_id)

    async def _channels(self, viewer_id: int) -> list[str]:
        famous = await self._classes.famous_followees(viewer_id)
        return [user_channel(viewer_id), *(author_channel(author) for author in famous)]

    async def _keep_alive(self, viewer_id: int, connection_id: str, subscription: LiveSubscription) -> None:
        """Refresh presence while the socket stays open, and follow changes in famous followees.
        The first refresh comes at a random point of the period: sockets opened together (after
        a restart, or a benchmark's thousand) would otherwise all refresh in the same moment,
        every period, and hold up the events that arrive then."""
        elapsed = 0.0
        first = random.uniform(0.2, 1.0) * PRESENCE_REFRESH_S  # noqa: S311 - spreading, not secrecy
        await asyncio.sleep(first)
        period = first
        while True:
            elapsed += period
            period = PRESENCE_REFRESH_S
            await self._presence.mark_live(viewer_id, connection_id)
            if elapsed >= CHANNELS_REFRESH_S:
                elapsed = 0.0
                await subscription.change_channels(await self._channels(viewer_id))
                await self._policy.cache_blocks_of(viewer_id)  # a block or unblock dropped them
            await asyncio.sleep(period)

    async def _catch_up(
        self, viewer_id: int, cursor: int, replay: _Replay, *, look_back: bool = True
    ) -> list[HomeStreamEvent]:
        # Fan-out lag can land an older post after a newer one was sent: look back a window, but
        # never below the oldest post the client holds (it pages further down by itself)
        window_start = cursor
        if look_back:
            window_start = id_floor_for(id_time(cursor) - self._settings.live_catch_up_window)
        if replay.seen:
            window_start = max(window_start, min(replay.seen))
        records, complete = await self._home.newer_than(viewer_id, window_start, MAX_REPLAY)
        if not complete:
            return [HomeStreamEvent(HomeEventKind.RESYNC)]
        events = _added([r for r in records if r.id not in replay.seen and r.id not in replay.delivered])
        # Posts the client holds that were deleted meanwhile
        if replay.seen:
            for record in await self._posts.get_many(sorted(replay.seen)):
                if record is not None and _deleted_from_view(record, viewer_id):
                    events.append(_removed(record.id))
        return events

    async def _express(
        self,
        viewer_id: int,
        replay: _Replay,
        send: Callable[[HomeStreamEvent], Awaitable[bool]],
        message: dict[str, object],
    ) -> bool:
        """What `_events_for` does with a new post whose audience the hub decided, sent by
        `send`; False (nothing changed) for anything else, or when `send` cannot."""
        if message.get("type") != NEW_POST:
            return False
        record, audience = message.get("record"), _decided_audience(message, viewer_id)
        if not isinstance(record, PostRecord) or audience is None:
            return False
        if record.id in replay.delivered or not record.is_visible or viewer_id not in audience.seeing:
            return True  # nothing to send to this viewer, as _events_for would find
        (event,) = replay.stamp(_new_post_events(record, message, audience, viewer_id))
        if not await send(event):
            return False
        replay.delivered.add(record.id)
        replay.forget_old()
        return True

    async def _events_for(
        self, viewer_id: int, message: dict[str, object], replay: _Replay
    ) -> list[HomeStreamEvent]:
        """The events one pub/sub message becomes; `replay.delivered` records the posts sent."""
        kind = message.get("type")
        events: list[HomeStreamEvent] = []
        if kind == NEW_POST:
            post_id = int(str(message["postId"]))
            if post_id not in replay.delivered:
                record = message.get("record")  # prefetched once per process by the hub
                if not isinstance(record, PostRecord):
                    (record,) = await self._posts.get_many([post_id])
                audience = _decided_audience(message, viewer_id)
                # Muted, blocked either way, or private and not followed: silently not shown
                if (
                    record is not None
                    and record.is_visible
                    and (
                        viewer_id in audience.seeing
                        if audience is not None
                        else record.author_id
                        in await self._policy.visible_authors(viewer_id, [record.author_id], home=True)
                    )
                ):
                    events = _new_post_events(record, message, audience, viewer_id)
        elif kind == DELETED_POST:
            events = [_removed(int(str(message["postId"])))]
        elif kind == AUTHOR_REMOVED:
            events = [HomeStreamEvent(HomeEventKind.AUTHOR_REMOVED, author_id=int(str(message["authorId"])))]
        elif kind == RESYNC:
            start, look_back = replay.resume_point()
            events = await self._catch_up(viewer_id, start, replay, look_back=look_back)
        replay.delivered.update(event.post.id for event in events if event.post is not None)
        return replay.stamp(events)

    async def _stream(
        self, viewer_id: int, subscription: LiveSubscription, replay: _Replay
    ) -> AsyncGenerator[list[HomeStreamEvent], None]:
        while True:
            try:
                message = await subscription.next()
            except SlowConsumerError:
                raise DomainError(
                    ErrorCode.BAD_REQUEST, "too slow to keep up: resubscribe with your last cursor"
                ) from None
            if message is None:
                return  # the server is shutting down; the socket closes next
            if message.get("type") in (AUTHOR_ADDED, AUTHOR_REMOVED):
                # A famous author's posts arrive on the author's channel, not the viewer's
                await subscription.change_channels(await self._channels(viewer_id))
            events = await self._events_for(viewer_id, message, replay)
            if events:
                yield events
            replay.forget_old()
