"""Profile photos: an upload claimed as the viewer's avatar and processed into the same image
variants as a post's photos (thumbnail, medium, high; WebP and JPEG; blurhash). Owns the
`media/avatars/` blob keys."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from processing.errors import MediaFailure, MediaRejected, ProcessingCrashed
from services.foundation.blobs import MEDIA_PREFIX, BlobTooLargeError
from services.foundation.errors import DomainError, ErrorCode
from services.media.job_names import MediaJob
from services.media.processing import MAX_ATTEMPTS, RetryLater, content_type_for, storage_failure
from services.media.uploads import MediaRequest
from services.posts.records import MediaItem, MediaKind, MediaState

if TYPE_CHECKING:
    from aperture.settings import Settings
    from services.accounts.users import UserRecord, UserService
    from services.foundation.blobs import BlobStore
    from services.foundation.ids import IdGenerator
    from services.foundation.job_queue import JobQueue
    from services.media.processing import MediaProcessor
    from services.media.uploads import UploadService

log = logging.getLogger(__name__)

AVATAR_PREFIX = f"{MEDIA_PREFIX}avatars/"


class AvatarService:
    def __init__(
        self,
        *,
        settings: Settings,
        users: UserService,
        uploads: UploadService,
        processor: MediaProcessor,
        blobs: BlobStore,
        queue: JobQueue,
        ids: IdGenerator,
    ) -> None:
        self._settings = settings
        self._users = users
        self._uploads = uploads
        self._processor = processor
        self._blobs = blobs
        self._queue = queue
        self._ids = ids

    async def start(self, user_id: int, upload_id: int) -> UserRecord:
        """Make an uploaded photo the user's avatar: PROCESSING now, READY when its job is done."""
        (item,) = await self._uploads.claim(user_id, self._ids.next_id(), [MediaRequest(upload_id, "")])
        if item.kind is not MediaKind.IMAGE:
            await self._uploads.release([upload_id])
            raise DomainError(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE, "a profile photo must be a photo", "avatarUploadId"
            )
        previous = await self._users.get(user_id)
        record = await self._users.set_avatar(user_id, item.to_document())
        if record is None:
            raise DomainError(ErrorCode.NOT_FOUND, "user not found")
        if previous is not None and previous.avatar is not None:
            # The old photo is no longer anyone's: its variants and original go now
            old = MediaItem.from_document(previous.avatar)
            await self._blobs.delete_prefix(f"{AVATAR_PREFIX}{user_id}/{old.id}/")
            await self._uploads.delete_original(old.upload_key)
        await self._queue.enqueue(
            MediaJob.PROCESS_AVATAR, user_id, item.id, job_id=f"avatar:{user_id}:{item.id}"
        )
        return record

    async def process(self, user_id: int, media_id: int, attempt: int) -> None:
        user = await self._users.get(user_id)
        if user is None or user.avatar is None or user.avatar["id"] != media_id:
            return  # replaced by a newer photo, or the account is gone
        item = MediaItem.from_document(user.avatar)
        if item.state is not MediaState.PROCESSING:
            return  # already done: a duplicate or a retried job
        work = self._settings.data_dir / "work"
        work.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix=f"avatar-{media_id}-", dir=work))
        try:
            await self._process_in(user_id, item, attempt, root)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    async def _process_in(self, user_id: int, item: MediaItem, attempt: int, root: Path) -> None:
        source = root / "source"
        try:
            await self._blobs.download(
                item.upload_key, source, max_bytes=self._uploads.limit_for(item.content_type)
            )
            result = await self._processor.transform(item.kind, source, root / "out", item.content_type)
        except BlobTooLargeError as exc:
            await self._fail(user_id, item, MediaRejected(MediaFailure.FILE_TOO_LARGE, str(exc)))
            return
        except MediaRejected as rejection:
            await self._fail(user_id, item, rejection)
            return
        except ProcessingCrashed as crash:
            failure = MediaRejected(MediaFailure.PROCESSING_CRASHED, f"processing crashed: {crash}")
            await self._retry_or_fail(user_id, item, attempt, failure)
            return
        except Exception as exc:  # noqa: BLE001 - any storage failure is retried, then reported
            await self._retry_or_fail(user_id, item, attempt, storage_failure(exc))
            return
        prefix = f"{AVATAR_PREFIX}{user_id}/{item.id}/"
        try:
            for name in sorted(set(result["variants"].values())):
                await self._blobs.put_file(prefix + name, root / "out" / name, content_type_for(name))
        except Exception as exc:  # noqa: BLE001 - any storage failure is retried, then reported
            await self._retry_or_fail(user_id, item, attempt, storage_failure(exc))
            return
        ready = dataclasses.replace(
            item,
            state=MediaState.READY,
            width=result["width"],
            height=result["height"],
            blurhash=result["blurhash"],
            variants={name: prefix + path for name, path in result["variants"].items()},
        )
        if await self._users.set_avatar(user_id, ready.to_document(), replacing=item.id) is None:
            await self._blobs.delete_prefix(prefix)  # a newer photo was chosen meanwhile

    async def _retry_or_fail(
        self, user_id: int, item: MediaItem, attempt: int, failure: MediaRejected
    ) -> None:
        if attempt < MAX_ATTEMPTS:
            log.warning("avatar %s: %s; retrying", item.id, failure.reason)
            raise RetryLater(delay_s=2.0 * attempt)
        await self._fail(user_id, item, failure)

    async def _fail(self, user_id: int, item: MediaItem, failure: MediaRejected) -> None:
        log.info("avatar %s failed: %s", item.id, failure.reason, extra={"user_id": user_id})
        failed = dataclasses.replace(
            item, state=MediaState.FAILED, failure_reason=failure.reason, failure_code=failure.code.value
        )
        await self._users.set_avatar(user_id, failed.to_document(), replacing=item.id)
