"""Opening a profile: the user it shows, and, for a signed-in viewer, the fact of the visit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.accounts.events import ProfileViewed

if TYPE_CHECKING:
    from services.accounts.users import UserRecord, UserService
    from services.foundation.events import EventBus


class ProfileViews:
    def __init__(self, users: UserService, *, bus: EventBus) -> None:
        self._users = users
        self._bus = bus

    async def open(self, username: str, viewer_id: int | None) -> UserRecord | None:
        """The user named `username`; a visit by someone else who is signed in is published."""
        record = await self._users.get_by_username(username)
        if record is not None and viewer_id is not None and viewer_id != record.id:
            await self._bus.publish(ProfileViewed(viewer_id=viewer_id, profile_id=record.id))
        return record
