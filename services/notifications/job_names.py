"""The notifications' background jobs (handlers: jobs/notifications.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class NotificationJob(JobName):
    SYNC_LIKE = "notify_like"
    SYNC_COMMENT = "notify_comment"
    SYNC_FOLLOW = "notify_follow"
    SYNC_CAPTION = "notify_caption"
    FORGET_POST = "notify_forget_post"
