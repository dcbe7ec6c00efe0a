"""What the post service publishes (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.foundation.events import DomainEvent

if TYPE_CHECKING:
    from services.posts.records import PostRecord


@dataclass(frozen=True, slots=True)
class PostBecameVisible(DomainEvent):
    """A post became visible to others: at creation, or when its last media item got ready."""

    post: PostRecord


@dataclass(frozen=True, slots=True)
class PostDeleted(DomainEvent):
    """A post was deleted; `was_visible` tells whether others could see it until now."""

    post: PostRecord
    was_visible: bool


@dataclass(frozen=True, slots=True)
class ArchivedPostsRead(DomainEvent):
    """Posts that live in the archive (cold) tier were read, from the store or the cache."""

    post_ids: tuple[int, ...]
