"""Opaque keyset cursors. Clients must not parse them; the format may change."""

from __future__ import annotations

import base64

from resolvers.global_ids import parse_decimal
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import MAX_ID

_PREFIX = "k1:"


def encode_opaque(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def opaque_text(cursor: str, max_length: int) -> str | None:
    """The text inside an opaque cursor, or None when the string cannot be one of ours (too
    long, not base64, not ASCII, not UTF-8 inside)."""
    if len(cursor) > max_length:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error, and ValueError for non-ASCII input
        return None


def invalid_cursor(field: str = "after") -> DomainError:
    return DomainError(ErrorCode.INVALID_CURSOR, "this cursor is not valid here", field)


def encode_cursor(key: int) -> str:
    return encode_opaque(f"{_PREFIX}{key}")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    invalid = invalid_cursor()
    decoded = opaque_text(cursor, 64)  # far longer than any cursor we issue
    if decoded is None:
        raise invalid
    key = parse_decimal(decoded.removeprefix(_PREFIX)) if decoded.startswith(_PREFIX) else None
    if key is None or not 0 < key <= MAX_ID:
        raise invalid
    return key
