"""Redis calls made in one event-loop turn, sent as one pipeline.

Under load many requests (or many live subscriptions woken by one event) make the same kind
of small Redis call at once: a rate-limit charge each, a check of the viewer's likes each.
Sent one by one, each costs a round trip and a wake-up of this process, and they queue for
the pool's connections. Here every call made in one turn waits for the next turn, when all
of them go out as one pipeline; each caller still gets its own result, or its own error.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from services.foundation.cluster_safe import ScriptBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from redis.commands.core import AsyncScript

    # A queued call: a command (its name and arguments) or a script (with keys and arguments)
    Call = tuple[str | None, AsyncScript | None, Sequence[Any], Sequence[Any]]


class TurnBatch:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._pending: list[tuple[Call, asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def command(self, name: str, *args: Any) -> Any:
        return await self._queue((name, None, args, ()))

    async def script(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        return await self._queue((None, script, keys, args))

    async def _queue(self, call: Call) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((call, future))
        if len(self._pending) == 1:
            # Next turn: every caller made ready by this turn's I/O has queued its call by then
            loop.call_soon(self._send_pending)
        return await future

    def _send_pending(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[Call, asyncio.Future[Any]]]) -> None:
        if len(batch) == 1:
            # Alone: sent as itself (a pipeline with a script first asks whether it is loaded)
            (name, script, first, second), future = batch[0]
            try:
                if script is not None:
                    result = await script(keys=first, args=second)
                else:
                    result = await self._redis.execute_command(name, *first)  # type: ignore[no-untyped-call]
            except Exception as exc:  # noqa: BLE001 - the caller gets the failure
                result = exc
            batch_results: list[Any] = [result]
        else:
            batch_results = await self._send_many(batch)
        for (_, future), result in zip(batch, batch_results, strict=True):
            if future.done():  # a caller that left (a request whose client went away)
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _send_many(self, batch: list[tuple[Call, asyncio.Future[Any]]]) -> list[Any]:
        try:
            pipeline = ScriptBatch(self._redis)
            for (name, script, first, second), _ in batch:
                if script is not None:
                    await pipeline.script(script, first, second)
                else:
                    pipeline.pipe.execute_command(name, *first)
            return await pipeline.execute(raise_on_error=False)
        except Exception as exc:  # noqa: BLE001 - every waiting caller gets the failure
            return [exc] * len(batch)
