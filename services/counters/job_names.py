"""The counters' background jobs (handlers: jobs/counters.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class CounterJob(JobName):
    FLUSH_COUNTERS = "flush_counters"
