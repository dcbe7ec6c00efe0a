"""Media's background jobs (handlers: jobs/media.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class MediaJob(JobName):
    PROCESS_MEDIA = "process_media"
    PROCESS_AVATAR = "process_avatar"
    RECOVER_MEDIA = "recover_media"
    PURGE_MEDIA = "purge_media"
    EXPIRE_UPLOADS = "expire_uploads"
