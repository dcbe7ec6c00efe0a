"""The first comments of each post, kept in Redis: every post card on every screen shows them.

A thread reads oldest first, so its head (the first `HEAD_SIZE` comments) changes only when a
comment is added or deleted. Without it, each page of a feed asked MongoDB once per post for
its first comments; on the stand-in that query also sorted all of a post's comments, so under
`bench/soak.py` the home read's p99 doubled over 30 minutes as threads grew. With it, a page
whose posts are cached reads no MongoDB at all.

A reader notes the head's generation with the head, and after a miss stores what MongoDB gave
only if the generation is unchanged (one script). A writer bumps the generation and drops the
head after its write to MongoDB. So a head read before a write is never stored after it, and
a reader that saw the bump reads MongoDB after the write.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from services.engagement.comment_records import CommentRecord

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import redis.asyncio as aioredis

    from services.foundation.turn_batch import TurnBatch

# The largest first page served from the head is HEAD_SIZE - 1: one more says whether a next page exists
HEAD_SIZE = 11
HEAD_TTL_S = 24 * 3600

_STORE_IF_UNCHANGED = """
local generation = redis.call('GET', KEYS[2]) or ''
if generation ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
_DROP = """
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""


def comment_head_key(post_id: int) -> str:
    return f"comhead:{{{post_id}}}"


def comment_head_generation_key(post_id: int) -> str:
    return f"comhead:gen:{{{post_id}}}"


class CommentHeads:
    def __init__(self, redis: aioredis.Redis, turns: TurnBatch) -> None:
        self._turns = turns
        self._store_if_unchanged = redis.register_script(_STORE_IF_UNCHANGED)
        self._drop = redis.register_script(_DROP)

    async def first(
        self, post_id: int, limit: int, read: Callable[[int], Awaitable[list[CommentRecord]]]
    ) -> list[CommentRecord]:
        """The post's first `limit + 1` comments (at most HEAD_SIZE), from the head, or from
        `read(HEAD_SIZE)` (MongoDB, oldest first) when there is none."""
        keys = _keys(post_id)
        head, generation = await self._turns.mget(keys)
        if head is not None:
            return [_record(post_id, row) for row in orjson.loads(head)][: limit + 1]
        records = await read(HEAD_SIZE)
        await self._turns.script(
            self._store_if_unchanged, keys, [generation or "", _encode(records), HEAD_TTL_S]
        )
        return records[: limit + 1]

    async def drop(self, post_id: int) -> None:
        """After a comment of the post was written to MongoDB or deleted there."""
        await self._drop(keys=_keys(post_id), args=[HEAD_TTL_S])


def _keys(post_id: int) -> list[str]:
    """The head and its generation: one slot, so that the scripts may use both."""
    return [comment_head_key(post_id), comment_head_generation_key(post_id)]


def _encode(records: list[CommentRecord]) -> str:
    return orjson.dumps(
        [[record.id, record.author_id, record.text, record.created_at.isoformat()] for record in records]
    ).decode()


def _record(post_id: int, row: list[Any]) -> CommentRecord:
    comment_id, author_id, text, created_at = row
    return CommentRecord(comment_id, post_id, author_id, text, datetime.fromisoformat(created_at))
