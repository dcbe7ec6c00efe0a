"""Declares jobs: each carries the request id of the request that enqueued it into its logs."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from arq.worker import Function, Retry, func

from aperture import metrics
from aperture.logs import request_id_var

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

log = logging.getLogger("aperture.jobs")

REGISTRY: list[Function] = []
REQUEST_ID_KWARG = "request_id"


def services_of(ctx: dict[str, Any]) -> Services:
    services: Services = ctx["services"]
    return services


def job(
    *, timeout_s: float | None = None, max_tries: int | None = None
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Register a job. Results are not kept: jobs report through the stores, and a kept
    result would block re-enqueueing the same job id."""

    def decorate(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(fn)
        async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            token = request_id_var.set(kwargs.pop(REQUEST_ID_KWARG, None) or ctx.get("job_id"))
            started = time.perf_counter()
            outcome = "ok"
            try:
                return await fn(ctx, *args, **kwargs)
            except (Retry, asyncio.CancelledError):
                # Cancelled: out of time (retried) or the worker is stopping (run again later)
                outcome = "retry"
                raise
            except Exception:
                outcome = "failed"
                metrics.JOB_FAILURES.labels(job=fn.__name__).inc()
                log.exception(
                    "job %s failed",
                    fn.__name__,
                    extra={"job": fn.__name__, "try": ctx.get("job_try")},
                )
                raise
            finally:
                elapsed = time.perf_counter() - started
                metrics.JOB_SECONDS.labels(job=fn.__name__, outcome=outcome).observe(elapsed)
                log.debug(
                    "job %s finished",
                    fn.__name__,
                    extra={"job": fn.__name__, "outcome": outcome, "duration_ms": round(elapsed * 1000, 2)},
                )
                request_id_var.reset(token)

        REGISTRY.append(func(run, name=fn.__name__, timeout=timeout_s, max_tries=max_tries, keep_result=0))
        return run

    return decorate
