"""One pipelined connection to one Redis node, for the calls `TurnBatch` gathers per turn.

redis-py's asyncio client spends about 85 microseconds of CPU on a GET here and about 25 more
on each command of a pipeline (pool checkout with a health probe, a timeout context and a
retry wrapper per call, packing in Python), against about 22 and 2 for the same bytes
written to a socket and parsed by hiredis. A home page makes a few dozen reads, so that
difference was most of its Redis cost (bench/results/execution.json).

This connection writes each batch as one buffer, keeps one entry per caller in a FIFO, and
hands replies back in order as they arrive: Redis answers a connection's commands in the
order they came, so no reply needs an id. It has no pool and no lock: batches from every
request share it, and a batch is written while earlier ones are still being answered.

What it does not do, it leaves to redis-py (`for_client` returns None and TurnBatch keeps
its pipeline): TLS, Sentinel, RESP3, a Redis Cluster, unusual connection classes. Replies go
through redis-py's own response callbacks and error classes, so a caller sees exactly what
`execute_command` would have returned or raised.
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING, Any

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import redis.asyncio as aioredis

# A command as sent: its name, then its arguments
Command = tuple[Any, ...]


class WireBatch:
    """Commands written together, and the future that gets their replies, in order."""

    __slots__ = ("commands", "future", "replies")

    def __init__(self, commands: Sequence[Command], future: asyncio.Future[list[Any]]) -> None:
        self.commands = commands
        self.future = future
        self.replies: list[Any] = []


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: PipelinedConnection) -> None:
        self._owner = owner
        # Errors are redis-py's classes (NoScriptError, ReadOnlyError...), parsed as it parses them
        self._reader = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        self.transport: asyncio.Transport | None = None
        self.waiting: collections.deque[WireBatch] = collections.deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        waiting = self.waiting
        while (reply := reader.gets()) is not False:
            batch = waiting[0]
            batch.replies.append(_as_error(reply) if isinstance(reply, ResponseError) else reply)
            if len(batch.replies) == len(batch.commands):
                waiting.popleft()
                if not batch.future.done():  # a caller that left (a cancelled request)
                    batch.future.set_result(batch.replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner.lost(self)
        error = RedisConnectionError(f"connection to Redis lost: {exc or 'closed by the server'}")
        while self.waiting:
            batch = self.waiting.popleft()
            if not batch.future.done():
                batch.future.set_exception(error)


def _as_error(reply: ResponseError) -> Exception:
    error: Exception = BaseParser.parse_error(str(reply))  # type: ignore[no-untyped-call]
    return error


class PipelinedConnection:
    """Sends batches of commands on one connection; see the module docstring."""

    def __init__(
        self,
        *,
        open_transport: Callable[[Callable[[], asyncio.Protocol]], Any],
        handshake: Sequence[Command],
        callbacks: Any,
    ) -> None:
        self._open_transport = open_transport
        self._handshake = list(handshake)
        self._callbacks = callbacks
        self._protocol: _Protocol | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting: asyncio.Task[_Protocol] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    @classmethod
    def for_client(cls, redis: aioredis.Redis) -> PipelinedConnection | None:
        """A connection to the node `redis` talks to, or None when this class cannot speak
        like that client (a cluster, TLS, RESP3, a custom connection class)."""
        pool = getattr(redis, "connection_pool", None)
        if pool is None or pool.connection_class not in {Connection, UnixDomainSocketConnection}:
            return None
        options = dict(pool.connection_kwargs)
        if not options.get("decode_responses") or options.get("protocol") not in {None, 2, "2"}:
            return None
        handshake: list[Command] = []
        if options.get("password") is not None:
            username = options.get("username")
            credentials = (username, options["password"]) if username else (options["password"],)
            handshake.append(("AUTH", *credentials))
        if options.get("db"):
            handshake.append(("SELECT", options["db"]))
        path = options.get("path")
        loop_call: Callable[[Callable[[], asyncio.Protocol]], Any]
        if pool.connection_class is UnixDomainSocketConnection:

            def loop_call(factory: Callable[[], asyncio.Protocol]) -> Any:
                return asyncio.get_running_loop().create_unix_connection(factory, path)

        else:
            host, port = options.get("host", "localhost"), int(options.get("port", 6379))

            def loop_call(factory: Callable[[], asyncio.Protocol]) -> Any:
                return asyncio.get_running_loop().create_connection(factory, host, port)

        return cls(open_transport=loop_call, handshake=handshake, callbacks=redis.response_callbacks)

    def send(self, commands: Sequence[Command]) -> asyncio.Future[list[Any]]:
        """The replies to `commands`, in order; a failed command's error is its reply (an
        exception instance), a lost connection fails the future."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        batch = WireBatch(commands, future)
        protocol = self._protocol
        if protocol is not None and self._loop is loop and protocol.transport is not None:
            self._write(protocol, batch)
        else:
            task = loop.create_task(self._send_after_connecting(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return future

    def shape(self, command: Command, reply: Any) -> Any:
        """A reply as redis-py's execute_command returns it (its response callback applied)."""
        if isinstance(reply, Exception):
            return reply
        callback = self._callbacks.get(command[0])
        return reply if callback is None else callback(reply)

    def lost(self, protocol: _Protocol) -> None:
        if self._protocol is protocol:
            self._protocol = None

    def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

    def _write(self, protocol: _Protocol, batch: WireBatch) -> None:
        assert protocol.transport is not None  # noqa: S101 - checked by the callers
        try:
            data = b"".join([hiredis.pack_command(command) for command in batch.commands])
        except TypeError as exc:
            # An argument hiredis cannot send (None, an int subclass such as bson.Int64): the
            # batch fails alone. Queued as waiting, it would take the next batch's replies.
            batch.future.set_exception(exc)
            return
        protocol.waiting.append(batch)
        protocol.transport.write(data)

    async def _send_after_connecting(self, batch: WireBatch) -> None:
        try:
            protocol = await self._connected()
        except Exception as exc:  # noqa: BLE001 - the caller gets the failure
            if not batch.future.done():
                batch.future.set_exception(exc)
            return
        self._write(protocol, batch)

    async def _connected(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (tests run several): the old transport belongs to the old one
            self._protocol, self._connecting, self._loop = None, None, loop
        if self._protocol is not None:
            return self._protocol
        if self._connecting is None:
            self._connecting = loop.create_task(self._connect())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done() and self._connecting is connecting:
                self._connecting = None

    async def _connect(self) -> _Protocol:
        try:
            connected = await self._open_transport(lambda: _Protocol(self))
        except OSError as exc:
            message = f"cannot connect to Redis: {exc}"
            raise RedisConnectionError(message) from exc
        protocol: _Protocol = connected[1]
        if self._handshake:
            future = asyncio.get_running_loop().create_future()
            self._write(protocol, WireBatch(self._handshake, future))
            for reply in await future:
                if isinstance(reply, Exception):
                    if protocol.transport is not None:
                        protocol.transport.close()
                    raise reply
        self._protocol = protocol
        return protocol
