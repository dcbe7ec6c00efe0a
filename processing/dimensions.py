"""Image dimensions read from the file header, before any decoder runs.

A decompression bomb is a small file that declares a huge canvas; reading the header
lets it be refused with a precise reason, without asking ImageMagick to allocate it.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_JPEG_FRAME_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_HEADER_BYTES = 1 << 16
_MARKER_PREFIX = 0xFF


def _jpeg(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != _MARKER_PREFIX:
            return None
        marker = data[index + 1]
        if marker in _JPEG_FRAME_MARKERS:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        index += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # noqa: PLR2004 - fixed header layout
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:  # noqa: PLR2004
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:  # noqa: PLR2004
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def header_dimensions(path: Path, content_type: str) -> tuple[int, int] | None:
    """Width and height as the header declares them, or None when the format hides them."""
    with path.open("rb") as handle:
        data = handle.read(_HEADER_BYTES)
    if content_type == "image/png" and len(data) >= 24:  # noqa: PLR2004
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if content_type == "image/gif" and len(data) >= 10:  # noqa: PLR2004
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if content_type == "image/jpeg":
        return _jpeg(data)
    if content_type == "image/webp":
        return _webp(data)
    return None


def looks_complete(path: Path, content_type: str) -> bool:
    """Whether the file ends the way its format ends. Decoders fill a truncated image with
    grey and carry on, so a cut upload is caught here instead."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(16)
        handle.seek(max(0, size - _HEADER_BYTES))
        tail = handle.read()
    if content_type == "image/jpeg":
        # End-of-image after the last start-of-scan (a trailer, as in motion photos, may follow)
        with path.open("rb") as handle:
            data = handle.read()
        return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") > 0
    if content_type == "image/png":
        return b"IEND" in tail[-64:]
    if content_type == "image/gif":
        return b";" in tail[-16:]
    if content_type == "image/webp":
        return len(head) >= 8 and int.from_bytes(head[4:8], "little") + 8 <= size  # noqa: PLR2004
    return True
