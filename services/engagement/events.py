"""What likes and comments publish (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class LikeAdded(DomainEvent):
    user_id: int
    post_id: int
    post_author_id: int


@dataclass(frozen=True, slots=True)
class LikeRemoved(DomainEvent):
    user_id: int
    post_id: int
    post_author_id: int


@dataclass(frozen=True, slots=True)
class CommentAdded(DomainEvent):
    comment_id: int
    author_id: int
    post_id: int
    post_author_id: int
    text: str


@dataclass(frozen=True, slots=True)
class CommentDeleted(DomainEvent):
    comment_id: int
    author_id: int
    post_id: int
    post_author_id: int | None
