"""Opaque keyset cursors for ranked lists, whose position is a tuple of numbers (a search
result's rank: exact match, followers, user id), not one id."""

from __future__ import annotations

import base64
import binascii

from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import MAX_ID

_PREFIX = "r1:"
_MAX_LENGTH = 120


def encode_rank_cursor(rank: tuple[int, ...]) -> str:
    text = _PREFIX + ":".join(str(part) for part in rank)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_rank_cursor(cursor: str | None, size: int) -> tuple[int, ...] | None:
    if cursor is None:
        return None
    invalid = DomainError(ErrorCode.INVALID_CURSOR, "this cursor is not valid here", "after")
    if len(cursor) > _MAX_LENGTH:
        raise invalid
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid from None
    parts = decoded.removeprefix(_PREFIX).split(":")
    if not decoded.startswith(_PREFIX) or len(parts) != size or not all(part.isdigit() for part in parts):
        raise invalid
    rank = tuple(int(part) for part in parts)
    if any(part > MAX_ID for part in rank):
        raise invalid
    return rank
