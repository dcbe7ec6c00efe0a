"""Timestamps as MongoDB stores them: UTC, millisecond precision.

Truncating at creation means an object reads back exactly as it was written.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

# Only the demo seed sets it, to write a history spread over past weeks (ids stay current)
_behind: ContextVar[timedelta] = ContextVar("clock_behind", default=timedelta(0))


def utc_now() -> datetime:
    now = datetime.now(UTC) - _behind.get()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@contextlib.contextmanager
def backdated(at: datetime) -> Iterator[None]:
    """Within this block (and tasks it starts), utc_now() reads as `at`, moving on from there."""
    token = _behind.set(max(timedelta(0), datetime.now(UTC) - at))
    try:
        yield
    finally:
        _behind.reset(token)
