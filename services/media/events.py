"""What media processing publishes (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class MediaProcessed(DomainEvent):
    """One attempt at a media item ended: outcome is READY, FAILED or RETRY."""

    kind: str
    outcome: str
    seconds: float
