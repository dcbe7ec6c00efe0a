"""What accounts publish (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class SessionRevoked(DomainEvent):
    """A bearer token was revoked (sign-out): nothing may be served with it any more."""

    session_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class ProfileViewed(DomainEvent):
    """A signed-in viewer opened another user's profile."""

    viewer_id: int
    profile_id: int
