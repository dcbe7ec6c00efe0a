"""Follow, like and comment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from resolvers.global_ids import expect_global_id
from services.privacy.service import FollowOutcome

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.engagement.comment_records import CommentRecord
    from services.posts.records import PostRecord

TargetT = TypeVar("TargetT")


@dataclass(frozen=True, slots=True)
class Change(Generic[TargetT]):
    """The object acted on (None if it vanished meanwhile), and whether anything changed."""

    target: TargetT | None
    changed: bool
    requested: bool = False  # a follow of a private account: a request is pending instead


async def follow(info: Info, user_id: str, *, follow: bool) -> Change[UserRecord]:
    viewer_id = info.context.require_viewer()
    target_id = expect_global_id(user_id, "User", "userId")
    services = info.context.services
    if not follow:
        changed = await services.follows.unfollow(viewer_id, target_id)
        return Change(await info.context.loaders.user_by_id.load(target_id), changed)
    changed, outcome = await services.privacy.follow(viewer_id, target_id)
    requested = outcome is FollowOutcome.REQUESTED
    return Change(await info.context.loaders.user_by_id.load(target_id), changed, requested=requested)


async def like(info: Info, post_id: str, *, like: bool) -> Change[PostRecord]:
    viewer_id = info.context.require_viewer()
    target_id = expect_global_id(post_id, "Post", "postId")
    likes = info.context.services.likes
    changed = await (likes.like if like else likes.unlike)(viewer_id, target_id)
    return Change(await info.context.loaders.post_by_id.load(target_id), changed)


async def add_comment(info: Info, post_id: str, text: str) -> CommentRecord:
    viewer_id = info.context.require_viewer()
    target_id = expect_global_id(post_id, "Post", "postId")
    return await info.context.services.comments.add(viewer_id, target_id, text)


async def delete_comment(info: Info, comment_id: str) -> int:
    viewer_id = info.context.require_viewer()
    raw_id = expect_global_id(comment_id, "Comment", "id")
    await info.context.services.comments.delete(viewer_id, raw_id)
    return raw_id
