"""Turning uploads into variants. Owns the `media/` blob keys and the `events:media-uploaded` stream.

Each media item of a post is one job. The work happens in a sandboxed child process (see
processing/pool.py); this module moves bytes in and out of blob storage and records
the outcome on the post. A rejected input ends FAILED with its reason; a crashed child
or an unreachable store is retried, then fails.
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from processing.errors import MediaFailure, MediaRejected, ProcessingCrashed
from processing.pool import ProcessingPool
from processing.sandbox import ProcessingOptions
from services.foundation.blobs import MEDIA_PREFIX, BlobTooLargeError
from services.foundation.ids import id_floor_for
from services.media.events import MediaProcessed
from services.media.job_names import MediaJob
from services.posts.service import MediaItem, MediaKind, MediaState, PostStatus

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from aperture.settings import Settings
    from services.foundation.blobs import BlobStore
    from services.foundation.events import EventBus
    from services.foundation.job_queue import JobQueue
    from services.media.uploads import UploadService
    from services.posts.service import PostRecord, PostService

log = logging.getLogger(__name__)

MEDIA_EVENTS = "events:media-uploaded"
MAX_ATTEMPTS = 3
_CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".webp": "image/webp"}


class RetryLater(Exception):  # noqa: N818 - a signal to the job runner, not an error
    def __init__(self, delay_s: float) -> None:
        super().__init__(f"retry in {delay_s} s")
        self.delay_s = delay_s


def content_type_for(name: str) -> str:
    suffix = name[name.rfind(".") :]
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class MediaProcessor:
    def __init__(
        self,
        *,
        settings: Settings,
        redis: aioredis.Redis,
        queue: JobQueue,
        posts: PostService,
        uploads: UploadService,
        blobs: BlobStore,
        bus: EventBus,
    ) -> None:
        self._bus = bus
        self._settings = settings
        self._redis = redis
        self._queue = queue
        self._posts = posts
        self._uploads = uploads
        self._blobs = blobs
        self._pool = ProcessingPool(warm=settings.media_warm_processes)  # no process until used
        self.processed = 0

    async def ensure_indexes(self) -> None:
        """Blob storage and a Redis stream only."""

    def warm_up(self) -> None:
        """Start the warm processing processes now, rather than on the first item."""
        self._pool.warm_up()

    async def close(self) -> None:
        """End the processing processes; items still running are retried."""
        await self._pool.close()

    async def submit(self, post: PostRecord) -> None:
        """Emit a MediaUploaded event per item and enqueue its processing job."""
        for item in post.media:
            if item.state is not MediaState.PROCESSING:
                continue
            await self._redis.xadd(
                MEDIA_EVENTS,
                {"post_id": post.id, "media_id": item.id, "kind": item.kind.value, "key": item.upload_key},
                maxlen=100_000,
                approximate=True,
            )
            await self._queue.enqueue(
                MediaJob.PROCESS_MEDIA, post.id, item.id, job_id=f"media:{post.id}:{item.id}"
            )

    async def purge_later(self, post: PostRecord) -> None:
        """Enqueue the removal of a deleted post's variants and originals (if it had media)."""
        if post.media:
            await self._queue.enqueue(MediaJob.PURGE_MEDIA, post.id, job_id=f"purge:{post.id}")

    async def purge(self, post_id: int) -> int:
        """Delete the blobs of a deleted post: its variants (so their URLs stop working, CDN
        copies aside) and the uploaded originals. Idempotent; refuses a post that is not deleted."""
        post = await self._posts.get(post_id)
        if post is None or post.status is not PostStatus.DELETED:
            return 0
        removed = await self._blobs.delete_prefix(media_prefix(post_id))
        for item in post.media:
            removed += await self._uploads.delete_original(item.upload_key)
        return removed

    async def recover(self, stuck_after_s: float) -> int:
        """Re-enqueue items of posts that have been processing for too long (a lost job)."""
        cutoff = id_floor_for_age(stuck_after_s)
        resubmitted = 0
        for post in await self._posts.processing_before(cutoff, 500):
            await self.submit(post)
            resubmitted += 1
        return resubmitted

    async def process(self, post_id: int, media_id: int, attempt: int) -> None:
        post = await self._posts.get(post_id)
        if post is None or post.status is PostStatus.DELETED:
            return
        item = next((m for m in post.media if m.id == media_id), None)
        if item is None or item.state is not MediaState.PROCESSING:
            return  # already done: a duplicate or a retried job
        work = self._settings.data_dir / "work"
        work.mkdir(parents=True, exist_ok=True)
        directory = tempfile.mkdtemp(prefix=f"media-{media_id}-", dir=work)
        started = time.perf_counter()
        outcome = "RETRY"
        try:
            outcome = (await self._process_in(post_id, item, attempt, Path(directory))).value
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            self.processed += 1
            await self._bus.publish(MediaProcessed(item.kind.value, outcome, time.perf_counter() - started))

    async def _process_in(self, post_id: int, item: MediaItem, attempt: int, root: Path) -> MediaState:
        media_id, kind, content_type = item.id, item.kind, item.content_type
        source = root / "source"
        limit = self._uploads.limit_for(content_type)
        try:
            await self._blobs.download(item.upload_key, source, max_bytes=limit)
        except BlobTooLargeError as exc:
            return await self._fail(post_id, media_id, MediaRejected(MediaFailure.FILE_TOO_LARGE, str(exc)))
        except Exception as exc:  # noqa: BLE001 - any storage failure is retried, then reported
            return await self._retry_or_fail(post_id, media_id, attempt, storage_failure(exc))
        try:
            result = await self.transform(kind, source, root / "out", content_type)
        except MediaRejected as rejection:
            return await self._fail(post_id, media_id, rejection)
        except ProcessingCrashed as crash:
            crashed = MediaRejected(MediaFailure.PROCESSING_CRASHED, f"processing crashed: {crash}")
            return await self._retry_or_fail(post_id, media_id, attempt, crashed)
        return await self._publish(post_id, media_id, attempt, root / "out", result)

    async def transform(self, kind: MediaKind, source: Path, out: Path, content_type: str) -> dict[str, Any]:
        """Turn one upload into its variants in `out`, in a sandboxed child. Raises MediaRejected
        for an input it refuses and ProcessingCrashed when the child dies."""
        options = ProcessingOptions(
            timeout_s=self._settings.transcode_timeout_s,
            max_video_seconds=self._settings.max_video_seconds,
        )
        return await self._pool.run(kind.value.lower(), source, out, content_type, options)

    async def _publish(
        self, post_id: int, media_id: int, attempt: int, out: Path, result: dict[str, Any]
    ) -> MediaState:
        """Store the variants, then make the item READY, unless the post was deleted meanwhile."""
        prefix = f"{media_prefix(post_id)}{media_id}/"
        files = set(result["variants"].values()) | set(result.get("files", []))
        try:
            for name in sorted(files):
                await self._blobs.put_file(prefix + name, out / name, content_type_for(name))
        except Exception as exc:  # noqa: BLE001 - any storage failure is retried, then reported
            return await self._retry_or_fail(post_id, media_id, attempt, storage_failure(exc))
        current = await self._posts.get(post_id)
        if current is None or current.status is PostStatus.DELETED:
            # Deleted while processing: the purge may have run before these were stored
            await self._blobs.delete_prefix(prefix)
            return MediaState.FAILED
        # Only now, with every variant stored, does the item become READY and get URLs
        await self._posts.update_media(
            post_id,
            media_id,
            state=MediaState.READY,
            failure_reason=None,
            failure_code=None,
            width=result["width"],
            height=result["height"],
            blurhash=result["blurhash"],
            duration_s=result.get("duration"),
            variants={name: prefix + path for name, path in result["variants"].items()},
        )
        return MediaState.READY

    async def _retry_or_fail(
        self, post_id: int, media_id: int, attempt: int, failure: MediaRejected
    ) -> MediaState:
        if attempt < MAX_ATTEMPTS:
            log.warning("media %s: %s; retrying", media_id, failure.reason)
            raise RetryLater(delay_s=2.0 * attempt)
        return await self._fail(post_id, media_id, failure)

    async def _fail(self, post_id: int, media_id: int, failure: MediaRejected) -> MediaState:
        reason, code = failure.reason, failure.code.value
        log.info("media %s failed: %s (%s)", media_id, reason, code, extra={"post_id": post_id})
        await self._posts.update_media(
            post_id, media_id, state=MediaState.FAILED, failure_reason=reason, failure_code=code
        )
        return MediaState.FAILED

    def stats(self) -> dict[str, Any]:
        return {"processed": self.processed}


def storage_failure(exc: Exception) -> MediaRejected:
    return MediaRejected(MediaFailure.STORAGE_UNAVAILABLE, f"storage unavailable: {type(exc).__name__}")


def id_floor_for_age(age_s: float) -> int:
    from datetime import timedelta  # noqa: PLC0415

    from services.foundation.clock import utc_now  # noqa: PLC0415

    return id_floor_for(utc_now() - timedelta(seconds=age_s))


def media_prefix(post_id: int) -> str:
    """Where every variant of a post's media is stored."""
    return f"{MEDIA_PREFIX}{post_id}/"
