"""Follow, like and comment mutations."""

from __future__ import annotations

import strawberry

from resolvers.mutation_errors import as_payload
from schema.context import Info
from schema.ids import expect_global_id, to_global_id
from schema.types.comment import Comment
from schema.types.payloads import AddCommentPayload, DeleteCommentPayload, FollowPayload, LikePayload
from schema.types.post import Post
from schema.types.user import User


async def _follow_change(info: Info, user_id: strawberry.ID, *, follow: bool) -> FollowPayload:
    async def action() -> FollowPayload:
        viewer_id = info.context.require_viewer()
        target_id = expect_global_id(user_id, "User", "userId")
        follows = info.context.services.follows
        changed = await (follows.follow if follow else follows.unfollow)(viewer_id, target_id)
        record = await info.context.loaders.user_by_id.load(target_id)
        return FollowPayload(user=User.from_record(record) if record else None, changed=changed)

    return await as_payload(FollowPayload, action)


async def follow(info: Info, user_id: strawberry.ID) -> FollowPayload:
    return await _follow_change(info, user_id, follow=True)


async def unfollow(info: Info, user_id: strawberry.ID) -> FollowPayload:
    return await _follow_change(info, user_id, follow=False)


async def _like_change(info: Info, post_id: strawberry.ID, *, like: bool) -> LikePayload:
    async def action() -> LikePayload:
        viewer_id = info.context.require_viewer()
        target_id = expect_global_id(post_id, "Post", "postId")
        likes = info.context.services.likes
        changed = await (likes.like if like else likes.unlike)(viewer_id, target_id)
        record = await info.context.loaders.post_by_id.load(target_id)
        return LikePayload(post=Post.from_record(record) if record else None, changed=changed)

    return await as_payload(LikePayload, action)


async def like_post(info: Info, post_id: strawberry.ID) -> LikePayload:
    return await _like_change(info, post_id, like=True)


async def unlike_post(info: Info, post_id: strawberry.ID) -> LikePayload:
    return await _like_change(info, post_id, like=False)


async def add_comment(info: Info, post_id: strawberry.ID, text: str) -> AddCommentPayload:
    async def action() -> AddCommentPayload:
        viewer_id = info.context.require_viewer()
        target_id = expect_global_id(post_id, "Post", "postId")
        record = await info.context.services.comments.add(viewer_id, target_id, text)
        return AddCommentPayload(comment=Comment.from_record(record))

    return await as_payload(AddCommentPayload, action)


async def delete_comment(info: Info, id: strawberry.ID) -> DeleteCommentPayload:  # noqa: A002 - GraphQL argument name
    async def action() -> DeleteCommentPayload:
        viewer_id = info.context.require_viewer()
        comment_id = expect_global_id(id, "Comment", "id")
        await info.context.services.comments.delete(viewer_id, comment_id)
        return DeleteCommentPayload(deleted_comment_id=strawberry.ID(to_global_id("Comment", comment_id)))

    return await as_payload(DeleteCommentPayload, action)
