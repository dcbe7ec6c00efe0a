"""Short demo videos made by ffmpeg: a slow zoom over a demo photo, and drifting colours."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

SECONDS = 3
FPS = 24


def _filters(kind: str, still: Path | None) -> list[str]:
    frames = SECONDS * FPS
    if kind == "zoom" and still is not None:
        # Ken Burns: a slow push into the still, as a phone's "living photo" might
        centre = "x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
        zoom = f"zoompan=z='1+0.12*on/{frames}':{centre}:d={frames}:s=576x720:fps={FPS}"
        return ["-loop", "1", "-i", str(still), "-vf", zoom]
    return ["-f", "lavfi", "-i", f"gradients=size=640x640:rate={FPS}:speed=0.03:n=4:seed=7"]


def render_video(path: Path, kind: str, still: Path | None = None) -> None:
    """Encode a SECONDS-long H.264 MP4 at `path`."""
    import imageio_ffmpeg  # noqa: PLC0415 - ships the ffmpeg binary the media workers use too

    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        *_filters(kind, still),
        "-t", str(SECONDS), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast",
        "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603 - fixed arguments
