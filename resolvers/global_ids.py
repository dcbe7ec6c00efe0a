"""Relay global ids: opaque base64 of "Type:number". Decoding failures are INVALID_ID."""

from __future__ import annotations

import base64
import binascii
import functools
import re

from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import MAX_ID

_MAX_GLOBAL_ID_LENGTH = 100
# ASCII digits only: str.isdigit() accepts "²" (which int() refuses) and int() accepts " 1",
# "+1", "1_0" and Arabic-Indic digits, which would let one id be spelled many ways
_DECIMAL = re.compile(r"[1-9][0-9]{0,18}|0")


def parse_decimal(text: str) -> int | None:
    """A whole number written the one canonical way (no sign, spaces, separators or leading
    zeros, at most 19 digits), or None."""
    return int(text) if _DECIMAL.fullmatch(text) else None


# Remembered: a page encodes the same posts' and authors' ids for every reader (about 0.4 us
# each, twice per post with its cursor); a hit costs a tenth of that
@functools.lru_cache(maxsize=16_384)
def to_global_id(type_name: str, raw_id: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def parse_global_id(global_id: str, field: str | None = None) -> tuple[str, int]:
    invalid = DomainError(ErrorCode.INVALID_ID, f"{global_id[:40]!r} is not a valid id", field)
    if not global_id or len(global_id) > _MAX_GLOBAL_ID_LENGTH:
        raise invalid
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    raw_id = parse_decimal(raw)
    if not type_name or raw_id is None or not 0 < raw_id <= MAX_ID:
        raise invalid
    return type_name, raw_id


def expect_global_id(global_id: str, type_name: str, field: str | None = None) -> int:
    """The number inside a global id that must name a `type_name`."""
    found_type, raw_id = parse_global_id(global_id, field)
    if found_type != type_name:
        raise DomainError(ErrorCode.INVALID_ID, f"expected a {type_name} id, got a {found_type} id", field)
    return raw_id
