"""What privacy and safety publish (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class UserBlocked(DomainEvent):
    """`blocker_id` blocked `blocked_id`; their follow edges and requests are already gone."""

    blocker_id: int
    blocked_id: int


@dataclass(frozen=True, slots=True)
class UserMuted(DomainEvent):
    muter_id: int
    muted_id: int
