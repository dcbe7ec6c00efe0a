"""What a hashtag name is as a reader types it: the normal form captions are parsed into."""

from __future__ import annotations

from services.foundation.errors import DomainError, ErrorCode
from services.posts import text


def normalize_hashtag(name: str) -> str:
    """`#Café`, `café` and `CAFÉ` all name the tag stored as `café`; a name no caption could
    carry is INVALID_HASHTAG (an unknown but well-formed tag is simply empty)."""
    tag = text.as_hashtag(name)
    if tag is None:
        raise DomainError(ErrorCode.INVALID_HASHTAG, f"{name[:40]!r} is not a hashtag", "name")
    return tag
