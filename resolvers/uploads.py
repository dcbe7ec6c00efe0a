"""Presigned upload targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.media.uploads import UploadTicket


async def request_upload(info: Info, content_type: str, byte_size: int) -> UploadTicket:
    viewer_id = info.context.require_viewer()
    return await info.context.services.uploads.request(viewer_id, content_type, byte_size)
