"""What accounts publish (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class AccountCreated(DomainEvent):
    user_id: int


@dataclass(frozen=True, slots=True)
class ProfileUpdated(DomainEvent):
    """A profile changed: its public fields (display name, bio) or whether it is private."""

    user_id: int
    made_public: bool = False  # it was private and is not any more


@dataclass(frozen=True, slots=True)
class ProfileViewed(DomainEvent):
    """A signed-in viewer opened another user's profile."""

    viewer_id: int
    profile_id: int
