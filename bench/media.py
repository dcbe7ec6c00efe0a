"""Media benchmark: a 12 MP JPEG to all its variants, from a cold process and from a warm one.

Runs the real pipeline (sandboxed child processes, Wand for images, ffmpeg for HLS) on
generated files and prints one JSON document. The baseline, measured in the same run, is
the cold path: a fresh sandboxed process per item, as every item paid before the warm pool.
The sequential runs are pinned to one core, so their wall time is a one-core figure, and
alternate a cold item with a warm one, so that both meet the same load. CPU time is read
from /proc for the warm child and from reaped children's rusage for cold ones; on a shared
machine it is the steadier figure.
Each image reports how its time splits into phases (processing/images.py `Laps`).

    .venv/bin/python -m bench.media [--quick] > bench/results/media.json

To see where a warm child spends its time in more detail, sample it while this runs:
    .venv/bin/py-spy record --nonblocking -r 500 --pid <child pid> -o profile.svg
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from wand.image import Image

from bench.common import emit, machine, summarize_ms
from processing.pool import ProcessingPool, run_in_fresh_process
from processing.sandbox import ProcessingOptions

OPTIONS = ProcessingOptions(timeout_s=120)
_TICKS = os.sysconf("SC_CLK_TCK")


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


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _reaped_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _split(timings: list[dict[str, float]]) -> dict[str, float]:
    phases = timings[0].keys()
    return {phase: round(statistics.median(t.get(phase, 0.0) for t in timings), 1) for phase in phases}


def _summary(walls: list[float], cpus: list[float], timings: list[dict[str, float]]) -> dict[str, Any]:
    processing = [sum(t.values()) / 1000 for t in timings]
    return {
        "wall": summarize_ms(walls),
        "cpu": summarize_ms(cpus),
        "in_pipeline_p50_ms": round(statistics.median(processing) * 1000, 1),
        # Process start, imports, coder loading, the pipe and the parent's bookkeeping
        "outside_pipeline_p50_ms": round(
            (statistics.median(walls) - statistics.median(processing)) * 1000, 1
        ),
        "phases_p50_ms": _split(timings),
    }


async def images_cold_and_warm(source: Path, work: Path, count: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alternates a cold item and a warm one, so that both meet the same load on the machine."""
    cold: tuple[list[float], list[float], list[dict[str, float]]] = ([], [], [])
    warm: tuple[list[float], list[float], list[dict[str, float]]] = ([], [], [])
    pool = ProcessingPool(warm=1)
    try:
        await pool.run("image", source, work / "warming", "image/jpeg", OPTIONS)  # start it, untimed
        (child,) = pool.children
        for index in range(count):
            cpu_before, started = _reaped_cpu(), time.perf_counter()
            result = await run_in_fresh_process("image", source, work / f"cold{index}", "image/jpeg", OPTIONS)
            cold[0].append(time.perf_counter() - started)
            cold[1].append(_reaped_cpu() - cpu_before)  # the child has exited and been reaped
            cold[2].append(result["timings_ms"])

            cpu_before, started = _cpu_of(child.pid), time.perf_counter()
            result = await pool.run("image", source, work / f"warm{index}", "image/jpeg", OPTIONS)
            warm[0].append(time.perf_counter() - started)
            warm[1].append(_cpu_of(child.pid) - cpu_before)
            warm[2].append(result["timings_ms"])
            assert len(result["variants"]) == 6
        assert pool.started == 1, "every warm item ran in the one warm child"
    finally:
        await pool.close()
    return {"images": count, **_summary(*cold)}, {"images": count, **_summary(*warm)}


async def images_two_at_once(source: Path, work: Path, count: int) -> dict[str, Any]:
    pool = ProcessingPool(warm=2)
    try:
        pool.warm_up()
        await asyncio.gather(
            *(pool.run("image", source, work / f"w{i}", "image/jpeg", OPTIONS) for i in range(2))
        )
        durations: list[float] = []
        semaphore = asyncio.Semaphore(2)

        async def one(index: int) -> None:
            async with semaphore:
                started = time.perf_counter()
                result = await pool.run("image", source, work / f"two{index}", "image/jpeg", OPTIONS)
                durations.append(time.perf_counter() - started)
                assert len(result["variants"]) == 6

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return {"images": count, "images_per_s": round(count / elapsed, 2), "per_image": summarize_ms(durations)}


async def video(work: Path, seconds: int) -> dict[str, Any]:
    source = work / "clip.mp4"
    clip(source, seconds)
    options = ProcessingOptions(timeout_s=600, max_video_seconds=600)
    pool = ProcessingPool(warm=1)
    cpu_before = _reaped_cpu()
    try:
        started = time.perf_counter()
        result = await pool.run("video", source, work / "video-out", "video/mp4", options)
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    # The child, its start included, and the ffmpeg runs it reaped: all reaped by now
    cpu = _reaped_cpu() - cpu_before
    return {
        "source": f"{seconds} s 1280x720 H.264 30 fps with AAC",
        "renditions": result["renditions"],
        "segment_seconds": 4,
        "seconds": round(elapsed, 2),
        "transcode_seconds_per_input_second": round(elapsed / seconds, 3),
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_input_second": round(cpu / seconds, 3),
        "hls_files": len(result["files"]),
    }


async def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="aperture-media-bench-") as tmp:
        work = Path(tmp)
        source = work / "photo.jpg"
        result: dict[str, Any] = {
            "benchmark": "media",
            "mode": "quick" if quick else "full",
            "machine": machine(),
            "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
            "settings": {
                "source": "4000x3000 JPEG, plasma texture",
                "source_bytes": photo(source),
                "variants": "thumbnail 320 square, medium 1080, high 2048 (decoded at 2000x1500); "
                "WebP q80 and JPEG q85 each; blurhash",
                "imagemagick_policy": "processing/policy/policy.xml",
                "sequential_runs": "pinned to one core (sched_setaffinity), children inherit it",
            },
        }
        count = 4 if quick else 12
        every_core = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(every_core)})
        try:
            cold, warm = await images_cold_and_warm(source, work, count)
        finally:
            os.sched_setaffinity(0, every_core)
        result["baseline_cold_process_per_item"] = cold
        result["warm_pool"] = warm
        result["warm_vs_cold"] = {
            "wall_p50": round(warm["wall"]["p50_ms"] / cold["wall"]["p50_ms"], 3),
            "cpu_p50": round(warm["cpu"]["p50_ms"] / cold["cpu"]["p50_ms"], 3),
        }
        result["images_two_at_once"] = await images_two_at_once(source, work, count)
        result["video_720p"] = await video(work, 4 if quick else 10)
        result["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
        emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
