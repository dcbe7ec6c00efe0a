from __future__ import annotations

from strawberry.dataloader import DataLoader

from services.engagement.comments import CommentRecord, CommentService


class CommentByIdLoader(DataLoader[int, CommentRecord | None]):
    def __init__(self, comments: CommentService) -> None:
        super().__init__(load_fn=comments.get_many)
