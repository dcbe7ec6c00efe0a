"""A comment as the services hand it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CommentRecord:
    id: int
    post_id: int
    author_id: int
    text: str
    created_at: datetime

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> CommentRecord:
        return cls(
            id=document["_id"],
            post_id=document["post_id"],
            author_id=document["author_id"],
            text=document["text"],
            created_at=document["created_at"].astimezone(UTC),
        )
