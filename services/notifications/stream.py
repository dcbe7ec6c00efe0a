"""The live notifications of one signed-in user: new or changed groups, removals, read marks.

Events on `live:notifications:<uid>` carry a group id only; the stream reads the group as it
is when the event arrives, so a burst of changes to one group shows its latest state. A client
that falls behind, or whose process lost Redis for a moment, gets RESYNC: reload the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from services.live.hub import RESYNC, SlowConsumerError
from services.notifications.service import GROUP_CHANGED, MARKED_READ, notifications_channel

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from services.live.hub import LiveHub
    from services.notifications.records import NotificationGroup
    from services.notifications.service import NotificationService


class NotificationEventKind(Enum):
    GROUP_UPDATED = "GROUP_UPDATED"
    GROUP_REMOVED = "GROUP_REMOVED"
    READ = "READ"
    RESYNC = "RESYNC"


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    kind: NotificationEventKind
    unread_count: int
    read_up_to: int
    group_id: str | None = None
    group: NotificationGroup | None = None


class NotificationStream:
    def __init__(self, *, notifications: NotificationService, hub: LiveHub) -> None:
        self._notifications = notifications
        self._hub = hub

    async def open(self, viewer_id: int) -> AsyncGenerator[NotificationEvent, None]:
        subscription = await self._hub.open([notifications_channel(viewer_id)])
        try:
            while True:
                try:
                    message = await subscription.next()
                except SlowConsumerError:
                    yield await self._event(viewer_id, NotificationEventKind.RESYNC)
                    return
                if message is None:
                    return
                yield await self._from_message(viewer_id, message)
        finally:
            await subscription.close()

    async def _from_message(self, viewer_id: int, message: dict[str, Any]) -> NotificationEvent:
        kind = message.get("type")
        if kind == RESYNC:
            return await self._event(viewer_id, NotificationEventKind.RESYNC)
        if kind == MARKED_READ:
            return await self._event(viewer_id, NotificationEventKind.READ)
        group_id = str(message.get("groupId"))
        group = await self._notifications.store.get(group_id) if kind == GROUP_CHANGED else None
        if group is None or group.recipient_id != viewer_id:
            return await self._event(viewer_id, NotificationEventKind.GROUP_REMOVED, group_id)
        return await self._event(viewer_id, NotificationEventKind.GROUP_UPDATED, group_id, group)

    async def _event(
        self,
        viewer_id: int,
        kind: NotificationEventKind,
        group_id: str | None = None,
        group: NotificationGroup | None = None,
    ) -> NotificationEvent:
        read_up_to = await self._notifications.read_up_to(viewer_id)
        unread = await self._notifications.store.count_unread(viewer_id, read_up_to)
        return NotificationEvent(kind, unread, read_up_to, group_id, group)
