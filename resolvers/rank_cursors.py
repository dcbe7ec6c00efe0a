"""Opaque keyset cursors for ranked lists, whose position is a tuple of numbers (a search
result's rank: exact match, followers, user id), not one id."""

from __future__ import annotations

from resolvers.cursors import encode_opaque, invalid_cursor, opaque_text
from resolvers.global_ids import parse_decimal
from services.foundation.ids import MAX_ID

_PREFIX = "r1:"
_MAX_LENGTH = 120


def encode_rank_cursor(rank: tuple[int, ...]) -> str:
    return encode_opaque(_PREFIX + ":".join(str(part) for part in rank))


def decode_rank_cursor(cursor: str | None, size: int) -> tuple[int, ...] | None:
    if cursor is None:
        return None
    decoded = opaque_text(cursor, _MAX_LENGTH)
    if decoded is None or not decoded.startswith(_PREFIX):
        raise invalid_cursor()
    parts = [parse_decimal(part) for part in decoded.removeprefix(_PREFIX).split(":")]
    if len(parts) != size or any(part is None or part > MAX_ID for part in parts):
        raise invalid_cursor()
    return tuple(part for part in parts if part is not None)
