from __future__ import annotations

from strawberry.dataloader import DataLoader

from services.posts.service import PostRecord, PostService


class PostByIdLoader(DataLoader[int, PostRecord | None]):
    """Posts in key order, cache-first; None for an unknown id. Deleted posts are returned as such."""

    def __init__(self, posts: PostService) -> None:
        super().__init__(load_fn=posts.get_many)
