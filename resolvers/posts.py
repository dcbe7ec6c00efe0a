from __future__ import annotations

import strawberry

from resolvers.mutation_errors import as_payload
from schema.context import Info
from schema.ids import expect_global_id, to_global_id
from schema.types.payloads import CreatePostPayload, DeletePostPayload
from schema.types.post import Post
from schema.types.upload import MediaInput
from services.foundation.errors import not_found
from services.media.uploads import MediaRequest


async def post(info: Info, id: strawberry.ID) -> Post | None:  # noqa: A002 - GraphQL argument name
    post_id = expect_global_id(id, "Post", "id")
    record = await info.context.loaders.post_by_id.load(post_id)
    if record is None or not record.visible_to(info.context.viewer_id):
        raise not_found("post", "id")
    return Post.from_record(record)


async def create_post(
    info: Info, caption: str = "", media: list[MediaInput] | None = None
) -> CreatePostPayload:
    async def action() -> CreatePostPayload:
        viewer_id = info.context.require_viewer()
        requests = None
        if media is not None:
            requests = [
                MediaRequest(
                    expect_global_id(item.upload_id, "Upload", f"media.{index}.uploadId"), item.alt_text
                )
                for index, item in enumerate(media)
            ]
        record = await info.context.services.composer.create(viewer_id, caption, requests)
        return CreatePostPayload(post=Post.from_record(record))

    return await as_payload(CreatePostPayload, action)


async def delete_post(info: Info, id: strawberry.ID) -> DeletePostPayload:  # noqa: A002 - GraphQL argument name
    async def action() -> DeletePostPayload:
        viewer_id = info.context.require_viewer()
        post_id = expect_global_id(id, "Post", "id")
        await info.context.services.posts.delete(viewer_id, post_id)
        return DeletePostPayload(deleted_post_id=strawberry.ID(to_global_id("Post", post_id)))

    return await as_payload(DeletePostPayload, action)
