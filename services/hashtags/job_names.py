"""The hashtags' background jobs (handlers: jobs/hashtags.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class HashtagJob(JobName):
    SYNC_POST_TAGS = "sync_post_tags"
