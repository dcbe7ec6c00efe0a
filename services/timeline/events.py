"""What the timeline publishes (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class PostPushed(DomainEvent):
    """A post was written into these readers' feeds; `live_reader_ids` have a stream open."""

    post_id: int
    author_id: int
    live_reader_ids: tuple[int, ...]
    visible_at: float  # epoch seconds when the post became visible, for delivery latency


@dataclass(frozen=True, slots=True)
class PostUnpushed(DomainEvent):
    """A deleted post was taken out of these readers' feeds; `live_reader_ids` have a stream open."""

    post_id: int
    author_id: int
    live_reader_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FamousPostPublished(DomainEvent):
    """A famous author's post became readable: it is pulled at read time, not pushed."""

    post_id: int
    author_id: int
    visible_at: float


@dataclass(frozen=True, slots=True)
class FanoutFinished(DomainEvent):
    """Every follower's feed holds the post: `lag_s` since it became visible."""

    post_id: int
    lag_s: float
