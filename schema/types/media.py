from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from processing.errors import MediaFailure
from resolvers import media_fields
from resolvers.context import Info
from resolvers.global_ids import to_global_id
from services.posts.service import MediaItem, MediaKind, MediaState

MediaTypeEnum = strawberry.enum(MediaKind, name="MediaType", description="A photo or a video.")
MediaStateEnum = strawberry.enum(
    MediaState, name="MediaState", description="Processing state; only READY media has URLs."
)
MediaFailureCode = strawberry.enum(
    MediaFailure, name="MediaFailureCode", description="Why processing failed, as a stable code."
)


@strawberry.enum(description="Image variant sizes.")
class MediaSize(Enum):
    THUMBNAIL = "thumbnail"
    MEDIUM = "medium"
    HIGH = "high"


@strawberry.enum(description="Encodings of image variants: WebP, or JPEG for clients without WebP.")
class ImageFormat(Enum):
    WEBP = "webp"
    JPEG = "jpg"


@strawberry.type(description="One photo or video of a post. The raw upload is never exposed.")
class Media:
    id: strawberry.ID
    item: strawberry.Private[MediaItem]
    type: MediaTypeEnum  # type: ignore[valid-type]
    state: MediaStateEnum  # type: ignore[valid-type]
    failure_reason: str | None = strawberry.field(description="Why processing failed, when it did.")
    failure_code: MediaFailureCode | None = strawberry.field(  # type: ignore[valid-type]
        description="The failure as a code clients can act on (for example TOO_LONG: offer to trim)."
    )
    alt_text: str = strawberry.field(description="Accessibility text, as the author wrote it.")
    width: int | None
    height: int | None
    blurhash: str | None = strawberry.field(description="A compact placeholder to show while loading.")
    duration_seconds: float | None

    @classmethod
    def from_item(cls, item: MediaItem) -> Media:
        return cls(
            id=strawberry.ID(to_global_id("Media", item.id)),
            item=item,
            type=item.kind,
            state=item.state,
            failure_reason=item.failure_reason,
            failure_code=MediaFailure(item.failure_code) if item.failure_code else None,
            alt_text=item.alt_text,
            width=item.width,
            height=item.height,
            blurhash=item.blurhash,
            duration_seconds=item.duration_s,
        )

    @strawberry.field(description="An image variant (for videos: the poster at that size), via the CDN.")
    def url(
        self,
        info: Info,
        size: MediaSize = MediaSize.MEDIUM,
        image_format: Annotated[ImageFormat, strawberry.argument(name="format")] = ImageFormat.WEBP,
    ) -> str | None:
        return media_fields.variant_url(info, self.item, f"{size.value}.{image_format.value}")

    @strawberry.field(description="The adaptive HLS master playlist of a video.")
    def hls_url(self, info: Info) -> str | None:
        return media_fields.variant_url(info, self.item, "hls")

    @strawberry.field(description="A video's poster frame (JPEG, high size).")
    def poster_url(self, info: Info) -> str | None:
        return media_fields.variant_url(info, self.item, "poster")
