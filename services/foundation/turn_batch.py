"""Redis calls made in one event-loop turn, sent as one pipeline: the read path's client.

Under load many requests (or many live subscriptions woken by one event) make small Redis
calls at once: a rate-limit charge each, a page's reads, a check of the viewer's likes each.
Sent one by one, each costs a round trip and a wake-up of this process, and they queue for
the pool's connections. Here every call made in one turn waits for the next turn, when all
of them go out together; each caller still gets its own result, or its own error. Calls a
caller makes concurrently (gathered) share that one round trip, so a request's round trips
are its sequential steps, and `round_trips` counts the batches sent.

On one Redis node the batch goes over one pipelined connection (redis_wire.py), which costs
a fraction of redis-py's CPU per call; on a cluster, or a connection redis-py alone can
make, it goes as a redis-py pipeline. Results are the same either way: what redis-py's
execute_command returns for each command.

One instance serves a whole process (services.foundation.stores.Stores.turns), so calls
from different requests coalesce too.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from services.foundation.cluster_safe import ScriptBatch, is_cluster, mget
from services.foundation.redis_wire import PipelinedConnection

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from redis.commands.core import AsyncScript

    from services.foundation.redis_wire import Command

    # A queued call: a command (its name and arguments) or a script (with keys and arguments)
    Call = tuple[str | None, AsyncScript | None, Sequence[Any], Sequence[Any]]


class _Entry:
    """One caller's calls, and the future that gets their results (exceptions included)."""

    __slots__ = ("calls", "future")

    def __init__(self, calls: list[Call], future: asyncio.Future[list[Any]]) -> None:
        self.calls = calls
        self.future = future


# One read command over many keys, as one call: `ARGV[1] key ARGV[2..]` for each key
_EACH_KEY_SCRIPT = (
    "local out = {} for i, key in ipairs(KEYS) do "
    "out[i] = redis.call(ARGV[1], key, unpack(ARGV, 2)) end return out"
)


class TurnBatch:
    def __init__(self, redis: aioredis.Redis, *, pipelined: bool = True) -> None:
        self._redis = redis
        self._wire = PipelinedConnection.for_client(redis) if pipelined else None
        self._per_key = redis.register_script(_EACH_KEY_SCRIPT)
        self._pending: list[_Entry] = []
        self._sending: set[asyncio.Task[None]] = set()
        self.round_trips = 0

    @property
    def pipelined(self) -> bool:
        """Whether batches go over the pipelined connection (one node) or redis-py."""
        return self._wire is not None

    async def command(self, name: str, *args: Any) -> Any:
        result = (await self._queue([(name, None, args, ())]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def commands(self, commands: Sequence[Command]) -> list[Any]:
        """The results of several commands sent in the same batch, in order; the first
        failure is raised."""
        results = await self._queue([(command[0], None, command[1:], ()) for command in commands])
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    async def per_key(self, name: str, keys: Sequence[str], *args: Any) -> list[Any]:
        """The replies of `name key *args` for each key, in key order, as they come off the
        wire (a score is its text). On one node it is one script call in the turn: a live post
        asks a thousand viewers' sets at once, and a command each costs more to pack, send and
        shape than the reads themselves. On a cluster, where a script's keys must share a slot,
        it is one command per key (shaped by redis-py: read scores with `float`)."""
        if not keys:
            return []
        if self._wire is not None:
            replies: list[Any] = await self.script(self._per_key, keys, [name, *args])
            return replies
        return await self.commands([(name, key, *args) for key in keys])

    async def mget(self, keys: Sequence[str]) -> list[Any]:
        """Values in key order. On a cluster MGET must stay on one slot, so there it is one
        MGET per slot, sent at once (and not batched with the turn)."""
        if self._wire is None and is_cluster(self._redis):
            return await mget(self._redis, keys)
        values: list[Any] = await self.command("MGET", *keys)
        return values

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        result = (await self._queue([(None, script, keys, args)]))[0]
        if isinstance(result, NoScriptError):
            # The node lost its scripts (restarted, flushed, failed over): redis-py's script
            # object loads it again and runs this call alone
            result = await script(keys=keys, args=args)
        if isinstance(result, Exception):
            raise result
        return result

    async def aclose(self) -> None:
        if self._wire is not None:
            self._wire.close()

    async def _queue(self, calls: list[Call]) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._pending.append(_Entry(calls, future))
        if len(self._pending) == 1:
            # Next turn: every caller made ready by this turn's I/O has queued its call by then
            loop.call_soon(self._send_pending)
        return await future

    def _send_pending(self) -> None:
        batch, self._pending = self._pending, []
        self.round_trips += 1
        if self._wire is not None:
            self._send_on_wire(batch)
            return
        task = asyncio.get_running_loop().create_task(self._send_on_pipeline(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _send_on_wire(self, batch: list[_Entry]) -> None:
        wire = self._wire
        assert wire is not None  # noqa: S101 - checked by the caller
        commands: list[Command] = []
        for entry in batch:
            for name, script, first, second in entry.calls:
                if script is not None:
                    commands.append(("EVALSHA", script.sha, len(first), *first, *second))
                else:
                    commands.append((name, *first))
        replies = wire.send(commands)

        def deliver(done: asyncio.Future[list[Any]]) -> None:
            cancelled = done.cancelled()
            error = RedisConnectionError("a Redis batch was cancelled") if cancelled else done.exception()
            offset = 0
            for entry in batch:
                end = offset + len(entry.calls)
                if entry.future.done():  # a caller that left (a request whose client went away)
                    pass
                elif error is not None:
                    entry.future.set_exception(error)
                else:
                    sent, received = commands[offset:end], done.result()[offset:end]
                    entry.future.set_result(list(map(wire.shape, sent, received)))
                offset = end

        replies.add_done_callback(deliver)

    async def _send_on_pipeline(self, batch: list[_Entry]) -> None:
        calls = [call for entry in batch for call in entry.calls]
        if len(calls) == 1:
            # Alone: sent as itself (a pipeline with a script first asks whether it is loaded)
            name, script, first, second = calls[0]
            try:
                if script is not None:
                    result = await script(keys=first, args=second)
                else:
                    result = await self._redis.execute_command(name, *first)  # type: ignore[no-untyped-call]
            except Exception as exc:  # noqa: BLE001 - the caller gets the failure
                result = exc
            results: list[Any] = [result]
        else:
            results = await self._send_many(calls)
        position = 0
        for entry in batch:
            mine = results[position : position + len(entry.calls)]
            position += len(entry.calls)
            if not entry.future.done():
                entry.future.set_result(mine)

    async def _send_many(self, calls: list[Call]) -> list[Any]:
        try:
            pipeline = ScriptBatch(self._redis)
            for name, script, first, second in calls:
                if script is not None:
                    await pipeline.script(script, first, second)
                else:
                    pipeline.pipe.execute_command(name, *first)
            return await pipeline.execute(raise_on_error=False)
        except Exception as exc:  # noqa: BLE001 - every waiting caller gets the failure
            return [exc] * len(calls)
