"""Where a media item's variants are served from (the CDN base URL, or this API as origin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.posts.records import MediaState

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.posts.records import MediaItem


def variant_url(info: Info, item: MediaItem, name: str) -> str | None:
    if item.state is not MediaState.READY:
        return None
    key = item.variants.get(name)
    return info.context.services.stores.blobs.public_url(key) if key else None
