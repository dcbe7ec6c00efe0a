"""What each fact should contribute to notifications, read from the fact's owner as it is now.

A job never trusts the event that enqueued it: it asks the owning service whether the like,
comment, follow or caption still exists, and the answer (possibly nothing) is what the
notification store is made to match. So an undo, a retry or a late job all end the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.notifications.records import Contribution, NotificationKind
from services.posts import text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.accounts.users import UserService
    from services.engagement.comments import CommentService
    from services.engagement.likes import LikeService
    from services.posts.records import PostRecord
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy
    from services.social.follows import FollowService


def like_source(post_id: int, user_id: int) -> str:
    return f"like:{post_id}:{user_id}"


def comment_source(comment_id: int) -> str:
    return f"comment:{comment_id}"


def follow_source(follower_id: int, followee_id: int) -> str:
    return f"follow:{follower_id}:{followee_id}"


def caption_source(post_id: int) -> str:
    return f"caption:{post_id}"


def _not_to_self(contributions: list[Contribution]) -> list[Contribution]:
    return [c for c in contributions if c.actor_id != c.recipient_id]


class Contributions:
    def __init__(
        self,
        *,
        users: UserService,
        posts: PostService,
        likes: LikeService,
        comments: CommentService,
        follows: FollowService,
        policy: VisibilityPolicy,
    ) -> None:
        self._policy = policy
        self._users = users
        self._posts = posts
        self._likes = likes
        self._comments = comments
        self._follows = follows

    async def _visible_post(self, post_id: int) -> PostRecord | None:
        post = await self._posts.get(post_id)
        return post if post is not None and post.is_visible else None

    async def _reachable(self, actor_id: int, author_id: int, mentioned: Sequence[int]) -> list[int]:
        """The mentioned people a mention notifies: not blocked either way with whoever
        mentioned them, and able to see the post's author (a private account's post notifies
        only its approved followers)."""
        unblocked = await self._policy.unblocked(actor_id, mentioned)
        return [
            user_id
            for user_id in mentioned
            if user_id in unblocked and await self._policy.can_see(user_id, author_id)
        ]

    async def of_like(self, post_id: int, user_id: int) -> list[Contribution]:
        post = await self._visible_post(post_id)
        like = await self._likes.get(post_id, user_id) if post is not None else None
        if post is None or like is None:
            return []
        source = like_source(post_id, user_id)
        kind = NotificationKind.LIKE
        return _not_to_self(
            [Contribution(source, post.author_id, kind, user_id, like.id, like.created_at, post_id)]
        )

    async def of_comment(self, comment_id: int, post_id: int) -> list[Contribution]:
        """The post's author hears of the comment; people it @mentions, of the mention."""
        post = await self._visible_post(post_id)
        comment = await self._comments.get(comment_id) if post is not None else None
        if post is None or comment is None:
            return []
        source = comment_source(comment_id)
        made = [
            Contribution(
                source,
                post.author_id,
                NotificationKind.COMMENT,
                comment.author_id,
                comment.id,
                comment.created_at,
                post_id,
            )
        ]
        # The post's author already hears of the comment itself: one notification, not two
        mentioned = await self._reachable(
            comment.author_id,
            post.author_id,
            await self._users.ids_for_usernames(text.mentions(comment.text)),
        )
        made += [
            Contribution(
                source,
                user_id,
                NotificationKind.MENTION,
                comment.author_id,
                comment.id,
                comment.created_at,
                post_id,
            )
            for user_id in mentioned
            if user_id != post.author_id
        ]
        return _not_to_self(made)

    async def of_follow(self, follower_id: int, followee_id: int) -> list[Contribution]:
        edge = await self._follows.edge(follower_id, followee_id)
        if edge is None:
            return []
        source = follow_source(follower_id, followee_id)
        kind = NotificationKind.FOLLOW
        return _not_to_self([Contribution(source, followee_id, kind, follower_id, edge.id, edge.created_at)])

    async def of_caption(self, post_id: int) -> list[Contribution]:
        post = await self._visible_post(post_id)
        if post is None:
            return []
        source = caption_source(post_id)
        kind = NotificationKind.MENTION
        return _not_to_self(
            [
                Contribution(source, user_id, kind, post.author_id, post.id, post.created_at, post_id)
                for user_id in await self._reachable(post.author_id, post.author_id, post.mention_ids)
            ]
        )
