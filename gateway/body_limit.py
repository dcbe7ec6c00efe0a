"""A request body limit enforced while the body streams in, whatever its transfer encoding.

A Content-Length can be checked before reading, but a chunked body announces no length: the
only safe check is to count bytes as they arrive and stop at the limit, so that a client
cannot make the server hold a 100 MB body in memory to find out it was too large.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import parse_decimal

# The largest request a client has reason to send: a document at its limit (16,384
# characters, up to 4 bytes each in UTF-8) and 1,000 variable values (ids, or a 2,200-character
# caption written as JSON escapes) fit in half of this. Media never passes through here
# (uploads go to blob storage), and a smaller bound keeps what a refused body makes the
# process parse and hold small: a 1 MiB body became 80,000 strings (4.4 MB) before it could be
# refused, and under the soak such bursts left the allocator holding memory it kept.
MAX_GRAPHQL_BODY_BYTES = 128 * 1024

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
