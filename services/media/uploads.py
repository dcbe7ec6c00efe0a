"""Direct-to-storage uploads. Owns the `uploads` collection and the `uploads/` blob keys.

The client asks for a target, sends the bytes straight to blob storage, then names the
upload in createPost. Storage servers that run locally enforce none of the presigned
conditions, so claiming an upload re-checks everything against what was declared.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING

from processing.sniff import ACCEPTED_TYPES, IMAGE_TYPES
from services.foundation.blobs import UPLOAD_PREFIX
from services.foundation.clock import utc_now
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.sizes import human_size
from services.posts.service import MediaItem, MediaKind, MediaState

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymongo.asynchronous.database import AsyncDatabase

    from aperture.settings import Settings
    from services.foundation.blobs import BlobStore, UploadTarget
    from services.foundation.ids import IdGenerator

MAX_MEDIA_PER_POST = 10
MAX_ALT_TEXT = 1000
# Declared types a client may send, mapped to the canonical type checked against the bytes
_KINDS = {True: "photos", False: "videos"}
CONTENT_TYPES = {t: t for t in ACCEPTED_TYPES} | {"image/jpg": "image/jpeg", "image/heif": "image/heic"}


class UploadState(Enum):
    PENDING = "PENDING"
    USED = "USED"


@dataclass(frozen=True, slots=True)
class UploadTicket:
    id: int
    target: UploadTarget


@dataclass(frozen=True, slots=True)
class MediaRequest:
    upload_id: int
    alt_text: str


class UploadService:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], blobs: BlobStore, ids: IdGenerator, settings: Settings
    ) -> None:
        self._uploads = db["uploads"]
        self._blobs = blobs
        self._ids = ids
        self._settings = settings

    async def ensure_indexes(self) -> None:
        # The expiry job deletes an unclaimed upload's blob and then its document; the TTL
        # index is only the safety net, a day later, for documents the job never reached
        await self._uploads.create_index([("forget_at", ASCENDING)], expireAfterSeconds=0, name="forget_ttl")
        await self._uploads.create_index(
            [("state", ASCENDING), ("expires_at", ASCENDING)], name="pending_expiry"
        )

    def limit_for(self, content_type: str) -> int:
        return (
            self._settings.max_image_bytes if content_type in IMAGE_TYPES else self._settings.max_video_bytes
        )

    async def request(self, owner_id: int, content_type: str, byte_size: int) -> UploadTicket:
        canonical = CONTENT_TYPES.get(content_type.strip().lower())
        if canonical is None:
            accepted = ", ".join(sorted(ACCEPTED_TYPES))
            raise DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"accepted types: {accepted}", "contentType")
        limit = self.limit_for(canonical)
        if byte_size <= 0:
            raise DomainError(ErrorCode.INVALID_INPUT, "byteSize must be positive", "byteSize")
        if byte_size > limit:
            raise DomainError(
                ErrorCode.FILE_TOO_LARGE,
                f"too large: the limit for {_KINDS[canonical in IMAGE_TYPES]} is {human_size(limit)}",
                "byteSize",
            )
        upload_id = self._ids.next_id()
        key = f"{UPLOAD_PREFIX}{owner_id}/{upload_id}"
        ttl = self._settings.upload_url_ttl_s
        await self._uploads.insert_one(
            {
                "_id": upload_id,
                "owner_id": owner_id,
                "content_type": canonical,
                "byte_size": byte_size,
                "key": key,
                "state": UploadState.PENDING.value,
                "created_at": utc_now(),
                # Claimable until a day after the URL expires; then the expiry job deletes it
                **_deadlines(utc_now() + timedelta(seconds=ttl) + timedelta(days=1)),
            }
        )
        # The target allows exactly the declared size class; the claim re-checks the real size
        target = await self._blobs.presign_upload(key, canonical, limit, ttl)
        return UploadTicket(id=upload_id, target=target)

    async def claim(self, owner_id: int, post_id: int, requests: Sequence[MediaRequest]) -> list[MediaItem]:
        """Check every upload against its declaration and mark them used by the post, all or none."""
        if not 1 <= len(requests) <= MAX_MEDIA_PER_POST:
            raise DomainError(
                ErrorCode.TOO_MANY_MEDIA, f"a post takes 1 to {MAX_MEDIA_PER_POST} media", "media"
            )
        if len({r.upload_id for r in requests}) != len(requests):
            raise DomainError(ErrorCode.INVALID_INPUT, "an upload can appear only once in a post", "media")
        documents = [await self._check(owner_id, request, index) for index, request in enumerate(requests)]
        claimed: list[int] = []
        for document in documents:
            result = await self._uploads.update_one(
                {"_id": document["_id"], "state": UploadState.PENDING.value},
                {"$set": {"state": UploadState.USED.value, "post_id": post_id, **_deadlines(_far_future())}},
            )
            if result.modified_count != 1:
                # Lost a race with another post: give back what this one took
                await self.release(claimed)
                raise DomainError(ErrorCode.UPLOAD_ALREADY_USED, "this upload is already in a post", "media")
            claimed.append(document["_id"])
        return [
            MediaItem(
                id=self._ids.next_id(),
                kind=MediaKind.IMAGE if document["content_type"] in IMAGE_TYPES else MediaKind.VIDEO,
                state=MediaState.PROCESSING,
                alt_text=request.alt_text,
                content_type=document["content_type"],
                upload_key=document["key"],
            )
            for document, request in zip(documents, requests, strict=True)
        ]

    async def release(self, upload_ids: Sequence[int]) -> None:
        """Give back uploads claimed by a post that was not created after all."""
        if upload_ids:
            with contextlib.suppress(Exception):
                await self._uploads.update_many(
                    {"_id": {"$in": list(upload_ids)}},
                    {
                        "$set": {
                            "state": UploadState.PENDING.value,
                            **_deadlines(utc_now() + timedelta(days=1)),
                        }
                    },
                )

    async def _check(self, owner_id: int, request: MediaRequest, index: int) -> dict[str, Any]:
        field = f"media.{index}"
        if len(request.alt_text) > MAX_ALT_TEXT:
            raise DomainError(
                ErrorCode.TEXT_TOO_LONG, f"alt text is at most {MAX_ALT_TEXT} characters", field
            )
        document = await self._uploads.find_one({"_id": request.upload_id, "owner_id": owner_id})
        if document is None or document["expires_at"].astimezone(UTC) < utc_now():
            raise DomainError(ErrorCode.UPLOAD_NOT_FOUND, "no such upload (or it expired)", field)
        if document["state"] != UploadState.PENDING.value:
            raise DomainError(ErrorCode.UPLOAD_ALREADY_USED, "this upload is already in a post", field)
        stored = await self._blobs.head(document["key"])
        if stored is None:
            raise DomainError(ErrorCode.UPLOAD_INCOMPLETE, "the upload's bytes have not arrived", field)
        if stored.size != document["byte_size"]:
            raise DomainError(
                ErrorCode.UPLOAD_MISMATCH,
                f"{stored.size} bytes arrived, {document['byte_size']} were declared",
                field,
            )
        if stored.size > self.limit_for(document["content_type"]):
            raise DomainError(ErrorCode.FILE_TOO_LARGE, "the upload is over the size limit", field)
        if stored.content_type is not None and stored.content_type.split(";")[0] != document["content_type"]:
            raise DomainError(
                ErrorCode.UPLOAD_MISMATCH,
                f"sent as {stored.content_type}, declared as {document['content_type']}",
                field,
            )
        return document

    async def delete_original(self, key: str) -> int:
        return await self._blobs.delete(key)

    async def expire(self, batch: int = 500) -> int:
        """Delete unclaimed uploads past their deadline: the blob first, then the document (only
        if still unclaimed and expired), so a crash between the two is finished by the next run."""
        expired = 0
        while True:
            now = utc_now()
            query = {"state": UploadState.PENDING.value, "expires_at": {"$lt": now}}
            documents = await self._uploads.find(query, {"key": 1}).limit(batch).to_list(batch)
            for document in documents:
                await self._blobs.delete(document["key"])
                result = await self._uploads.delete_one({"_id": document["_id"], **query})
                expired += result.deleted_count
            if len(documents) < batch:
                return expired


def _deadlines(claimable_until: datetime) -> dict[str, datetime]:
    """An upload can be claimed until `expires_at`; its document is forgotten a day later."""
    return {"expires_at": claimable_until, "forget_at": claimable_until + timedelta(days=1)}


def _far_future() -> datetime:
    # Used uploads are kept with their post; the TTL index must not remove them
    return datetime(9999, 1, 1, tzinfo=UTC)
