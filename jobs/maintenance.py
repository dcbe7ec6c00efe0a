"""Housekeeping jobs."""

from __future__ import annotations

from typing import Any

from jobs.registry import job, services_of


@job(timeout_s=10)
async def ping_stores(ctx: dict[str, Any]) -> dict[str, str | None]:
    """Reports store reachability from the worker's side; used by `aperture worker --check`."""
    return await services_of(ctx).stores.readiness()
