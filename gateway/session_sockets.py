"""Closes a session's WebSockets when the session is revoked, on every API process.

signOut revokes a session in MongoDB and Redis, which refuses its token on every later HTTP
request and connection_init; but sockets already open would go on streaming. So each process
keeps which of its sockets belong to which session, listens (through the live hub's one Redis
pub/sub connection) to the revocations SessionService publishes, and closes those sockets
with 4403, the code a refused connection_init gets: the client has to sign in again.

A revocation published while this process was not listening (before its first socket, or
while the hub reconnected to Redis) is caught by checking the sessions themselves: each new
socket's session after the process starts listening, and every tracked session after a resync.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from services.accounts.sessions import SESSIONS_REVOKED_CHANNEL
from services.live.hub import RESYNC, SlowConsumerError

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from services.container import Services
    from services.live.hub import LiveSubscription


CLOSE_CODE = 4403
CLOSE_REASON = "session revoked"


class SessionSockets:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._sockets: dict[str, set[WebSocket]] = {}
        self._watcher: asyncio.Task[None] | None = None

    @property
    def tracked(self) -> int:
        return sum(len(sockets) for sockets in self._sockets.values())

    async def track(self, session_id: str, websocket: WebSocket) -> None:
        self._sockets.setdefault(session_id, set()).add(websocket)
        await self._listen()
        if not await self._services.sessions.is_active(session_id):
            await self._close_session(session_id)  # revoked before this process listened

    def forget(self, session_id: str, websocket: WebSocket) -> None:
        sockets = self._sockets.get(session_id)
        if sockets is not None:
            sockets.discard(websocket)
            if not sockets:
                del self._sockets[session_id]

    async def _listen(self) -> None:
        if self._watcher is None or self._watcher.done():
            # Subscribed before the task starts, so that track() checks after listening began
            subscription = await self._services.live_hub.open([SESSIONS_REVOKED_CHANNEL])
            self._watcher = asyncio.create_task(self._watch(subscription), name="session-sockets")

    async def _watch(self, subscription: LiveSubscription) -> None:
        try:
            while True:
                try:
                    message = await subscription.next()
                except SlowConsumerError:
                    await subscription.close()
                    subscription = await self._services.live_hub.open([SESSIONS_REVOKED_CHANNEL])
                    await self._close_revoked()
                    continue
                if message is None:
                    return  # the hub is shutting down, and every socket with it
                if message.get("type") == RESYNC:
                    await self._close_revoked()
                elif isinstance(session_id := message.get("sessionId"), str):
                    await self._close_session(session_id)
        finally:
            await subscription.close()

    async def _close_revoked(self) -> None:
        for session_id in list(self._sockets):
            if not await self._services.sessions.is_active(session_id):
                await self._close_session(session_id)

    async def _close_session(self, session_id: str) -> None:
        for websocket in self._sockets.pop(session_id, set()):
            # A socket closing on its own at the same moment has nothing left to close
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_CODE, reason=CLOSE_REASON)
