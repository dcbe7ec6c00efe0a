"""Image variants with Wand: orient, strip metadata, resize, encode WebP and JPEG, blurhash.

Runs inside the media child process. Every failure a client can cause raises
MediaRejected with a reason meant for the client.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import blurhash
from wand.color import Color
from wand.exceptions import WandException
from wand.image import Image

from processing.dimensions import header_dimensions, looks_complete
from processing.errors import MediaFailure, MediaRejected
from processing.sniff import require_declared_type

if TYPE_CHECKING:
    from pathlib import Path

THUMBNAIL = 320
MEDIUM = 1080
HIGH = 2048
WEBP_QUALITY = 80
JPEG_QUALITY = 85
# libjpeg can decode at 1/2, 1/4 or 1/8 scale for nearly free; ask for at least this size
JPEG_DECODE_HINT = 1920
# WebP effort per variant, measured on bench/media.py's 12 MP photo: method 0 encodes the
# 2000 px variant in 63 ms instead of 121 ms at method 2, for the same size and 0.16 dB
# lower PSNR; method 2 encodes the 1080 px one in 38 ms instead of 80 ms at method 4, for 7%
# more bytes and 0.12 dB lower. Method 4 there would put a 12 MP photo at 0.33 s of CPU,
# against the 0.35 s budget (issue 20); effort still pays on the thumbnail, at 11 ms.
WEBP_METHOD = {"high": "0", "medium": "2", "thumbnail": "4"}
# Reductions average each output pixel's footprint (ImageMagick's scale): 29 ms for 2000 to
# 1080 px where Lanczos takes 89 ms, and the two results differ by 51 dB PSNR, far below
# what an eye can see. The rare enlargement (a thumbnail of a small image) uses Catmull-Rom.
ENLARGE_FILTER = "catrom"
BLURHASH_SIZE = 32


@dataclass(frozen=True)
class ImageLimits:
    max_side: int = 10_000
    max_pixels: int = 50_000_000


def _resize(image: Image, width: int, height: int) -> None:
    if width <= image.width and height <= image.height:
        image.scale(width, height)
    else:
        image.resize(width, height, filter=ENLARGE_FILTER)


def _fit(width: int, height: int, bound: int) -> tuple[int, int]:
    """Scale down so that the longer side is at most `bound`; never scale up."""
    scale = min(1.0, bound / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


class Laps:
    """Milliseconds spent in each phase of one item, returned with its result: the profile
    that bench/media.py reports, at the cost of a clock read per phase."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._mark = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.ms[phase] = round((now - self._mark) * 1000, 1)
        self._mark = now


def _encode(image: Image, path_stem: Path, lap: Laps) -> dict[str, str]:
    written = {}
    for fmt, quality, suffix in (("webp", WEBP_QUALITY, "webp"), ("jpeg", JPEG_QUALITY, "jpg")):
        with image.clone() as copy:
            copy.format = fmt
            copy.compression_quality = quality
            if fmt == "jpeg":
                # Baseline, not progressive: progressive took 142 ms instead of 46 ms for the
                # 2000 px variant and saved 2% of its bytes. (Setting an interlace scheme here,
                # as this once did, has no effect: ImageMagick 6 ignores it when writing a file.)
                copy.options["jpeg:optimize-coding"] = "true"
            else:
                copy.options["webp:method"] = WEBP_METHOD.get(path_stem.name, "4")
            target = path_stem.with_name(f"{path_stem.name}.{suffix}")
            copy.save(filename=str(target))
            written[f"{path_stem.name}.{suffix}"] = target.name
        lap(f"{path_stem.name}.{suffix}")
    return written


def _blurhash(image: Image) -> str:
    width, height = _fit(image.width, image.height, BLURHASH_SIZE)
    with image.clone() as tiny:
        tiny.scale(width, height)  # a box average: all a placeholder needs, at a quarter of resize's cost
        pixels = tiny.export_pixels(channel_map="RGB", storage="char")
    rows = [
        [pixels[(y * width + x) * 3 : (y * width + x) * 3 + 3] for x in range(width)] for y in range(height)
    ]
    # More components along the longer side, as the reference encoder recommends
    components_x, components_y = (4, 3) if width >= height else (3, 4)
    encoded: str = blurhash.encode(rows, components_x=components_x, components_y=components_y)
    return encoded


