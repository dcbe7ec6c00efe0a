"""Fields of a user that need a lookup: counts, relations to the viewer, private settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.foundation.errors import forbidden

if TYPE_CHECKING:
    from datetime import datetime

    from resolvers.context import Info
    from services.timeline.user_classes import UserClass


@dataclass(frozen=True, slots=True)
class AccountSettingsRecord:
    last_seen_at: datetime | None
    user_class: UserClass


async def count(info: Info, user_id: int, field: str) -> int:
    return (await info.context.loaders.user_counts.load(user_id))[field]


async def viewer_follows(info: Info, user_id: int) -> bool:
    return await info.context.loaders.viewer_follows.load(user_id)


async def follows_viewer(info: Info, user_id: int) -> bool:
    return await info.context.loaders.follows_viewer.load(user_id)


async def account_settings(info: Info, user_id: int) -> AccountSettingsRecord:
    if info.context.viewer_id != user_id:
        raise forbidden("account settings are private to their owner")
    services = info.context.services
    (last_seen,) = await services.activity.last_seen([user_id])
    user_class = await services.classes.classify(user_id)
    return AccountSettingsRecord(last_seen_at=last_seen, user_class=user_class)
