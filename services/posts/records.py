"""What a post is: its states, its media items, and its stored and cached forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import orjson


class PostStatus(Enum):
    PROCESSING = "PROCESSING"
    VISIBLE = "VISIBLE"
    FAILED = "FAILED"
    DELETED = "DELETED"


class MediaKind(Enum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"


class MediaState(Enum):
    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One photo or video of a post. `variants` maps a variant name to its blob key."""

    id: int
    kind: MediaKind
    state: MediaState
    alt_text: str
    content_type: str
    upload_key: str
    failure_reason: str | None = None
    failure_code: str | None = None  # a processing.errors.MediaFailure value
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None
    duration_s: float | None = None
    variants: dict[str, str] = field(default_factory=dict)

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "state": self.state.value,
            "alt_text": self.alt_text,
            "content_type": self.content_type,
            "upload_key": self.upload_key,
            "failure_reason": self.failure_reason,
            "failure_code": self.failure_code,
            "width": self.width,
            "height": self.height,
            "blurhash": self.blurhash,
            "duration_s": self.duration_s,
            "variants": self.variants,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> MediaItem:
        return cls(
            id=document["id"],
            kind=MediaKind(document["kind"]),
            state=MediaState(document["state"]),
            alt_text=document.get("alt_text", ""),
            content_type=document.get("content_type", ""),
            upload_key=document.get("upload_key", ""),
            failure_reason=document.get("failure_reason"),
            failure_code=document.get("failure_code"),
            width=document.get("width"),
            height=document.get("height"),
            blurhash=document.get("blurhash"),
            duration_s=document.get("duration_s"),
            variants=dict(document.get("variants") or {}),
        )


@dataclass(frozen=True, slots=True)
class PostRecord:
    id: int
    author_id: int
    caption: str
    hashtags: tuple[str, ...]
    mention_ids: tuple[int, ...]
    status: PostStatus
    created_at: datetime
    media: tuple[MediaItem, ...] = ()

    @property
    def is_visible(self) -> bool:
        return self.status is PostStatus.VISIBLE

    def visible_to(self, viewer_id: int | None) -> bool:
        if self.status is PostStatus.DELETED:
            return False
        return self.status is PostStatus.VISIBLE or viewer_id == self.author_id

    def to_document(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "author_id": self.author_id,
            "caption": self.caption,
            "hashtags": list(self.hashtags),
            "mention_ids": list(self.mention_ids),
            "status": self.status.value,
            "created_at": self.created_at,
            "media": [item.to_document() for item in self.media],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> PostRecord:
        return cls(
            id=document["_id"],
            author_id=document["author_id"],
            caption=document.get("caption", ""),
            hashtags=tuple(document.get("hashtags", ())),
            mention_ids=tuple(document.get("mention_ids", ())),
            status=PostStatus(document["status"]),
            created_at=document["created_at"].astimezone(UTC),
            media=tuple(MediaItem.from_document(m) for m in document.get("media", ())),
        )

    def to_cache(self, *, archived: bool = False) -> bytes:
        """The cached form; `archived` marks a record read from the archive tier, whose reads
        count towards its promotion even when they are served from the cache."""
        document = self.to_document()
        document["created_at"] = self.created_at.isoformat()
        if archived:
            document["archived"] = True
        return orjson.dumps(document)

    @classmethod
    def from_cache(cls, raw: str | bytes) -> tuple[PostRecord, bool]:
        """The record, and whether it was cached from the archive tier."""
        document = orjson.loads(raw)
        document["created_at"] = datetime.fromisoformat(document["created_at"])
        return cls.from_document(document), bool(document.get("archived", False))
