"""Opaque keyset cursors. Clients must not parse them; the format may change."""

from __future__ import annotations

import base64
import functools
import re

from resolvers.global_ids import parse_decimal
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import MAX_ID
from services.ranking.positions import RankedPosition, SnapshotPosition, TailPosition
from services.ranking.snapshots import SLOTS

_PREFIX = "k1:"
# The ranked home timeline's positions (a search result's rank uses "r1:", rank_cursors.py)
_RANKED_PREFIX = "h1:"
_MAX_LENGTH = 64  # far longer than any cursor we issue
# ASCII digits only: str.isdigit() and \d accept digits that int() refuses or reads differently
_SNAPSHOT = re.compile(r"s([0-9]{1,16})\.([0-9])\.([0-9]{1,7})")
_TAIL = re.compile(r"t([0-9]{1,16})")


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


def invalid_cursor(field: str = "after", message: str = "this cursor is not valid here") -> DomainError:
    return DomainError(ErrorCode.INVALID_CURSOR, message, field)


def _in_id_range(value: int) -> bool:
    return 0 < value <= MAX_ID


@functools.lru_cache(maxsize=16_384)  # as to_global_id: the same posts' cursors, page after page
def encode_cursor(key: int) -> str:
    return encode_opaque(f"{_PREFIX}{key}")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    decoded = opaque_text(cursor, _MAX_LENGTH)
    if decoded is None:
        raise invalid_cursor()
    if decoded.startswith(_RANKED_PREFIX):
        raise invalid_cursor(message="a RANKED cursor cannot page the LATEST order")
    key = parse_decimal(decoded.removeprefix(_PREFIX)) if decoded.startswith(_PREFIX) else None
    if key is None or not _in_id_range(key):
        raise invalid_cursor()
    return key


def encode_ranked_cursor(position: RankedPosition) -> str:
    if isinstance(position, TailPosition):
        return encode_opaque(f"{_RANKED_PREFIX}t{position.post_id}")
    return encode_opaque(f"{_RANKED_PREFIX}s{position.snapshot_id}.{position.slot}.{position.index}")


def decode_ranked_cursor(cursor: str | None) -> RankedPosition | None:
    """A position in a ranked timeline: in a kept ranking, or past it (newest first)."""
    if cursor is None:
        return None
    decoded = opaque_text(cursor, _MAX_LENGTH)
    if decoded is None:
        raise invalid_cursor()
    if decoded.startswith(_PREFIX):
        raise invalid_cursor(message="a LATEST cursor cannot page the RANKED order")
    body = decoded.removeprefix(_RANKED_PREFIX)
    if body == decoded:
        raise invalid_cursor()
    if tail := _TAIL.fullmatch(body):
        post_id = int(tail.group(1))
        if _in_id_range(post_id):
            return TailPosition(post_id)
    elif snapshot := _SNAPSHOT.fullmatch(body):
        snapshot_id, slot, index = (int(part) for part in snapshot.groups())
        if _in_id_range(snapshot_id) and slot < SLOTS:
            return SnapshotPosition(snapshot_id, slot, index)
    raise invalid_cursor()
