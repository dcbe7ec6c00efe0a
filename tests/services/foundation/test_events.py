"""The event bus: order, awaiting, failures, unsubscribing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from services.foundation.events import DomainEvent, EventBus


@dataclass(frozen=True, slots=True)
class Liked(DomainEvent):
    post_id: int


@dataclass(frozen=True, slots=True)
class Followed(DomainEvent):
    user_id: int


async def test_handlers_run_in_subscription_order_and_are_awaited_before_publish_returns() -> None:
    bus = EventBus()
    seen: list[str] = []

    async def slow(event: Liked) -> None:
        await asyncio.sleep(0.01)
        seen.append(f"slow {event.post_id}")

    bus.subscribe(Liked, slow)
    bus.subscribe(Liked, lambda event: seen.append(f"sync {event.post_id}"))
    await bus.publish(Liked(7))
    assert seen == ["slow 7", "sync 7"]


async def test_an_event_reaches_only_the_subscribers_of_its_own_class() -> None:
    bus = EventBus()
    seen: list[DomainEvent] = []
    bus.subscribe(Followed, seen.append)
    await bus.publish(Liked(1))
    await bus.publish(Followed(2))
    assert seen == [Followed(2)]
    assert bus.subscribers(Followed) == 1
    assert bus.subscribers(Liked) == 0


async def test_a_failing_handler_fails_the_publisher_and_stops_later_handlers() -> None:
    bus = EventBus()
    seen: list[int] = []

    async def broken(event: Liked) -> None:
        raise RuntimeError(f"cannot handle {event.post_id}")

    bus.subscribe(Liked, broken)
    bus.subscribe(Liked, lambda event: seen.append(event.post_id))
    with pytest.raises(RuntimeError, match="cannot handle 3"):
        await bus.publish(Liked(3))
    assert seen == []


async def test_unsubscribing_stops_delivery_even_from_inside_a_handler() -> None:
    bus = EventBus()
    seen: list[int] = []

    def once(event: Liked) -> None:
        seen.append(event.post_id)
        stop()

    stop = bus.subscribe(Liked, once)
    await bus.publish(Liked(1))
    await bus.publish(Liked(2))
    assert seen == [1]
    stop()  # a second call is harmless
