"""Grouped notifications and their live events."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.cursors import encode_cursor
from schema.types import post as post_types
from schema.types import user as user_types
from schema.types.common import PageInfo, UserError
from schema.types.connections import page_info
from services.notifications.records import NotificationKind
from services.notifications.stream import NotificationEventKind

if TYPE_CHECKING:
    from resolvers.notifications import GroupView, LiveNotification
    from resolvers.pages import EdgePage
    from schema.types.post import Post
    from schema.types.user import User

PostRef = Annotated["Post", strawberry.lazy("schema.types.post")]
UserRef = Annotated["User", strawberry.lazy("schema.types.user")]

NotificationKindEnum = strawberry.enum(
    NotificationKind,
    name="NotificationKind",
    description="LIKE and COMMENT on the viewer's post, a new FOLLOW, a MENTION in a caption or comment.",
)
NotificationEventTypeEnum = strawberry.enum(
    NotificationEventKind,
    name="NotificationEventType",
    description="GROUP_UPDATED: a group is new or changed (move it to the top); GROUP_REMOVED: drop it "
    "(undone, its post deleted, or past the newest 500); READ: the read mark moved (another device); "
    "RESYNC: events were missed, reload `viewer.notifications`.",
)


def notification_group_id(group_id: str) -> strawberry.ID:
    return strawberry.ID(
        base64.urlsafe_b64encode(f"NotificationGroup:{group_id}".encode()).decode().rstrip("=")
    )


@strawberry.type(
    description='What happened, grouped as people read it: "mina and 3 others liked your post". One group '
    "per post and kind (likes, comments, mentions), one per day for new followers."
)
class NotificationGroup:
    id: strawberry.ID
    kind: NotificationKindEnum  # type: ignore[valid-type]
    post: PostRef | None = strawberry.field(description="The post it is about; null for FOLLOW.")
    actors: list[UserRef] = strawberry.field(description="The newest distinct people who acted, at most 3.")
    total_count: int = strawberry.field(
        description="How many likes, comments, follows or mentions it gathers."
    )
    latest_at: datetime = strawberry.field(description="When its newest activity happened.")
    day: date | None = strawberry.field(description="The day of a FOLLOW group (UTC).")
    read: bool

    @classmethod
    def from_view(cls, view: GroupView) -> NotificationGroup:
        group = view.group
        return cls(
            id=notification_group_id(group.id),
            kind=group.kind,
            post=post_types.Post.from_record(view.post) if view.post is not None else None,
            actors=[user_types.User.from_record(actor) for actor in view.actors],
            total_count=view.total,
            latest_at=group.latest_at,
            day=date.fromisoformat(group.day) if group.day is not None else None,
            read=view.read,
        )


@strawberry.type
class NotificationGroupEdge:
    cursor: str
    node: NotificationGroup


@strawberry.type
class NotificationGroupConnection:
    edges: list[NotificationGroupEdge]
    page_info: PageInfo


def notification_connection(page: EdgePage[GroupView]) -> NotificationGroupConnection:
    return NotificationGroupConnection(
        edges=[
            NotificationGroupEdge(cursor=encode_cursor(edge.key), node=NotificationGroup.from_view(edge.node))
            for edge in page.edges
        ],
        page_info=page_info(page.keys, page.has_next, page.has_previous),
    )


@strawberry.type
class MarkNotificationsReadPayload:
    unread_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_count(cls, unread: int) -> MarkNotificationsReadPayload:
        return cls(unread_count=unread)


@strawberry.type(description="A change to the viewer's notifications, with the unread count after it.")
class NotificationEvent:
    type: NotificationEventTypeEnum  # type: ignore[valid-type]
    unread_count: int
    group: NotificationGroup | None = strawberry.field(description="The group as it is now (GROUP_UPDATED).")
    group_id: strawberry.ID | None = strawberry.field(
        description="The group's id (GROUP_UPDATED, GROUP_REMOVED)."
    )

    @classmethod
    def from_live(cls, live: LiveNotification) -> NotificationEvent:
        event = live.event
        return cls(
            type=event.kind,
            unread_count=event.unread_count,
            group=NotificationGroup.from_view(live.view) if live.view is not None else None,
            group_id=notification_group_id(event.group_id) if event.group_id is not None else None,
        )
