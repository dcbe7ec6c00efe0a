from __future__ import annotations

from enum import StrEnum


class MediaFailure(StrEnum):
    """Why a media item failed: a stable code a client can act on, beside a reason for people."""

    WRONG_TYPE = "WRONG_TYPE"  # the bytes are not the declared type, or not a supported one
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    DIMENSIONS_TOO_LARGE = "DIMENSIONS_TOO_LARGE"
    TOO_LONG = "TOO_LONG"  # a video longer than MAX_VIDEO_SECONDS, measured from its samples
    TRUNCATED = "TRUNCATED"  # the file ends before the content it declares
    CORRUPT = "CORRUPT"  # the decoder reported damaged data
    UNREADABLE = "UNREADABLE"  # no decoder could make sense of it
    TRANSCODE_FAILED = "TRANSCODE_FAILED"
    TIMED_OUT = "TIMED_OUT"
    PROCESSING_CRASHED = "PROCESSING_CRASHED"  # after the retries: the child kept dying
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"  # after the retries: blob storage kept failing


class MediaRejected(Exception):  # noqa: N818 - a rejection is an outcome, not a programming error
    """The input is unusable; the reason is shown to the client as the media's failure reason."""

    def __init__(self, code: MediaFailure, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ProcessingCrashed(Exception):  # noqa: N818 - an outcome of the child, named for it
    """The child died without an answer: maybe the input, maybe the machine. Retried, then failed."""
