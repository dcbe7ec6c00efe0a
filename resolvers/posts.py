"""Reading, publishing and deleting posts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import expect_global_id
from services.foundation.errors import not_found
from services.media.uploads import MediaRequest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resolvers.context import Info
    from services.posts.records import PostRecord


async def post(info: Info, post_id: str) -> PostRecord:
    raw_id = expect_global_id(post_id, "Post", "id")
    record = await info.context.loaders.post_by_id.load(raw_id)
    viewer_id = info.context.viewer_id
    if (
        record is None
        or not record.visible_to(viewer_id)
        or not await info.context.services.policy.can_see(viewer_id, record.author_id)
    ):
        raise not_found("post", "id")
    return record


async def create_post(info: Info, caption: str, media: Sequence[tuple[str, str]] | None) -> PostRecord:
    """`media` holds (upload id, alt text) pairs, or is None for a caption-only post."""
    viewer_id = info.context.require_viewer()
    requests = None
    if media is not None:
        requests = [
            MediaRequest(expect_global_id(upload_id, "Upload", f"media.{index}.uploadId"), alt_text)
            for index, (upload_id, alt_text) in enumerate(media)
        ]
    return await info.context.services.composer.create(viewer_id, caption, requests)


async def delete_post(info: Info, post_id: str) -> int:
    viewer_id = info.context.require_viewer()
    raw_id = expect_global_id(post_id, "Post", "id")
    await info.context.services.posts.delete(viewer_id, raw_id)
    return raw_id
