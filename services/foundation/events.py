"""The one typed, in-process event bus through which domains react to each other's changes.

A service that stores a change publishes a small frozen dataclass ("a like was added"); whoever
reacts subscribes to its class. Every subscription is made in one place at start-up
(services/reactions.py), so a reader follows an event by searching for its class name.

Handlers run in the order they were subscribed and the publisher awaits them all, exactly as
it would await a direct call: a reaction that must not be lost (say, enqueueing the fan-out job
of a post that just became visible) has happened before the request that caused it returns,
and a failing handler fails the publisher, which the caller's retry covers. Slow work belongs
in a job that a handler enqueues, not in the handler. Events stay in this process; what other
processes must hear travels by Redis (pub/sub or the job queue).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every event: a fact, named in the past tense, that its owning domain publishes."""


EventT = TypeVar("EventT", bound=DomainEvent)


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Callable[[DomainEvent], object]]] = {}

    def subscribe(
        self, event_type: type[EventT], handler: Callable[[EventT], Awaitable[object] | object]
    ) -> Callable[[], None]:
        """Call `handler` with every `event_type` published from now on; returns an unsubscriber."""
        handlers = self._handlers.setdefault(event_type, [])
        registered: Callable[[DomainEvent], object] = handler  # type: ignore[assignment]
        handlers.append(registered)

        def unsubscribe() -> None:
            if registered in handlers:
                handlers.remove(registered)

        return unsubscribe

    async def publish(self, event: DomainEvent) -> None:
        # A copy: a handler may unsubscribe itself (a benchmark that listens once)
        for handler in tuple(self._handlers.get(type(event), ())):
            outcome = handler(event)
            if inspect.isawaitable(outcome):
                await outcome

    def subscribers(self, event_type: type[DomainEvent]) -> int:
        return len(self._handlers.get(event_type, ()))