def _check_dimensions(source: Path, declared: str, limits: ImageLimits) -> tuple[int, int]:
    dimensions = header_dimensions(source, declared)
    if dimensions is None:
        spec = f"{source}[0]" if declared == "image/gif" else str(source)
        try:
            with Image.ping(filename=spec) as probe:
                dimensions = probe.width, probe.height
        except WandException as exc:
            raise MediaRejected(
                MediaFailure.UNREADABLE, f"the file could not be read as an image ({exc})"
            ) from None
    width, height = dimensions
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise MediaRejected(
            MediaFailure.DIMENSIONS_TOO_LARGE,
            f"the image is {width}x{height}; the limit is {limits.max_side} per side "
            f"and {limits.max_pixels // 1_000_000} megapixels",
        )
    return width, height


def warm_up_coders() -> None:
    """Load ImageMagick's coder modules before the first item rather than during it."""
    with Image(width=8, height=8, background=Color("gray")) as probe:
        for fmt in ("jpeg", "webp", "png"):
            probe.format = fmt
            with Image(blob=probe.make_blob()):
                pass


def _decode(image: Image, source: Path, declared: str, size: tuple[int, int]) -> None:
    source_width, source_height = size
    if declared == "image/jpeg" and max(source_width, source_height) >= JPEG_DECODE_HINT * 2:
        # Only ever a reduction: a hint larger than the image makes libjpeg scale up
        # Both sides must fit the hint, so it keeps the image's own aspect ratio
        ratio = JPEG_DECODE_HINT / max(source_width, source_height)
        image.options["jpeg:size"] = f"{math.ceil(source_width * ratio)}x{math.ceil(source_height * ratio)}"
    image.read(filename=f"{source}[0]" if declared == "image/gif" else str(source))
    image.auto_orient()
    image.strip()  # EXIF, GPS, comments and profiles
    image.transform_colorspace("srgb")


def _variants(image: Image, out_dir: Path, lap: Laps) -> tuple[dict[str, str], str]:
    """high, then medium from high, then the thumbnail from medium: each resize starts from
    the smallest picture that is still larger than its target."""
    variants: dict[str, str] = {}
    with image.clone() as high:
        target = _fit(image.width, image.height, HIGH)
        if target != (image.width, image.height):
            _resize(high, *target)
            lap("high.resize")
        variants |= _encode(high, out_dir / "high", lap)
        with high.clone() as medium:
            _resize(medium, *_fit(high.width, high.height, MEDIUM))
            lap("medium.resize")
            variants |= _encode(medium, out_dir / "medium", lap)
            with medium.clone() as thumb:
                side = min(thumb.width, thumb.height)
                thumb.crop(width=side, height=side, gravity="center")
                _resize(thumb, THUMBNAIL, THUMBNAIL)
                lap("thumbnail.resize")
                variants |= _encode(thumb, out_dir / "thumbnail", lap)
            # From the full picture, not the square thumbnail, so it has the right shape
            placeholder = _blurhash(medium)
            lap("blurhash")
    return variants, placeholder


def process_image(source: Path, out_dir: Path, declared: str, limits: ImageLimits) -> dict[str, Any]:
    lap = Laps()
    require_declared_type(source, declared)
    source_width, source_height = _check_dimensions(source, declared, limits)
    if not looks_complete(source, declared):
        raise MediaRejected(
            MediaFailure.TRUNCATED, "the image is corrupt or truncated (it ends before its end marker)"
        )
    lap("checks")
    # ImageMagick reports truncated or corrupt data as warnings and returns a partial
    # image; a partial image is a failure here, never a variant
    warnings.simplefilter("error")
    try:
        with Image() as image:
            _decode(image, source, declared, (source_width, source_height))
            lap("decode")
            # The original's dimensions, upright, whatever scale it was decoded at
            scale = max(source_width, source_height) / max(image.width, image.height)
            width, height = round(image.width * scale), round(image.height * scale)
            variants, placeholder = _variants(image, out_dir, lap)
    except (WandException, Warning) as exc:
        raise MediaRejected(
            MediaFailure.CORRUPT, f"the image is corrupt or truncated ({exc.__class__.__name__})"
        ) from None
    return {
        "width": width,
        "height": height,
        "blurhash": placeholder,
        "variants": variants,
        "timings_ms": lap.ms,
    }
