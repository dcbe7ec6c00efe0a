"""Videos are judged on what they hold and decode, not on what their container claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from wand.image import Image

from processing.errors import MediaFailure, MediaRejected
from processing.pool import run_in_fresh_process
from processing.sandbox import ProcessingOptions
from tests import media_files

if TYPE_CHECKING:
    from pathlib import Path

OPTIONS = ProcessingOptions(timeout_s=60, max_video_seconds=180)


async def transcode(path: Path, out: Path) -> dict[str, object]:
    return await run_in_fresh_process("video", path, out, "video/mp4", OPTIONS)


async def rejection(path: Path, out: Path) -> MediaRejected:
    with pytest.raises(MediaRejected) as caught:
        await transcode(path, out)
    return caught.value


async def test_a_faststart_file_cut_in_half_is_truncated(tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(media_files.faststart_video_cut_in_half(tmp_path / "whole.mp4", seconds=6))
    refused = await rejection(cut, tmp_path / "out")
    assert refused.code is MediaFailure.TRUNCATED
    assert "declares 6.0 s" in refused.reason


async def test_a_header_that_declares_5_s_over_20_minutes_is_refused(tmp_path: Path) -> None:
    liar = tmp_path / "liar.mp4"
    liar.write_bytes(media_files.video_declaring(tmp_path / "honest.mp4", declared_seconds=5, seconds=1200))
    refused = await rejection(liar, tmp_path / "out")
    assert refused.code is MediaFailure.TOO_LONG
    assert not list((tmp_path / "out").glob("hls/**/*.ts")), "refused before any transcoding"


async def test_samples_that_do_not_decode_are_corrupt(tmp_path: Path) -> None:
    """Every packet is in the file, so the container is whole, but the second half is noise."""
    data = bytearray(media_files.video(tmp_path / "clip.mp4", seconds=6, size="320x240", audio=False,
                                       faststart=True))  # fmt: skip
    half = len(data) // 2
    data[half:] = bytes(range(256)) * ((len(data) - half) // 256) + bytes((len(data) - half) % 256)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    refused = await rejection(damaged, tmp_path / "out")
    assert refused.code is MediaFailure.CORRUPT
    assert "of the 6.0 s of video in the file could be decoded" in refused.reason


@pytest.mark.parametrize(("rotation", "shown"), [(90, (240, 320)), (-90, (240, 320)), (180, (320, 240))])
async def test_dimensions_are_the_displayed_ones(
    tmp_path: Path, rotation: int, shown: tuple[int, int]
) -> None:
    clip = tmp_path / "phone.mp4"
    media_files.rotated_video(clip, rotation=rotation)
    result = await transcode(clip, tmp_path / "out")
    assert (result["width"], result["height"]) == shown
    with Image(filename=str(tmp_path / "out" / "high.jpg")) as poster:
        assert (poster.width, poster.height) == shown


async def test_an_honest_video_reports_its_decoded_length(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    media_files.video(clip, seconds=2, size="320x240")
    result = await transcode(clip, tmp_path / "out")
    assert result["duration"] == pytest.approx(2.0, abs=0.1)
    assert (result["width"], result["height"]) == (320, 240)
