"""Media benchmark: 12 MP JPEGs to all variants per second, and transcoding seconds per second of 720p.

Runs the real pipeline (a sandboxed child process per item, Wand for images, ffmpeg
for HLS) on generated files and prints one JSON document.

    .venv/bin/python -m bench.media [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from wand.image import Image

from bench.common import emit, machine, summarize_ms
from processing.runner import ProcessingOptions, run_processing


def photo(path: Path, width: int = 4000, height: int = 3000) -> int:
    """A 12 MP JPEG with photo-like texture (plasma noise), about as costly to decode as a photo."""
    with Image(width=width, height=height, pseudo="plasma:fractal") as image:
        image.format = "jpeg"
        image.compression_quality = 90
        image.save(filename=str(path))
    return path.stat().st_size


def clip(path: Path, seconds: int) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "medium", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip


async def images(work: Path, count: int, concurrency: int) -> dict[str, Any]:
    source = work / "photo.jpg"
    size = photo(source)
    options = ProcessingOptions(timeout_s=120)
    await run_processing("image", source, work / "warm", "image/jpeg", options)
    durations: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with semaphore:
            started = time.perf_counter()
            result = await run_processing("image", source, work / f"out{index}", "image/jpeg", options)
            durations.append(time.perf_counter() - started)
            assert len(result["variants"]) == 6

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    elapsed = time.perf_counter() - started
    return {
        "source": "4000x3000 JPEG, plasma texture",
        "source_bytes": size,
        "variants": "thumbnail 320 square, medium 1080, high 2048; WebP q80 and JPEG q85 each; blurhash",
        "concurrency": concurrency,
        "images": count,
        "images_per_s": round(count / elapsed, 2),
        "per_image": summarize_ms(durations),
    }


async def video(work: Path, seconds: int) -> dict[str, Any]:
    source = work / "clip.mp4"
    clip(source, seconds)
    options = ProcessingOptions(timeout_s=600, max_video_seconds=600)
    started = time.perf_counter()
    result = await run_processing("video", source, work / "video-out", "video/mp4", options)
    elapsed = time.perf_counter() - started
    return {
        "source": f"{seconds} s 1280x720 H.264 30 fps with AAC",
        "renditions": result["renditions"],
        "segment_seconds": 4,
        "seconds": round(elapsed, 2),
        "transcode_seconds_per_input_second": round(elapsed / seconds, 3),
        "hls_files": len(result["files"]),
    }


async def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="aperture-media-bench-") as tmp:
        work = Path(tmp)
        result: dict[str, Any] = {
            "benchmark": "media",
            "mode": "quick" if quick else "full",
            "machine": machine(),
        }
        result["settings"] = {
            "process": "one sandboxed child process per item (python -m processing.run), as in production",
            "imagemagick_policy": "processing/policy/policy.xml",
        }
        result["images_sequential"] = await images(work, 3 if quick else 10, 1)
        result["images_two_at_once"] = await images(work, 4 if quick else 12, 2)
        result["video_720p"] = await video(work, 4 if quick else 10)
        emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
