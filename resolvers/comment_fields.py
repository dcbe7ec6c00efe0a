"""Fields of a comment that load another object."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.posts.records import PostRecord


async def author(info: Info, author_id: int) -> UserRecord | None:
    return await info.context.loaders.user_by_id.load(author_id)


async def post(info: Info, post_id: int) -> PostRecord | None:
    """The post, or None once it is deleted (or when the viewer may not see it)."""
    record = await info.context.loaders.post_by_id.load(post_id)
    if record is None or not record.visible_to(info.context.viewer_id):
        return None
    return record
