"""The timeline's background jobs (handlers: jobs/timeline.py)."""

from __future__ import annotations

from services.foundation.job_queue import JobName


class TimelineJob(JobName):
    FANOUT_POST = "fanout_post"
    FANOUT_BATCH = "fanout_batch"
    UNFANOUT_POST = "unfanout_post"
    UNFANOUT_BATCH = "unfanout_batch"
    BACKFILL_FOLLOW = "backfill_follow"
    UNMERGE_FOLLOW = "unmerge_follow"
    PROMOTE_FAMOUS = "promote_famous"
    PROMOTE_BATCH = "promote_batch"
    DEMOTE_FAMOUS = "demote_famous"
    DEMOTE_BATCH = "demote_batch"
    SWEEP_LAPSED = "sweep_lapsed"
