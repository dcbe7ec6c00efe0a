"""Runs one media item in a child process with a time limit, a memory cap and a clean environment."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processing.errors import MediaFailure, MediaRejected

POLICY_DIR = Path(__file__).resolve().parent / "policy"
ROOT = Path(__file__).resolve().parent.parent
_MEMORY_CAP_BYTES = 3 * 1024**3


class ProcessingCrashed(Exception):  # noqa: N818 - an outcome of the child, named for it
    """The child died without an answer: maybe the input, maybe the machine. Retried, then failed."""


@dataclass(frozen=True)
class ProcessingOptions:
    timeout_s: float
    max_side: int = 10_000
    max_pixels: int = 50_000_000
    max_video_seconds: int = 180


def _limit_child() -> None:
    # Address-space cap: a decoder that runs away dies instead of swapping the worker to death
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_CAP_BYTES, _MEMORY_CAP_BYTES))


def _child_environment() -> dict[str, str]:
    # Only what the child needs: no credentials or tokens reach a process that parses hostile input
    return {
        "MAGICK_CONFIGURE_PATH": str(POLICY_DIR),
        "MAGICK_THREAD_LIMIT": "2",
        "OMP_NUM_THREADS": "2",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT),
    }


async def run_processing(
    kind: str, source: Path, out_dir: Path, declared: str, options: ProcessingOptions
) -> dict[str, Any]:
    """Returns the child's result; raises MediaRejected or ProcessingCrashed."""
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    arguments = json.dumps(
        {
            "max_side": options.max_side,
            "max_pixels": options.max_pixels,
            "max_seconds": options.max_video_seconds,
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "processing.run", kind, str(source), str(out_dir), declared, arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_child_environment(),
        cwd=str(ROOT),
        start_new_session=True,
        preexec_fn=_limit_child,
    )  # fmt: skip
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=options.timeout_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the child and any ffmpeg it started
        await process.wait()
        raise MediaRejected(
            MediaFailure.TIMED_OUT, f"processing took longer than {options.timeout_s:g} s"
        ) from None
    lines = [line for line in stdout.decode(errors="replace").splitlines() if line.startswith("{")]
    if not lines:
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {process.returncode}"]
        raise ProcessingCrashed(tail[0][:300])
    answer = json.loads(lines[-1])
    if "rejected" in answer:
        rejection = answer["rejected"]
        raise MediaRejected(MediaFailure(rejection["code"]), str(rejection["reason"]))
    result: dict[str, Any] = answer["ok"]
    return result
