"""The graphql-transport-ws handler, with a way for a subscription to send a `next` payload
that is already encoded (schema/execution/live_frames.py).

Strawberry's handler runs each operation in its own task; this one puts a `FrameSink` for the
operation in that task's context before running it as strawberry does. The sink writes the
frame strawberry's `Operation.send_next` would write for the same payload, byte for byte
(`encode_json` is orjson's compact form: the envelope's keys in the same order around the
same payload), and sends nothing once the operation is complete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from resolvers.context import Context
from schema.execution.live_frames import FRAME_SINK

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation


class OperationFrames:
    """Writes `next` frames of one operation around payloads encoded elsewhere."""

    __slots__ = ("_operation", "_prefix", "_websocket")

    def __init__(self, operation: Operation[Context, None], websocket: Any) -> None:
        self._operation = operation
        self._websocket = websocket  # the ASGI adapter's Starlette WebSocket
        self._prefix = '{"id":' + orjson.dumps(operation.id).decode() + ',"type":"next","payload":'

    async def send_next_payload(self, payload: str) -> None:
        if self._operation.completed:
            return
        try:
            await self._websocket.send_text(self._prefix + payload + "}")
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc  # as strawberry's adapter raises it


class FrameSendingHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def run_operation(self, operation: Operation[Context, None]) -> None:
        websocket = getattr(self.websocket, "ws", None)
        if websocket is not None:
            # This coroutine is the operation's task: the sink is seen by its subscription only
            FRAME_SINK.set(OperationFrames(operation, websocket))
        await super().run_operation(operation)
