"""What a media child process may do: its environment, its memory, its time, its policy."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys
from dataclasses import dataclass
from pathlib import Path

POLICY_DIR = Path(__file__).resolve().parent / "policy"
ROOT = Path(__file__).resolve().parent.parent
MEMORY_CAP_BYTES = 3 * 1024**3
# Longest answer line: a video's result lists its HLS files
_ANSWER_LIMIT_BYTES = 1 << 20


@dataclass(frozen=True)
class ProcessingOptions:
    timeout_s: float  # wall-clock limit for one video
    # Wall-clock limit for one image. ImageMagick's own `time` resource cannot serve here: it
    # counts from the first image a process ever read and then exits the process, which
    # would kill every reused child after its first 30 s of life (policy.xml leaves it out)
    image_timeout_s: float = 30
    max_side: int = 10_000
    max_pixels: int = 50_000_000
    max_video_seconds: int = 180

    def timeout_for(self, kind: str) -> float:
        return self.timeout_s if kind == "video" else min(self.timeout_s, self.image_timeout_s)

    def limits(self) -> dict[str, int]:
        return {
            "max_side": self.max_side,
            "max_pixels": self.max_pixels,
            "max_seconds": self.max_video_seconds,
        }


def child_environment() -> dict[str, str]:
    # Only what the child needs: no credentials or tokens reach a process that parses hostile input
    return {
        "MAGICK_CONFIGURE_PATH": str(POLICY_DIR),
        "MAGICK_THREAD_LIMIT": "2",
        "OMP_NUM_THREADS": "2",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT),
    }


async def spawn() -> asyncio.subprocess.Process:
    """Start `python -m processing.run` in its own session (so that a timeout kills it and any
    ffmpeg it started with one killpg), with a clean environment and an address-space cap."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "processing.run",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_environment(),
        cwd=str(ROOT),
        start_new_session=True,
        limit=_ANSWER_LIMIT_BYTES,
    )  # fmt: skip
    # Set from outside rather than in a preexec_fn, which is unsafe in a threaded parent; the
    # child has not been sent any input yet, so the cap is in place before it reads a byte.
    # A decoder that runs away then dies instead of swapping the worker to death.
    with contextlib.suppress(ProcessLookupError):  # died at once: reported when its greeting never comes
        resource.prlimit(process.pid, resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    return process
