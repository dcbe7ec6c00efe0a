"""Hashtags and @mentions parsed out of captions and comments."""

from __future__ import annotations

import re
import unicodedata

MAX_TAGS = 30
MAX_MENTIONS = 20
# Hashtags are letters, digits and underscores in any script; mentions follow the username rule
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})", re.UNICODE)
_TAG_BODY = re.compile(r"\w{1,100}", re.UNICODE)
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.]{3,30})(?![A-Za-z0-9_])")


def _unique(values: list[str], limit: int) -> list[str]:
    return list(dict.fromkeys(values))[:limit]


def normalize_tag(tag: str) -> str:
    return unicodedata.normalize("NFKC", tag).casefold()


def as_hashtag(name: str) -> str | None:
    """The stored form of a tag typed on its own (with or without its '#'), or None when no
    caption could carry it."""
    body = name.strip().removeprefix("#")
    if not _TAG_BODY.fullmatch(body) or body.isdigit():
        return None
    return normalize_tag(body)


def hashtags(text: str) -> list[str]:
    found = [normalize_tag(tag) for tag in _HASHTAG.findall(text)]
    return _unique([tag for tag in found if not tag.isdigit()], MAX_TAGS)


def mentions(text: str) -> list[str]:
    return _unique([name.lower().rstrip(".") for name in _MENTION.findall(text)], MAX_MENTIONS)
