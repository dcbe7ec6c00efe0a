"""The hub's routed channel: one message for a fan-out batch reaches exactly its local readers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from services.live.channels import ROUTED_CHANNEL, LiveEvents, author_channel, user_channel
from services.live.hub import LiveHub

if TYPE_CHECKING:
    from services.container import Services
    from services.live.hub import LiveSubscription


async def _received(subscription: LiveSubscription) -> list[dict[str, Any] | None]:
    events = []
    while not subscription._queue.empty():
        events.append(await subscription.next())
    return events


async def test_a_batch_message_reaches_the_listeners_of_exactly_the_users_it_names(
    services: Services,
) -> None:
    redis = services.stores.redis
    ((_, hubs_before),) = await redis.pubsub_numsub(ROUTED_CHANNEL)  # the API's own hub, if it started
    hub = LiveHub(redis)
    events = LiveEvents(redis)
    try:
        first, second = await hub.open([user_channel(1)]), await hub.open([user_channel(1)])
        named = await hub.open([user_channel(3), author_channel(7)])
        unnamed = await hub.open([user_channel(2)])
        author_only = await hub.open([author_channel(9)])
        await asyncio.sleep(0.1)
        # User 99 has no socket in this process: naming it costs a lookup and nothing else
        await events.new_post_for_users([1, 3, 99], post_id=50, author_id=9, visible_at=1.5)
        await events.deleted_for_users([3], post_id=40, author_id=9)
        await asyncio.sleep(0.3)
        post = {"type": "post", "postId": 50, "authorId": 9, "visibleAt": 1.5}
        assert await _received(first) == [post]
        assert await _received(second) == [post]
        assert await _received(named) == [post, {"type": "delete", "postId": 40, "authorId": 9}]
        assert await _received(unnamed) == []
        assert await _received(author_only) == []
        # One publish for the batch, heard once by this hub, whatever the number of readers
        ((_, listening),) = await redis.pubsub_numsub(ROUTED_CHANNEL)
        assert listening == hubs_before + 1
    finally:
        await hub.close()


async def test_the_routed_channel_is_heard_again_after_a_reconnect(services: Services) -> None:
    redis = services.stores.redis
    hub = LiveHub(redis)
    try:
        subscription = await hub.open([user_channel(5)])
        await asyncio.sleep(0.1)
        # Redis drops the hub's pub/sub connection (a restart or failover looks the same)
        await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # type: ignore[no-untyped-call]
        assert await asyncio.wait_for(subscription.next(), 5) == {"type": "resync"}
        await asyncio.sleep(0.2)
        await LiveEvents(redis).new_post_for_users([5], post_id=51, author_id=9, visible_at=2.0)
        event = await asyncio.wait_for(subscription.next(), 5)
        while event == {"type": "resync"}:
            event = await asyncio.wait_for(subscription.next(), 5)
        assert event == {"type": "post", "postId": 51, "authorId": 9, "visibleAt": 2.0}
    finally:
        await hub.close()
