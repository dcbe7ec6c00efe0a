from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.shielded import ShieldedLoader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.social.follows import FollowService


class ViewerFollowByUserIdLoader(ShieldedLoader[int, bool]):
    """Does the viewer follow this user? One query answers a page (false when signed out)."""

    def __init__(self, follows: FollowService, viewer_id: int | None) -> None:
        async def load(user_ids: Sequence[int]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(user_ids)
            followed = await follows.follows_which(viewer_id, user_ids)
            return [uid in followed for uid in user_ids]

        super().__init__(load_fn=load)
