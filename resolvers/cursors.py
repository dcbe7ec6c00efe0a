"""Opaque keyset cursors. Clients must not parse them; the format may change."""

from __future__ import annotations

import base64
import binascii
import re

from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import MAX_ID
from services.ranking.positions import RankedPosition, SnapshotPosition, TailPosition
from services.ranking.snapshots import SLOTS

_PREFIX = "k1:"
_RANKED_PREFIX = "r1:"
_MAX_LENGTH = 64  # far longer than any cursor we issue
# ASCII digits only: str.isdigit() and \d accept digits that int() refuses or reads differently
_KEY = re.compile(r"[0-9]{1,16}")
_SNAPSHOT = re.compile(r"s([0-9]{1,16})\.([0-9])\.([0-9]{1,7})")
_TAIL = re.compile(r"t([0-9]{1,16})")


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _invalid(message: str = "this cursor is not valid here") -> DomainError:
    return DomainError(ErrorCode.INVALID_CURSOR, message, "after")


def _decode(cursor: str) -> str:
    if len(cursor) > _MAX_LENGTH:
        raise _invalid()
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid() from None


def _in_id_range(value: int) -> bool:
    return 0 < value <= MAX_ID


def encode_cursor(key: int) -> str:
    return _encode(f"{_PREFIX}{key}")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    decoded = _decode(cursor)
    if decoded.startswith(_RANKED_PREFIX):
        raise _invalid("a RANKED cursor cannot page the LATEST order")
    if not decoded.startswith(_PREFIX) or not _KEY.fullmatch(decoded[len(_PREFIX) :]):
        raise _invalid()
    key = int(decoded[len(_PREFIX) :])
    if not _in_id_range(key):
        raise _invalid()
    return key


def encode_ranked_cursor(position: RankedPosition) -> str:
    if isinstance(position, TailPosition):
        return _encode(f"{_RANKED_PREFIX}t{position.post_id}")
    return _encode(f"{_RANKED_PREFIX}s{position.snapshot_id}.{position.slot}.{position.index}")


def decode_ranked_cursor(cursor: str | None) -> RankedPosition | None:
    """A position in a ranked timeline: in a kept ranking, or past it (newest first)."""
    if cursor is None:
        return None
    decoded = _decode(cursor)
    if decoded.startswith(_PREFIX):
        raise _invalid("a LATEST cursor cannot page the RANKED order")
    body = decoded.removeprefix(_RANKED_PREFIX)
    if body == decoded:
        raise _invalid()
    if tail := _TAIL.fullmatch(body):
        post_id = int(tail.group(1))
        if _in_id_range(post_id):
            return TailPosition(post_id)
    elif snapshot := _SNAPSHOT.fullmatch(body):
        snapshot_id, slot, index = (int(part) for part in snapshot.groups())
        if _in_id_range(snapshot_id) and slot < SLOTS:
            return SnapshotPosition(snapshot_id, slot, index)
    raise _invalid()
