from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.shielded import ShieldedLoader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.engagement.likes import LikeService


class ViewerLikeByPostIdLoader(ShieldedLoader[int, bool]):
    """Has the viewer liked this post? One Redis call answers a page (false when signed out)."""

    def __init__(self, likes: LikeService, viewer_id: int | None) -> None:
        async def load(post_ids: Sequence[int]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(post_ids)
            liked = await likes.liked_which(viewer_id, post_ids)
            return [pid in liked for pid in post_ids]

        super().__init__(load_fn=load)
