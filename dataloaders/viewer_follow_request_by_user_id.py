from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.shielded import ShieldedLoader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.privacy.follow_requests import FollowRequests


class ViewerFollowRequestByUserIdLoader(ShieldedLoader[int, bool]):
    """Has the viewer asked to follow this (private) user? One query answers a page."""

    def __init__(self, requests: FollowRequests, viewer_id: int | None) -> None:
        async def load(user_ids: Sequence[int]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(user_ids)
            requested = await requests.requested_which(viewer_id, user_ids)
            return [uid in requested for uid in user_ids]

        super().__init__(load_fn=load)
