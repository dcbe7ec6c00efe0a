"""Adaptive HLS with ffmpeg (from the imageio-ffmpeg wheel), probed with PyAV, plus a poster."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

import av
import imageio_ffmpeg

from processing.errors import MediaRejected
from processing.images import ImageLimits, process_image
from processing.sniff import compatible, sniff_file

if TYPE_CHECKING:
    from pathlib import Path

SEGMENT_SECONDS = 4
LADDER = (360, 720)
_BITRATES = {360: ("800k", "1200k"), 720: ("2800k", "4200k")}


def probe(source: Path) -> dict[str, Any]:
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise MediaRejected("the file has no video stream")
            video = container.streams.video[0]
            has_audio = bool(container.streams.audio)
            duration = container.duration / 1_000_000 if container.duration else None
            return {
                "width": video.width,
                "height": video.height,
                "duration": duration,
                "audio": has_audio,
            }
    except av.FFmpegError as exc:
        raise MediaRejected(f"the file could not be read as a video ({exc.__class__.__name__})") from None


def rendition_heights(source_height: int) -> list[int]:
    """Two or more even heights, never above the source."""
    heights = [h for h in LADDER if h <= source_height]
    if len(heights) < len(LADDER):
        top = source_height - source_height % 2
        lower = max(2, (top // 2) - (top // 2) % 2)
        heights = sorted({*heights, lower, top})
    return heights[-2:] if len(heights) > 2 else heights  # noqa: PLR2004 - two renditions at most here


def _bitrate(height: int) -> tuple[str, str]:
    return _BITRATES.get(height, ("600k", "900k") if height < 480 else ("2800k", "4200k"))  # noqa: PLR2004


def transcode(source: Path, out_dir: Path, declared: str, max_seconds: int) -> dict[str, Any]:
    actual = sniff_file(source)
    if not compatible(declared, actual):
        raise MediaRejected(f"the file is {actual or 'not a supported format'}, not the declared {declared}")
    info = probe(source)
    duration = info["duration"]
    if duration is not None and duration > max_seconds:
        raise MediaRejected(f"the video is {duration:.0f} s long; the limit is {max_seconds} s")
    heights = rendition_heights(info["height"])
    hls = out_dir / "hls"
    for index in range(len(heights)):
        (hls / f"v{index}").mkdir(parents=True, exist_ok=True)
    split = f"[0:v]split={len(heights)}" + "".join(f"[s{i}]" for i in range(len(heights)))
    scales = ";".join(f"[s{i}]scale=-2:{h}[v{i}]" for i, h in enumerate(heights))
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-i", str(source),
        # Cuts an endless or over-long stream even when its container claims no duration
        "-t", str(max_seconds),
        "-filter_complex", f"{split};{scales}",
    ]  # fmt: skip
    stream_map = []
    for index, height in enumerate(heights):
        bitrate, maxrate = _bitrate(height)
        command += ["-map", f"[v{index}]"]
        command += [f"-b:v:{index}", bitrate, f"-maxrate:v:{index}", maxrate, f"-bufsize:v:{index}", maxrate]
        if info["audio"]:
            command += ["-map", "0:a:0"]
            stream_map.append(f"v:{index},a:{index}")
        else:
            stream_map.append(f"v:{index}")
    gop = str(SEGMENT_SECONDS * 24)
    command += [
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
    ]  # fmt: skip
    if info["audio"]:
        command += ["-c:a", "aac", "-b:a", "96k", "-ac", "2"]
    command += [
        "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
        "-hls_segment_filename", str(hls / "v%v" / "segment_%03d.ts"),
        "-master_pl_name", "master.m3u8", "-var_stream_map", " ".join(stream_map),
        str(hls / "v%v" / "index.m3u8"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0 or not (hls / "master.m3u8").exists():
        raise MediaRejected(
            f"the video could not be transcoded: {result.stderr.strip()[-200:] or 'ffmpeg failed'}"
        )
    poster_source = out_dir / "poster-source.png"
    seek = "0" if not duration else str(min(1.0, duration / 2))
    grab = subprocess.run(  # noqa: S603
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
         "-ss", seek, "-i", str(source), "-frames:v", "1", str(poster_source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if grab.returncode != 0 or not poster_source.exists():
        raise MediaRejected("no frame could be taken from the video for its poster")
    poster = process_image(poster_source, out_dir, "image/png", ImageLimits())
    poster_source.unlink()
    files = [str(path.relative_to(out_dir)) for path in sorted(hls.rglob("*")) if path.is_file()]
    measured = duration if duration is not None else _measured_duration(hls)
    return {
        "width": info["width"],
        "height": info["height"],
        "duration": round(min(measured, max_seconds), 3) if measured else None,
        "blurhash": poster["blurhash"],
        "renditions": heights,
        "variants": {**poster["variants"], "hls": "hls/master.m3u8", "poster": "high.jpg"},
        "files": files,
    }


def _measured_duration(hls: Path) -> float:
    total = 0.0
    for line in (hls / "v0" / "index.m3u8").read_text().splitlines():
        if line.startswith("#EXTINF:"):
            total += float(line.removeprefix("#EXTINF:").split(",")[0])
    return total
