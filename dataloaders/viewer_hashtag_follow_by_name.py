from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from services.hashtags.follows import HashtagFollows


class ViewerHashtagFollowByNameLoader(DataLoader[str, bool]):
    """Does the viewer follow this (normalised) hashtag? One cached read answers a page."""

    def __init__(self, follows: HashtagFollows, viewer_id: int | None) -> None:
        async def load(tags: Sequence[str]) -> list[bool]:
            if viewer_id is None:
                return [False] * len(tags)
            followed = await follows.follows_which(viewer_id, tags)
            return [tag in followed for tag in tags]

        super().__init__(load_fn=load)
