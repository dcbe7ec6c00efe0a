"""The archive's background jobs (handlers: jobs/archive.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class ArchiveJob(JobName):
    ARCHIVE_POSTS = "archive_posts"
    PROMOTE_POST = "promote_post"
