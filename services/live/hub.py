"""Per-process fan-in of Redis pub/sub to local WebSocket subscriptions.

Each API process holds one Redis pub/sub connection and subscribes to a channel once,
however many local sockets listen to it (on a Redis Cluster, to one node: a cluster forwards
every PUBLISH to all of its nodes). Every local subscription gets a bounded queue:
a subscriber that falls behind is cut off (it resumes gap-free with its last cursor), or,
for subscriptions whose events are states rather than a history, only the latest event
is kept. Either way process memory stays bounded.

Besides the channels its subscriptions ask for, a hub always listens on `live:users`
(channels.py): a message there lists user ids, and goes to the local listeners of those
users' own channels, as if it had been published on each of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson
from redis.exceptions import RedisError

from services.foundation.cluster_safe import open_pubsub
from services.live.channels import ROUTED_CHANNEL, ROUTED_TO, user_channel

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    import redis.asyncio as aioredis

log = logging.getLogger(__name__)
_MAX_RECONNECT_DELAY_S = 5.0

DEFAULT_QUEUE = 256
RESYNC = "resync"
_CLOSED = object()


class SlowConsumerError(Exception):
    """The subscriber did not keep up; it was cut off and should resubscribe from its cursor."""


class LiveSubscription:
    def __init__(
        self, hub: LiveHub, channels: frozenset[str], maxsize: int, *, coalesce: bool, owner: int | None
    ) -> None:
        self._hub = hub
        self.channels = channels
        self.owner = owner  # the user whose screen it is, for what the prefetch reads per viewer
        self._coalesce = coalesce
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1 if coalesce else maxsize)
        self.overflowed = False
        # Set by the stream that reads this subscription: sends an event straight from the hub's
        # task, or answers False to have it queued as usual (see LiveHub._hand_out)
        self.express: Callable[[dict[str, Any]], Awaitable[bool]] | None = None
        self._waiting = False

    @property
    def idle(self) -> bool:
        """Whether its reader waits for the next event with nothing queued: an event sent
        now cannot overtake one it has not handled yet."""
        return self._waiting and self._queue.empty() and not self.overflowed

    def offer(self, event: dict[str, Any]) -> None:
        if self._coalesce:
            # Only the newest state matters: replace whatever is waiting
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(event)
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            if not self.overflowed:
                self.overflowed = True
                # Wake the consumer so that it notices promptly
                self._queue.get_nowait()
                self._queue.put_nowait(_CLOSED)

    def end(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_CLOSED)

    async def next(self) -> dict[str, Any] | None:
        """The next event, or None when the hub shuts down. Raises SlowConsumerError."""
        self._waiting = True
        try:
            item = await self._queue.get()
        finally:
            self._waiting = False
        if self.overflowed:
            raise SlowConsumerError
        if item is _CLOSED:
            return None
        event: dict[str, Any] = item
        return event

    async def close(self) -> None:
        await self._hub.release(self)

    async def change_channels(self, channels: Iterable[str]) -> None:
        await self._hub.retarget(self, frozenset(channels))


class LiveHub:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        queue_size: int = DEFAULT_QUEUE,
        prefetch: Callable[[dict[str, Any], list[int]], Awaitable[None]] | None = None,
    ) -> None:
        self._redis = redis
        # Runs once per message before it is handed to the local subscribers, with the users
        # they belong to, so that what every subscriber needs (the post itself, and whether
        # each viewer likes it) is loaded once per process and message, not once per socket
        self._prefetch = prefetch
        self._queue_size = queue_size
        self._pubsub: Any = None
        self._listeners: dict[str, set[LiveSubscription]] = {}
        self._subscriptions: set[LiveSubscription] = set()
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.delivered = 0
        self.expressed = 0  # of those delivered, sent from the hub's task
        self.cut_off = 0

    async def ensure_indexes(self) -> None:
        """Redis pub/sub only."""

    @property
    def connections(self) -> int:
        return len(self._subscriptions)

    @property
    def channel_count(self) -> int:
        return len(self._listeners)

    async def open(
        self, channels: Iterable[str], *, coalesce: bool = False, owner: int | None = None
    ) -> LiveSubscription:
        subscription = LiveSubscription(
            self, frozenset(channels), self._queue_size, coalesce=coalesce, owner=owner
        )
        async with self._lock:
            await self._ensure_reader()
            self._subscriptions.add(subscription)
            await self._attach(subscription, subscription.channels)
        return subscription

    async def release(self, subscription: LiveSubscription) -> None:
        async with self._lock:
            self._subscriptions.discard(subscription)
            await self._detach(subscription, subscription.channels)

    async def retarget(self, subscription: LiveSubscription, channels: frozenset[str]) -> None:
        async with self._lock:
            await self._attach(subscription, channels - subscription.channels)
            await self._detach(subscription, subscription.channels - channels)
            subscription.channels = channels

    async def _attach(self, subscription: LiveSubscription, channels: Iterable[str]) -> None:
        new = []
        for channel in channels:
            listeners = self._listeners.setdefault(channel, set())
            if not listeners:
                new.append(channel)
            listeners.add(subscription)
        if new:
            await self._pubsub.subscribe(*new)

    async def _detach(self, subscription: LiveSubscription, channels: Iterable[str]) -> None:
        gone = []
        for channel in channels:
            listeners = self._listeners.get(channel)
            if listeners is None:
                continue
            listeners.discard(subscription)
            if not listeners:
                del self._listeners[channel]
                gone.append(channel)
        if gone and self._pubsub is not None:
            await self._pubsub.unsubscribe(*gone)

    async def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._pubsub = await open_pubsub(self._redis)
            # Subscribed before the reader starts: reading a connection without one fails
            await self._pubsub.subscribe(ROUTED_CHANNEL)
            self._reader = asyncio.create_task(self._read(), name="live-hub-reader")

    async def _read(self) -> None:
        while True:
            try:
                # Blocking, with no timer per message: a dropped connection raises, and is handled below
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except (RedisError, OSError, RuntimeError) as exc:
                log.warning("live hub lost its Redis subscription: %s; reconnecting", exc)
                await self._reconnect()
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                event = orjson.loads(message["data"])
            except orjson.JSONDecodeError:
                continue
            targets = self._targets(message["channel"], event)
            if not targets:
                continue
            if self._prefetch is not None:
                try:
                    owners = {target.owner for target in targets if target.owner is not None}
                    await self._prefetch(event, list(owners))
                except Exception:
                    log.warning("live event prefetch failed", exc_info=True)
            await self._hand_out(event, targets)

    async def _hand_out(self, event: dict[str, Any], targets: list[LiveSubscription]) -> None:
        """Queue the event for each target's own task, or, for idle subscriptions that can,
        send it from here. Waking a task per subscriber, and passing the event up through its
        stream, costs more than the frame's own write: at 1,000 subscribers most of a post's
        delivery time (bench/live.py). The first express subscription an event is new to gets
        it queued and its task a turn, to start the render the others then share."""
        express: list[LiveSubscription] = []
        for subscription in targets:
            if subscription.express is not None and subscription.idle:
                express.append(subscription)
                continue
            self._offer(subscription, event)
        for subscription in express:
            handled = False
            if subscription.express is not None and subscription.idle:  # still: a send may let its task run
                try:
                    handled = await subscription.express(event)
                except Exception:  # a closed socket, say: its own task finds out and ends
                    log.debug("express live delivery failed", exc_info=True)
                    handled = True
            if handled:
                self.delivered += 1
                self.expressed += 1
                continue
            self._offer(subscription, event)
            # Its task wakes, passes the event up its stream and starts the render in the next
            # turn of the loop (tests/schema/test_live_frames.py counts the express sends); the
            # next express subscriptions then share that render, or, at worst, queue too
            await asyncio.sleep(0)

    def _offer(self, subscription: LiveSubscription, event: dict[str, Any]) -> None:
        subscription.offer(event)
        self.delivered += 1
        if subscription.overflowed:
            self.cut_off += 1

    def _targets(self, channel: str, event: Any) -> list[LiveSubscription]:
        """The local subscriptions a message is for: its channel's listeners, or for a routed
        message, the listeners of the channels of the users it names."""
        if channel != ROUTED_CHANNEL:
            return list(self._listeners.get(channel, ()))
        if not isinstance(event, dict):
            return []
        users = event.pop(ROUTED_TO, None)
        listeners = self._listeners
        targets: list[LiveSubscription] = []
        for user_id in users if isinstance(users, list) else ():
            local = listeners.get(user_channel(user_id))
            if local:
                targets.extend(local)
        return targets

    async def _reconnect(self) -> None:
        """Resubscribe until Redis answers again, backing off, so the reader never dies."""
        delay = 0.25
        while True:
            await asyncio.sleep(delay)
            try:
                await self._resubscribe()
            except (RedisError, OSError, RuntimeError) as exc:
                delay = min(delay * 2, _MAX_RECONNECT_DELAY_S)
                log.warning("live hub cannot resubscribe yet: %s; next try in %.1f s", exc, delay)
            else:
                return

    async def _resubscribe(self) -> None:
        async with self._lock:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = await open_pubsub(self._redis)
            await self._pubsub.subscribe(ROUTED_CHANNEL, *self._listeners)
            # Events published while the subscription was down are lost here; subscribers
            # replay them from their last cursor
            for subscription in self._subscriptions:
                subscription.offer({"type": RESYNC})

    async def close(self) -> None:
        for subscription in tuple(self._subscriptions):
            subscription.end()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
