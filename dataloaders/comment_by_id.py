from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.shielded import ShieldedLoader
from services.engagement.comment_records import CommentRecord

if TYPE_CHECKING:
    from services.engagement.comments import CommentService


class CommentByIdLoader(ShieldedLoader[int, CommentRecord | None]):
    def __init__(self, comments: CommentService) -> None:
        super().__init__(load_fn=comments.get_many)
