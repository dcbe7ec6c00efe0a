from __future__ import annotations

from resolvers.mutation_errors import as_payload
from schema.context import Info
from schema.types.upload import RequestUploadPayload, Upload


async def request_upload(info: Info, content_type: str, byte_size: int) -> RequestUploadPayload:
    async def action() -> RequestUploadPayload:
        viewer_id = info.context.require_viewer()
        ticket = await info.context.services.uploads.request(viewer_id, content_type, byte_size)
        return RequestUploadPayload(upload=Upload.from_ticket(ticket))

    return await as_payload(RequestUploadPayload, action)
