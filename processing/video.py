"""Adaptive HLS with ffmpeg (from the imageio-ffmpeg wheel), probed with PyAV, plus a poster."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

import imageio_ffmpeg

from processing.errors import MediaFailure, MediaRejected
from processing.images import ImageLimits, process_image
from processing.sniff import require_declared_type
from processing.video_probe import LIMIT_SLACK_S, missing_seconds_allowed, probe

if TYPE_CHECKING:
    from pathlib import Path

    from processing.video_probe import VideoFacts

SEGMENT_SECONDS = 4
LADDER = (360, 720)
_BITRATES = {360: ("800k", "1200k"), 720: ("2800k", "4200k")}


def rendition_heights(source_height: int) -> list[int]:
    """Two or more even sizes of the shorter side ("360p", "720p"), never above the source."""
    heights = [h for h in LADDER if h <= source_height]
    if len(heights) < len(LADDER):
        top = source_height - source_height % 2
        lower = max(2, (top // 2) - (top // 2) % 2)
        heights = sorted({*heights, lower, top})
    return heights[-2:] if len(heights) > 2 else heights  # noqa: PLR2004 - two renditions at most here


def _bitrate(height: int) -> tuple[str, str]:
    return _BITRATES.get(height, ("600k", "900k") if height < 480 else ("2800k", "4200k"))  # noqa: PLR2004


def _ffmpeg_command(
    source: Path, hls: Path, facts: VideoFacts, heights: list[int], max_seconds: int
) -> list[str]:
    split = f"[0:v]split={len(heights)}" + "".join(f"[s{i}]" for i in range(len(heights)))
    # ffmpeg turns frames upright before the filters, so a portrait video's short side is its width
    size = "{h}:-2" if facts.portrait else "-2:{h}"
    scales = ";".join(f"[s{i}]scale={size.format(h=h)}[v{i}]" for i, h in enumerate(heights))
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-i", str(source),
        # A bound on the work if the decoder finds more than the probe did; a second past the
        # limit, so that such a stream is refused below rather than silently cut
        "-t", str(max_seconds + LIMIT_SLACK_S + 1),
        "-filter_complex", f"{split};{scales}",
    ]  # fmt: skip
    stream_map = []
    for index, height in enumerate(heights):
        bitrate, maxrate = _bitrate(height)
        command += ["-map", f"[v{index}]"]
        command += [f"-b:v:{index}", bitrate, f"-maxrate:v:{index}", maxrate, f"-bufsize:v:{index}", maxrate]
        if facts.audio:
            command += ["-map", "0:a:0"]
            stream_map.append(f"v:{index},a:{index}")
        else:
            stream_map.append(f"v:{index}")
    gop = str(SEGMENT_SECONDS * 24)
    command += [
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
    ]  # fmt: skip
    if facts.audio:
        command += ["-c:a", "aac", "-b:a", "96k", "-ac", "2"]
    command += [
        "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
        "-hls_segment_filename", str(hls / "v%v" / "segment_%03d.ts"),
        "-master_pl_name", "master.m3u8", "-var_stream_map", " ".join(stream_map),
        str(hls / "v%v" / "index.m3u8"),
    ]  # fmt: skip
    return command


def _decoded_seconds(hls: Path) -> float:
    total = 0.0
    for line in (hls / "v0" / "index.m3u8").read_text().splitlines():
        if line.startswith("#EXTINF:"):
            total += float(line.removeprefix("#EXTINF:").split(",")[0])
    return total


def _check_decoded(decoded: float, facts: VideoFacts, max_seconds: int) -> None:
    """The verdict rests on what ffmpeg decoded, not only on what the demuxer listed."""
    if decoded > max_seconds + LIMIT_SLACK_S:
        raise MediaRejected(MediaFailure.TOO_LONG, f"the video is longer than the limit of {max_seconds:g} s")
    if facts.video_seconds - decoded > missing_seconds_allowed(facts.video_seconds):
        raise MediaRejected(
            MediaFailure.CORRUPT,
            f"only {decoded:.1f} s of the {facts.video_seconds:.1f} s of video in the file could be decoded",
        )


def _poster(source: Path, out_dir: Path, seconds: float) -> dict[str, Any]:
    poster_source = out_dir / "poster-source.png"
    grab = subprocess.run(  # noqa: S603
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
         "-ss", str(min(1.0, seconds / 2)), "-i", str(source), "-frames:v", "1", str(poster_source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if grab.returncode != 0 or not poster_source.exists():
        raise MediaRejected(MediaFailure.CORRUPT, "no frame could be taken from the video for its poster")
    poster = process_image(poster_source, out_dir, "image/png", ImageLimits())
    poster_source.unlink()
    return poster


def transcode(source: Path, out_dir: Path, declared: str, max_seconds: int) -> dict[str, Any]:
    require_declared_type(source, declared)
    facts = probe(source, max_seconds)
    heights = rendition_heights(min(facts.width, facts.height))
    hls = out_dir / "hls"
    for index in range(len(heights)):
        (hls / f"v{index}").mkdir(parents=True, exist_ok=True)
    command = _ffmpeg_command(source, hls, facts, heights, max_seconds)
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0 or not (hls / "master.m3u8").exists():
        raise MediaRejected(
            MediaFailure.TRANSCODE_FAILED,
            f"the video could not be transcoded: {result.stderr.strip()[-200:] or 'ffmpeg failed'}",
        )
    decoded = _decoded_seconds(hls)
    _check_decoded(decoded, facts, max_seconds)
    poster = _poster(source, out_dir, decoded)
    files = [str(path.relative_to(out_dir)) for path in sorted(hls.rglob("*")) if path.is_file()]
    return {
        "width": facts.width,
        "height": facts.height,
        "duration": round(decoded, 3),
        "blurhash": poster["blurhash"],
        "renditions": heights,
        "variants": {**poster["variants"], "hls": "hls/master.m3u8", "poster": "high.jpg"},
        "files": files,
    }
