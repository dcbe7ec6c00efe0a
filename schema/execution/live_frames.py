"""Sending a subscriber an event another subscriber's render already produced, as bytes.

Sharing a render (shared_events.py) still runs, for every subscriber, graphql-core's per-event
execution, strawberry's result handling and the encoding of the frame: most of what a
thousand open screens cost per post. When the transport can send a `next` payload as is
(the graphql-transport-ws handler puts a `FrameSink` in the operation's context) and the
event's render under the same key is done or under way, the subscription sends that payload
itself and yields nothing for the event. Anything else (no sink, the first render, errors,
operations whose renders are never shared) goes through strawberry as before.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo

    from schema.execution.shared_events import OperationKey, SharedRenders, ShareKey


class FrameSink(Protocol):
    async def send_next_payload(self, payload: str) -> None:
        """Send `{"id": <operation>, "type": "next", "payload": <payload>}` on the socket."""


# Set by the transport for the task that runs one subscription operation
FRAME_SINK: ContextVar[FrameSink | None] = ContextVar("frame_sink", default=None)


class PrerenderedFrames:
    """One subscription's way to events rendered for others; built once per subscription."""

    def __init__(self, sink: FrameSink, shared: SharedRenders, operation_key: OperationKey) -> None:
        self._sink = sink
        self._shared = shared
        self._operation_key = operation_key

    @classmethod
    def for_subscription(cls, raw_info: GraphQLResolveInfo[Any]) -> PrerenderedFrames | None:
        sink = FRAME_SINK.get()
        strawberry_schema: Any = getattr(raw_info.schema, "_strawberry_schema", None)
        shared = getattr(getattr(strawberry_schema, "execution_context_class", None), "shared_renders", None)
        if sink is None or shared is None:
            return None
        # graphql-core's resolve info holds the coerced values themselves, or (3.3) beside their source
        variables = getattr(raw_info.variable_values, "coerced", raw_info.variable_values)
        operation_key = shared.operation_key(
            raw_info.schema, raw_info.fragments.values(), raw_info.operation, variables
        )
        return cls(sink, shared, operation_key) if operation_key is not None else None

    async def send(self, share_key: ShareKey | None) -> bool:
        """Whether the event was sent from a render made for another subscriber."""
        key = self._operation_key.render_key(share_key)
        if key is None:
            return False
        payload = await self._shared.rendered_payload(key)
        if payload is None:
            return False
        await self._sink.send_next_payload(payload)
        return True
