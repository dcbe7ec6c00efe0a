"""Viewer-specific flags, batched per request: one query answers a whole page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.engagement.likes import LikeService
    from services.social.follows import FollowService


class ViewerHasLikedLoader(DataLoader[int, bool]):
    def __init__(self, likes: LikeService, viewer_id: int | None) -> None:
        async def load(post_ids: Sequence[int]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(post_ids)
            liked = await likes.liked_which(viewer_id, post_ids)
            return [pid in liked for pid in post_ids]

        super().__init__(load_fn=load)


class ViewerFollowsLoader(DataLoader[int, bool]):
    """Does the viewer follow this user?"""

    def __init__(self, follows: FollowService, viewer_id: int | None) -> None:
        async def load(user_ids: Sequence[int]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(user_ids)
            followed = await follows.follows_which(viewer_id, user_ids)
            return [uid in followed for uid in user_ids]

        super().__init__(load_fn=load)


class FollowsViewerLoader(DataLoader[int, bool]):
    """Does this user follow the viewer?"""

    def __init__(self, follows: FollowService, viewer_id: int | None) -> None:
        async def load(user_ids: Sequence[int]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(user_ids)
            followers = await follows.followed_by_which(viewer_id, user_ids)
            return [uid in followers for uid in user_ids]

        super().__init__(load_fn=load)
