"""A graphql-transport-ws client over a real WebSocket, as a browser or app would use it."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import websockets

PROTOCOL = "graphql-transport-ws"
_ids = itertools.count(1)


class LiveClient:
    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket

    @classmethod
    async def connect(cls, base_url: str, token: str | None) -> LiveClient:
        url = base_url.replace("http://", "ws://") + "/graphql"
        socket = await websockets.connect(url, subprotocols=[websockets.Subprotocol(PROTOCOL)])
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        return cls(socket)

    async def acknowledged(self) -> bool:
        message = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        return bool(message["type"] == "connection_ack")

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = str(next(_ids))
        await self.socket.send(
            json.dumps(
                {
                    "id": operation_id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        return operation_id

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        """The next message of a subscription (skipping pings)."""
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def next_data(self, timeout: float = 10) -> dict[str, Any]:
        message = await self.next(timeout)
        assert message["type"] == "next", message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def nothing_for(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.socket.recv(), seconds)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        await self.socket.close()
