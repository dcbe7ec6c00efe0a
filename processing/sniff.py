"""What a file really is, from its first bytes, whatever its name or declared type says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from processing.errors import MediaFailure, MediaRejected

if TYPE_CHECKING:
    from pathlib import Path

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/gif"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
ACCEPTED_TYPES = IMAGE_TYPES | VIDEO_TYPES
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_QUICKTIME_BRANDS = {b"qt  "}
_HEAD_BYTES = 64


def sniff_bytes(head: bytes) -> str | None:  # noqa: PLR0911 - one answer per format
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _QUICKTIME_BRANDS:
            return "video/quicktime"
        return "video/mp4"
    return None


def sniff_file(path: Path) -> str | None:
    with path.open("rb") as handle:
        return sniff_bytes(handle.read(_HEAD_BYTES))


def compatible(declared: str, actual: str | None) -> bool:
    """MP4 and QuickTime share a container family; anything else must match exactly."""
    if actual is None:
        return False
    if declared in VIDEO_TYPES and actual in VIDEO_TYPES:
        return True
    return declared == actual


def require_declared_type(path: Path, declared: str) -> None:
    """Refuse a file whose first bytes are not the type its uploader declared."""
    actual = sniff_file(path)
    if not compatible(declared, actual):
        raise MediaRejected(
            MediaFailure.WRONG_TYPE,
            f"the file is {actual or 'not a supported format'}, not the declared {declared}",
        )
