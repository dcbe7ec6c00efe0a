from __future__ import annotations

from dataloaders.shielded import ShieldedLoader
from services.engagement.comments import CommentRecord, CommentService


class CommentByIdLoader(ShieldedLoader[int, CommentRecord | None]):
    def __init__(self, comments: CommentService) -> None:
        super().__init__(load_fn=comments.get_many)
