"""Timestamps as MongoDB stores them: UTC, millisecond precision.

Truncating at creation means an object reads back exactly as it was written.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
