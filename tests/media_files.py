"""Real media files for tests, generated with ImageMagick (Wand) and ffmpeg."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from typing import TYPE_CHECKING

import imageio_ffmpeg
import piexif
from wand.color import Color
from wand.image import Image

if TYPE_CHECKING:
    from pathlib import Path


def jpeg_with_exif(width: int = 1600, height: int = 1200, *, orientation: int = 6) -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90° clockwise", with a GPS position."""
    with Image(width=width, height=height, pseudo="gradient:#ff5e3a-#2a5cff") as image:
        image.format = "jpeg"
        raw = image.make_blob()
    exif = piexif.dump(
        {
            "0th": {piexif.ImageIFD.Orientation: orientation, piexif.ImageIFD.Make: b"TestCam"},
            "GPS": {
                piexif.GPSIFD.GPSLatitudeRef: b"N",
                piexif.GPSIFD.GPSLatitude: ((48, 1), (51, 1), (2400, 100)),
                piexif.GPSIFD.GPSLongitudeRef: b"E",
                piexif.GPSIFD.GPSLongitude: ((2, 1), (21, 1), (300, 100)),
            },
        }
    )
    output = io.BytesIO()
    piexif.insert(exif, raw, output)
    return output.getvalue()


def image_bytes(fmt: str, width: int = 640, height: int = 480, color: str = "#3fa34d") -> bytes:
    with Image(width=width, height=height, background=Color(color)) as image:
        image.format = fmt
        return bytes(image.make_blob())


def animated_gif() -> bytes:
    with Image() as animation:
        for color in ("#ff0000", "#00ff00", "#0000ff"):
            with Image(width=200, height=120, background=Color(color)) as frame:
                animation.sequence.append(frame)
        animation.format = "gif"
        return bytes(animation.make_blob())


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A few hundred bytes that claim 3.6 billion pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def video(
    path: Path,
    *,
    seconds: float = 3,
    size: str = "1280x720",
    rate: int = 24,
    audio: bool = True,
    faststart: bool = False,
) -> bytes:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]  # fmt: skip
    if audio:
        command += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    command += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        command += ["-c:a", "aac"]
    if faststart:
        command += ["-movflags", "+faststart"]  # the index (moov) before the samples, as phones write
    command += [str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return path.read_bytes()


def faststart_video_cut_in_half(path: Path, seconds: float = 6) -> bytes:
    """A complete index that declares `seconds`, followed by only half of the samples."""
    whole = video(path, seconds=seconds, size="320x240", faststart=True)
    return whole[: len(whole) // 2]


_MP4_CONTAINER_BOXES = {b"moov", b"trak", b"mdia"}


def _set_declared_duration(
    data: bytearray, start: int, end: int, seconds: int, movie_scale: list[int]
) -> None:
    index = start
    while index + 8 <= end:
        size, kind = struct.unpack(">I4s", data[index : index + 8])
        body = index + 12  # after size, type, version and flags
        if kind in _MP4_CONTAINER_BOXES:
            _set_declared_duration(data, index + 8, index + size, seconds, movie_scale)
        elif kind in {b"mvhd", b"mdhd"} and data[index + 8] == 0:
            timescale = struct.unpack_from(">I", data, body + 8)[0]
            if kind == b"mvhd":
                movie_scale[0] = timescale
            struct.pack_into(">I", data, body + 12, seconds * timescale)
        elif kind == b"tkhd" and data[index + 8] == 0:
            struct.pack_into(">I", data, body + 16, seconds * movie_scale[0])
        index += size


def video_declaring(path: Path, declared_seconds: int, seconds: float) -> bytes:
    """An MP4 whose movie, track and media headers all claim `declared_seconds` while its
    sample tables hold `seconds` of frames (tiny and 1 fps, so it is quick to make)."""
    data = bytearray(video(path, seconds=seconds, size="32x32", rate=1, audio=False))
    _set_declared_duration(data, 0, len(data), declared_seconds, [1000])
    return bytes(data)


def rotated_video(path: Path, *, rotation: int = 90, seconds: float = 1) -> bytes:
    """A 320x240 video carrying a display matrix that turns it to portrait, as phones record."""
    source = path.with_name(f"unrotated-{path.name}")
    video(source, seconds=seconds, size="320x240")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
         "-display_rotation", str(rotation), "-i", str(source), "-c", "copy", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path.read_bytes()
