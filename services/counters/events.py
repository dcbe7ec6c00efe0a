"""What the counters publish (see services/foundation/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.foundation.events import DomainEvent


@dataclass(frozen=True, slots=True)
class CountsChanged(DomainEvent):
    """A live counter of an entity moved (kind is "post" or "user")."""

    kind: str
    entity_id: int


@dataclass(frozen=True, slots=True)
class CountsSettled(DomainEvent):
    """A flush recounted the edges of some entities: `values` maps each id to its exact count."""

    kind: str
    field: str
    values: dict[int, int]
