"""Discovery's background jobs (handlers: jobs/discovery.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class DiscoveryJob(JobName):
    REBUILD_PEOPLE_INDEX = "rebuild_people_index"
