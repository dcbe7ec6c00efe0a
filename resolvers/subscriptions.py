"""Live subscriptions: adapters from the live package's streams to GraphQL.

They read the arguments, open the stream, and hydrate each batch of posts with fresh
loaders, so every event shows current counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aperture import metrics
from resolvers.cursors import decode_cursor
from resolvers.global_ids import expect_global_id
from resolvers.hydration import HydratedPost, hydrate_posts
from resolvers.selection import field_names_under
from services.foundation.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from resolvers.context import Info
    from services.live.home_stream import HomeStreamEvent
    from services.live.post_stream import PostLiveState
    from services.posts.records import PostRecord

MAX_SEEN = 200


@dataclass(frozen=True, slots=True)
class HomeUpdate:
    event: HomeStreamEvent
    post: HydratedPost | None


async def home_timeline_updates(
    info: Info,
    after: str | None,
    seen: list[str] | None,
    express: Callable[[HomeUpdate], Awaitable[bool]] | None = None,
) -> AsyncGenerator[HomeUpdate, None]:
    """The viewer's home timeline updates. `express` sends an update from a render made for
    another subscriber, if there is one (False when not): the live package offers it new posts
    straight from its hub while this subscription is idle, so they skip this generator."""
    context = info.context
    viewer_id = context.require_viewer()
    cursor = decode_cursor(after)
    if seen is not None and len(seen) > MAX_SEEN:
        raise DomainError(ErrorCode.INVALID_INPUT, f"at most {MAX_SEEN} seen ids", "seen")
    known = {expect_global_id(post_id, "Post", "seen") for post_id in seen or ()}
    # Only the viewer's likes are loaded up front: they key the render that subscribers of the
    # same operation share (schema/execution/shared_events.py); authors and counts load when
    # a render needs them, once per shared render
    fields = field_names_under(info, "post") & {"viewerHasLiked"}
    direct = _sender(express, liked_selected=bool(fields)) if express is not None else None
    async for events in context.services.home_stream.open(viewer_id, cursor, known, express=direct):
        records = [event.post for event in events if event.post is not None]
        hydrated = {}
        if records:
            loaders = context.renew_loaders()
            if all(event.viewer_liked is not None for event in events if event.post is not None):
                # The hub read this viewer's like with everyone else's: nothing to load here
                hydrated = {
                    event.post.id: _as_read_by_hub(event.post, event, liked_selected=bool(fields))
                    for event in events
                    if event.post is not None
                }
            else:
                hydrated = {post.record.id: post for post in await hydrate_posts(loaders, records, fields)}
        for event in events:
            yield HomeUpdate(event, hydrated.get(event.post.id) if event.post is not None else None)
            # Resumed once the transport has sent the event: the post's visible-to-screen time
            _record_delivery(event)


def _as_read_by_hub(post: PostRecord, event: HomeStreamEvent, *, liked_selected: bool) -> HydratedPost:
    """The post with the viewer's like the hub read for every viewer (nothing more to load)."""
    return HydratedPost(post, liked=event.viewer_liked if liked_selected else None)


def _record_delivery(event: HomeStreamEvent) -> None:
    if event.visible_at is not None:
        metrics.LIVE_DELIVERY_SECONDS.observe(max(0.0, time.time() - event.visible_at))


def _sender(
    express: Callable[[HomeUpdate], Awaitable[bool]], *, liked_selected: bool
) -> Callable[[HomeStreamEvent], Awaitable[bool]]:
    """An event as the update the generator would yield, handed to `express`."""

    async def send(event: HomeStreamEvent) -> bool:
        if event.post is None or (liked_selected and event.viewer_liked is None):
            return False  # the like must be loaded for this viewer: the usual way
        hydrated = _as_read_by_hub(event.post, event, liked_selected=liked_selected)
        if not await express(HomeUpdate(event, hydrated)):
            return False
        _record_delivery(event)
        return True

    return send


async def post_updates(info: Info, post_id: str) -> AsyncGenerator[PostLiveState, None]:
    raw_id = expect_global_id(post_id, "Post", "id")
    async for state in info.context.services.post_stream.open(raw_id, info.context.viewer_id):
        yield state
