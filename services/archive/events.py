"""What the archive publishes (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class PostsMovedTier(DomainEvent):
    """Posts moved between the hot and the archive tier (either way)."""

    post_ids: tuple[int, ...]
