"""Publishing a post with media: claim the uploads, store the post, start processing.

Every step either completes or is undone, so no input leaves a half-written post or a
claimed upload behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.posts.service import validate_caption

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.foundation.ids import IdGenerator
    from services.media.processing import MediaProcessor
    from services.media.uploads import MediaRequest, UploadService
    from services.posts.service import PostRecord, PostService


class PostComposer:
    def __init__(
        self, posts: PostService, uploads: UploadService, processor: MediaProcessor, ids: IdGenerator
    ) -> None:
        self._posts = posts
        self._uploads = uploads
        self._processor = processor
        self._ids = ids

    async def ensure_indexes(self) -> None:
        """Owns no storage."""

    async def create(self, author_id: int, caption: str, media: Sequence[MediaRequest] | None) -> PostRecord:
        """A caption-only post when `media` is None; otherwise 1 to 10 uploads, processed first."""
        validate_caption(caption)
        post_id = self._ids.next_id()
        items = await self._uploads.claim(author_id, post_id, media) if media is not None else []
        try:
            record = await self._posts.create(author_id, caption, items, post_id=post_id)
        except BaseException:
            await self._uploads.release([request.upload_id for request in media or ()])
            raise
        if items:
            await self._processor.submit(record)
        return record
