"""Opaque keyset cursors. Clients must not parse them; the format may change."""

from __future__ import annotations

import base64
import binascii

from resolvers.global_ids import parse_decimal
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import MAX_ID

_PREFIX = "k1:"


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    invalid = DomainError(ErrorCode.INVALID_CURSOR, "this cursor is not valid here", "after")
    if len(cursor) > 64:  # noqa: PLR2004 - far longer than any cursor we issue
        raise invalid
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid from None
    key = parse_decimal(decoded.removeprefix(_PREFIX)) if decoded.startswith(_PREFIX) else None
    if key is None or not 0 < key <= MAX_ID:
        raise invalid
    return key
