"""Flushes hot counters to MongoDB after recounting the real edges."""

from __future__ import annotations

from typing import Any

from jobs.context import services_of


async def flush_counters(ctx: dict[str, Any]) -> int:
    return await services_of(ctx).counters.flush()
