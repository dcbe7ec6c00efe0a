"""A request body limit enforced while the body streams in, whatever its transfer encoding.

A Content-Length can be checked before reading, but a chunked body announces no length: the
only safe check is to count bytes as they arrive and stop at the limit, so that a client
cannot make the server hold a 100 MB body in memory to find out it was too large.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import parse_decimal

if TYPE_CHECKING:
    from starlette.types import Message, Receive


class BodyTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request bodies are limited to {limit} bytes")
        self.limit = limit


def declared_length_exceeds(content_length: str | None, limit: int) -> bool:
    """Whether a Content-Length header already says the body is too large."""
    declared = parse_decimal(content_length) if content_length is not None else None
    return declared is not None and declared > limit


def limited_receive(receive: Receive, limit: int) -> Receive:
    """`receive`, raising BodyTooLargeError as soon as the body passes `limit` bytes."""
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLargeError(limit)
        return message

    return receive_within_limit
