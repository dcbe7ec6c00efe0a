"""What accounts publish (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class AccountCreated(DomainEvent):
    user_id: int


@dataclass(frozen=True, slots=True)
class ProfileUpdated(DomainEvent):
    """A profile's public fields (display name, bio) changed."""

    user_id: int


@dataclass(frozen=True, slots=True)
class ProfileViewed(DomainEvent):
    """A signed-in viewer opened another user's profile."""

    viewer_id: int
    profile_id: int
