"""Notifications: the viewer's groups, their unread count and read mark, and the live stream."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.cursors import decode_cursor
from resolvers.pages import Edge, EdgePage
from services.foundation.errors import DomainError, ErrorCode, forbidden
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from dataloaders import Loaders
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.notifications.records import NotificationGroup
    from services.notifications.stream import NotificationEvent
    from services.posts.records import PostRecord


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group with what a screen shows of it: its count, its newest actors and its post."""

    group: NotificationGroup
    total: int
    actors: list[UserRecord]
    post: PostRecord | None
    read: bool


@dataclass(frozen=True, slots=True)
class LiveNotification:
    event: NotificationEvent
    view: GroupView | None


def _owner_only(info: Info, user_id: int) -> int:
    if info.context.viewer_id != user_id:
        raise forbidden("notifications are private to their owner")
    return user_id


async def _views(
    info: Info, loaders: Loaders, groups: Sequence[NotificationGroup], read_up_to: int
) -> list[GroupView]:
    notifications = info.context.services.notifications
    totals, actors, posts = await asyncio.gather(
        notifications.activity_counts(groups),
        loaders.user_by_id.load_many([actor for group in groups for actor in group.actor_ids]),
        loaders.post_by_id.load_many([group.post_id for group in groups if group.post_id is not None]),
    )
    users = {user.id: user for user in actors if user is not None}
    by_post = {post.id: post for post in posts if post is not None and post.is_visible}
    return [
        GroupView(
            group=group,
            total=total,
            actors=[users[actor] for actor in group.actor_ids if actor in users],
            post=by_post.get(group.post_id) if group.post_id is not None else None,
            read=group.latest_seq <= read_up_to,
        )
        for group, total in zip(groups, totals, strict=True)
    ]


async def notifications(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[GroupView]:
    viewer_id = _owner_only(info, user_id)
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    service = info.context.services.notifications
    page = await service.page(viewer_id, after_key, limit)
    views = await _views(info, info.context.loaders, page.items, await service.read_up_to(viewer_id))
    return EdgePage(
        edges=[Edge(view.group.latest_seq, view) for view in views],
        keys=[group.latest_seq for group in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )


async def unread_count(info: Info, user_id: int) -> int:
    return await info.context.services.notifications.unread_count(_owner_only(info, user_id))


async def mark_read(info: Info, up_to: str | None) -> int:
    viewer_id = info.context.require_viewer()
    try:
        up_to_key = decode_cursor(up_to)
    except DomainError:
        raise DomainError(
            ErrorCode.INVALID_CURSOR, "upTo must be a cursor of viewer.notifications", "upTo"
        ) from None
    return await info.context.services.notifications.mark_read(viewer_id, up_to_key)


async def notification_events(info: Info) -> AsyncGenerator[LiveNotification, None]:
    context = info.context
    viewer_id = context.require_viewer()
    async for event in context.services.notification_stream.open(viewer_id):
        view = None
        if event.group is not None:
            # Fresh loaders: the actors and the post as they are now
            (view,) = await _views(info, context.renew_loaders(), [event.group], event.read_up_to)
        yield LiveNotification(event, view)
