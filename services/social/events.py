"""What the social graph publishes (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class FollowAdded(DomainEvent):
    follower_id: int
    followee_id: int


@dataclass(frozen=True, slots=True)
class FollowRemoved(DomainEvent):
    follower_id: int
    followee_id: int
