"""Image variants are upright whatever the EXIF orientation, also on the reduced-decode path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from wand.image import Image

from processing.pool import run_in_fresh_process
from processing.sandbox import ProcessingOptions
from tests import media_files

if TYPE_CHECKING:
    from pathlib import Path

# Where the original's top edge (red in media_files.jpeg_with_exif's gradient) is once shown
TOP_EDGE_SHOWN_AT = {1: "top", 3: "bottom", 6: "right", 8: "left"}


def _redness(image: Image, edge: str) -> int:
    x, y = {"top": (image.width // 2, 2), "bottom": (image.width // 2, image.height - 3),
            "left": (2, image.height // 2), "right": (image.width - 3, image.height // 2)}[edge]  # fmt: skip
    pixel = image[x, y]
    return int(pixel.red_int8) - int(pixel.blue_int8)


@pytest.mark.parametrize("orientation", sorted(TOP_EDGE_SHOWN_AT))
async def test_a_large_photo_is_turned_upright(tmp_path: Path, orientation: int) -> None:
    """4000x3000, so that libjpeg decodes it at half size before it is turned."""
    source = tmp_path / "photo.jpg"
    source.write_bytes(media_files.jpeg_with_exif(4000, 3000, orientation=orientation))
    out = tmp_path / "out"
    result = await run_in_fresh_process("image", source, out, "image/jpeg", ProcessingOptions(timeout_s=60))
    portrait = orientation in {6, 8}
    assert (result["width"], result["height"]) == ((3000, 4000) if portrait else (4000, 3000))
    expected = {"high": (1500, 2000), "medium": (810, 1080), "thumbnail": (320, 320)}
    for name, (short, long) in expected.items():
        with Image(filename=str(out / f"{name}.webp")) as variant:
            assert variant.size == ((short, long) if portrait else (long, short)), name
    with Image(filename=str(out / "high.jpg")) as high:
        red_edge = TOP_EDGE_SHOWN_AT[orientation]
        opposite = {"top": "bottom", "bottom": "top", "left": "right", "right": "left"}[red_edge]
        assert _redness(high, red_edge) > 100 > -100 > _redness(high, opposite)
