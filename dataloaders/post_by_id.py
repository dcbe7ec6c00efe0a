from __future__ import annotations

from dataloaders.shielded import ShieldedLoader
from services.posts.service import PostRecord, PostService


class PostByIdLoader(ShieldedLoader[int, PostRecord | None]):
    """Posts in key order, cache-first; None for an unknown id. Deleted posts are returned as such."""

    def __init__(self, posts: PostService) -> None:
        super().__init__(load_fn=posts.get_many)
