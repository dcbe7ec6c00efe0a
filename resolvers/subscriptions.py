"""Live subscriptions: the home timeline as it changes, and one post's counts.

Subscribing first listens, then replays: it opens the live channels, then sends what the
client missed since its cursor (minus a catch-up window that covers fan-out lag, and
minus the posts it says it has), then streams. Every event is hydrated with fresh loaders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry

from resolvers.hydration import hydrate_posts
from schema.context import Info
from schema.cursors import decode_cursor, encode_cursor
from schema.ids import expect_global_id, to_global_id
from schema.selection import field_names_under
from schema.types.live import HomeTimelineEvent, HomeTimelineEventType, PostUpdate
from services.clock import utc_now
from services.errors import DomainError, ErrorCode, not_found
from services.ids import id_floor_for, id_time
from services.live_events import (
    AUTHOR_ADDED,
    AUTHOR_REMOVED,
    COUNTS,
    DELETED_POST,
    NEW_POST,
    author_channel,
    post_channel,
    user_channel,
)
from services.live_hub import RESYNC, SlowConsumerError
from services.posts import MediaState, PostRecord, PostStatus

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from services.container import Services
    from services.live_hub import LiveSubscription

log = logging.getLogger(__name__)

MAX_REPLAY = 200
MAX_SEEN = 200
PRESENCE_REFRESH_S = 20.0
CHANNELS_REFRESH_S = 60.0


def _slow_consumer() -> DomainError:
    return DomainError(ErrorCode.BAD_REQUEST, "too slow to keep up: resubscribe with your last cursor")


async def _keep_alive(
    services: Services, viewer_id: int, connection_id: str, subscription: LiveSubscription
) -> None:
    """Refresh presence while the socket stays open, and follow changes in famous followees."""
    elapsed = 0.0
    while True:
        await asyncio.sleep(PRESENCE_REFRESH_S)
        elapsed += PRESENCE_REFRESH_S
        await services.presence.mark_live(viewer_id, connection_id)
        if elapsed >= CHANNELS_REFRESH_S:
            elapsed = 0.0
            await subscription.change_channels(await _home_channels(services, viewer_id))


async def _home_channels(services: Services, viewer_id: int) -> list[str]:
    famous = await services.classes.famous_followees(viewer_id)
    return [user_channel(viewer_id), *(author_channel(author) for author in famous)]


async def _added(info: Info, records: list[PostRecord]) -> list[HomeTimelineEvent]:
    info.context.renew_loaders()
    posts = await hydrate_posts(info, records, field_names_under(info, "post"))
    return [
        HomeTimelineEvent(type=HomeTimelineEventType.POST_ADDED, cursor=encode_cursor(post.row_id), post=post)
        for post in posts
    ]


def _removed(post_id: int) -> HomeTimelineEvent:
    return HomeTimelineEvent(
        type=HomeTimelineEventType.POST_REMOVED, post_id=strawberry.ID(to_global_id("Post", post_id))
    )


async def _catch_up(
    info: Info, viewer_id: int, cursor: int, seen: set[int], delivered: set[int], *, look_back: bool = True
) -> list[HomeTimelineEvent]:
    services = info.context.services
    # Fan-out lag can land an older post after a newer one was sent: look back a window, but
    # never below the oldest post the client holds (it pages further down by itself)
    window_start = cursor
    if look_back:
        window_start = id_floor_for(id_time(cursor) - services.settings.live_catch_up_window)
    if seen:
        window_start = max(window_start, min(seen))
    records, complete = await services.home.newer_than(viewer_id, window_start, MAX_REPLAY)
    if not complete:
        return [HomeTimelineEvent(type=HomeTimelineEventType.RESYNC)]
    missed = [r for r in records if r.id not in seen and r.id not in delivered]
    events = await _added(info, missed)
    # Posts the client holds that were deleted meanwhile
    if seen:
        for record in await services.posts.get_many(sorted(seen)):
            if record is not None and _deleted_from_view(record, viewer_id):
                events.append(_removed(record.id))
    return events


def _deleted_from_view(record: PostRecord, viewer_id: int) -> bool:
    """Whether the post was deleted after the viewer could have seen it. A client may list any
    id in `seen`: a removal for a post that never was published (its media never all ready)
    would tell anyone that it existed."""
    if record.status is not PostStatus.DELETED:
        return False
    return record.author_id == viewer_id or all(item.state is MediaState.READY for item in record.media)


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

    def stamp(self, events: list[HomeTimelineEvent]) -> list[HomeTimelineEvent]:
        """Give removals the stream's resume point as their cursor, so every event but RESYNC
        tells the client where to resume (a removal does not move it)."""
        resume = encode_cursor(self.resume_point()[0])
        for event in events:
            if event.cursor is None and event.type is not HomeTimelineEventType.RESYNC:
                event.cursor = resume
        return events

    def forget_old(self) -> None:
        if len(self.delivered) > MAX_REPLAY * 4:
            newest = sorted(self.delivered)[-MAX_REPLAY:]
            self.delivered.clear()
            self.delivered.update(newest)


async def _events_for(
    info: Info, viewer_id: int, message: dict[str, object], replay: _Replay
) -> list[HomeTimelineEvent]:
    """The events one pub/sub message becomes; `replay.delivered` records the posts sent."""
    kind = message.get("type")
    events: list[HomeTimelineEvent] = []
    if kind == NEW_POST:
        post_id = int(str(message["postId"]))
        if post_id not in replay.delivered:
            record = message.get("record")  # prefetched once per process by the hub
            if not isinstance(record, PostRecord):
                (record,) = await info.context.services.posts.get_many([post_id])
            if record is not None and record.is_visible:
                events = await _added(info, [record])
    elif kind == DELETED_POST:
        events = [_removed(int(str(message["postId"])))]
    elif kind == AUTHOR_REMOVED:
        author = strawberry.ID(to_global_id("User", int(str(message["authorId"]))))
        events = [HomeTimelineEvent(type=HomeTimelineEventType.AUTHOR_REMOVED, author_id=author)]
    elif kind == RESYNC:
        start, look_back = replay.resume_point()
        events = await _catch_up(info, viewer_id, start, replay.seen, replay.delivered, look_back=look_back)
    replay.delivered.update(event.post.row_id for event in events if event.post is not None)
    return replay.stamp(events)


async def _stream(
    info: Info, viewer_id: int, subscription: LiveSubscription, replay: _Replay
) -> AsyncGenerator[HomeTimelineEvent, None]:
    services = info.context.services
    while True:
        try:
            message = await subscription.next()
        except SlowConsumerError:
            raise _slow_consumer() from None
        if message is None:
            return  # the server is shutting down; the socket closes next
        if message.get("type") in (AUTHOR_ADDED, AUTHOR_REMOVED):
            # A famous author's posts arrive on the author's channel, not the viewer's
            await subscription.change_channels(await _home_channels(services, viewer_id))
        for event in await _events_for(info, viewer_id, message, replay):
            yield event
        replay.forget_old()


async def home_timeline_updates(
    info: Info, after: str | None = None, seen: list[strawberry.ID] | None = None
) -> AsyncGenerator[HomeTimelineEvent, None]:
    context = info.context
    viewer_id = context.require_viewer()
    services = context.services
    cursor = decode_cursor(after)
    if seen is not None and len(seen) > MAX_SEEN:
        raise DomainError(ErrorCode.INVALID_INPUT, f"at most {MAX_SEEN} seen ids", "seen")
    known = {expect_global_id(post_id, "Post", "seen") for post_id in seen or ()}
    await services.home.ensure_ready(viewer_id)
    replay = _Replay(seen=known, since=cursor if cursor is not None else id_floor_for(utc_now()))
    connection_id = uuid.uuid4().hex
    await services.presence.mark_live(viewer_id, connection_id)
    subscription = await services.live_hub.open(await _home_channels(services, viewer_id))
    keep_alive = asyncio.create_task(_keep_alive(services, viewer_id, connection_id, subscription))
    try:
        # Replay what landed before the hub listened. With a cursor: what the client missed,
        # looking back for fan-out lag. Without: posts pushed between the start of the stream
        # and now, whose events went out before this process was subscribed.
        start, look_back = (cursor, True) if cursor is not None else (replay.since, False)
        for event in await _catch_up(
            info, viewer_id, start, replay.seen, replay.delivered, look_back=look_back
        ):
            if event.post is not None:
                replay.delivered.add(event.post.row_id)
            yield replay.stamp([event])[0]
        async for event in _stream(info, viewer_id, subscription, replay):
            yield event
    finally:
        keep_alive.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keep_alive
        await subscription.close()
        await services.presence.clear(viewer_id, connection_id)


async def post_updates(info: Info, id: strawberry.ID) -> AsyncGenerator[PostUpdate, None]:  # noqa: A002 - GraphQL argument name
    """The live counts of one post; bursts are coalesced, so a slow client sees the latest state."""
    services = info.context.services
    post_id = expect_global_id(id, "Post", "id")
    record = await services.posts.get(post_id)
    if record is None or not record.visible_to(info.context.viewer_id):
        raise not_found("post", "id")
    subscription = await services.live_hub.open([post_channel(post_id)], coalesce=True)
    watching = asyncio.create_task(services.live.watch_post(post_id))
    global_id = strawberry.ID(to_global_id("Post", post_id))
    try:
        (counts,) = await services.counters.get_many("post", [post_id])
        yield PostUpdate(post_id=global_id, like_count=counts["likes"], comment_count=counts["comments"])
        while True:
            message = await subscription.next()
            if message is None:
                return
            if message.get("type") == DELETED_POST:
                yield PostUpdate(post_id=global_id, like_count=0, comment_count=0, deleted=True)
                return
            if message.get("type") in (COUNTS, RESYNC):
                (counts,) = await services.counters.get_many("post", [post_id])
                yield PostUpdate(
                    post_id=global_id, like_count=counts["likes"], comment_count=counts["comments"]
                )
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await subscription.close()
