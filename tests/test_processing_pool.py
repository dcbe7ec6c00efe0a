"""Warm media processes: reused while all goes well, ended after anything unusual, and as
sandboxed as a process started for one item."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from processing import pool as pool_module
from processing.errors import MediaFailure, MediaRejected, ProcessingCrashed
from processing.pool import ProcessingPool
from processing.sandbox import MEMORY_CAP_BYTES, ProcessingOptions, child_environment
from tests import media_files
from tests.processes import alive, process_group

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

OPTIONS = ProcessingOptions(timeout_s=60)


@pytest.fixture
async def pool() -> AsyncIterator[ProcessingPool]:
    warm = ProcessingPool(warm=1)
    yield warm
    await warm.close()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(media_files.jpeg_with_exif(800, 600))
    return path


@pytest.fixture
def long_clip(tmp_path: Path) -> Path:
    """A clip whose transcode takes a few seconds: time to kill or cancel it midway."""
    path = tmp_path / "long.mp4"
    media_files.video(path, seconds=20, size="1280x720")
    return path


async def image(pool: ProcessingPool, source: Path, out: Path) -> int:
    """Runs one image item and returns the pid of the child that ran it."""
    item = asyncio.create_task(pool.run("image", source, out, "image/jpeg", OPTIONS))
    pid = await busy_pid(pool)
    assert len((await item)["variants"]) == 6
    return pid


async def group_ended(pgid: int) -> bool:
    """Whether every process of the group is gone, within the moment a SIGKILL takes."""
    for _ in range(100):
        if not process_group(pgid):
            return True
        await asyncio.sleep(0.02)
    return False


async def busy_pid(pool: ProcessingPool) -> int:
    """The pid of the child running the item just started (items here take 50 ms or more)."""
    for _ in range(2000):
        if pool.busy:
            (child,) = pool.busy
            return child.pid
        await asyncio.sleep(0.005)
    raise AssertionError("no child took the item")


async def test_items_reuse_one_warm_process(pool: ProcessingPool, photo: Path, tmp_path: Path) -> None:
    pids = [await image(pool, photo, tmp_path / f"out{i}") for i in range(3)]
    assert len(set(pids)) == 1
    assert pool.started == 1


async def test_a_rejection_ends_the_process_and_the_next_item_gets_a_fresh_one(
    pool: ProcessingPool, photo: Path, tmp_path: Path
) -> None:
    first = await image(pool, photo, tmp_path / "before")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(media_files.png_bomb())
    with pytest.raises(MediaRejected) as refused:
        await pool.run("image", bomb, tmp_path / "bomb-out", "image/png", OPTIONS)
    assert refused.value.code is MediaFailure.DIMENSIONS_TOO_LARGE
    large = tmp_path / "large.jpg"
    large.write_bytes(media_files.jpeg_with_exif(4000, 3000, orientation=1))
    after = await image(pool, large, tmp_path / "after")
    assert after != first, "ImageMagick can stay unusable after a refused input: never reuse that process"
    assert not alive(first)


async def test_a_crash_mid_item_is_reported_and_leaves_nothing_running(
    pool: ProcessingPool, long_clip: Path, photo: Path, tmp_path: Path
) -> None:
    item = asyncio.create_task(pool.run("video", long_clip, tmp_path / "out", "video/mp4", OPTIONS))
    pid = await busy_pid(pool)
    while len(process_group(pid)) < 2:  # the child and the ffmpeg it started
        await asyncio.sleep(0.02)
    os.kill(pid, signal.SIGKILL)  # the child alone, as a segfault would end it
    with pytest.raises(ProcessingCrashed, match="killed by SIGKILL"):
        await item
    assert await group_ended(pid), "the ffmpeg it left behind was killed with it"
    await image(pool, photo, tmp_path / "next")


async def test_a_time_limit_kills_the_process_and_its_ffmpeg(
    pool: ProcessingPool, long_clip: Path, photo: Path, tmp_path: Path
) -> None:
    options = ProcessingOptions(timeout_s=1.5)
    item = asyncio.create_task(pool.run("video", long_clip, tmp_path / "out", "video/mp4", options))
    pid = await busy_pid(pool)
    with pytest.raises(MediaRejected) as refused:
        await item
    assert refused.value.code is MediaFailure.TIMED_OUT
    assert await group_ended(pid)
    await image(pool, photo, tmp_path / "next")


async def test_a_cancelled_item_does_not_keep_its_process(
    pool: ProcessingPool, long_clip: Path, photo: Path, tmp_path: Path
) -> None:
    """A job cancelled at shutdown or by arq's timeout: its child must not finish the item and
    then hand that answer to the next one."""
    item = asyncio.create_task(pool.run("video", long_clip, tmp_path / "out", "video/mp4", OPTIONS))
    pid = await busy_pid(pool)
    await asyncio.sleep(0.3)
    item.cancel()
    with pytest.raises(asyncio.CancelledError):
        await item
    assert await group_ended(pid)
    assert await image(pool, photo, tmp_path / "next") != pid


async def test_a_process_is_replaced_after_its_quota_of_items(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worn = ProcessingPool(warm=1, items_per_process=2)
    try:
        pids = [await image(worn, photo, tmp_path / f"out{i}") for i in range(5)]
    finally:
        await worn.close()
    assert [pids.count(pid) for pid in dict.fromkeys(pids)] == [2, 2, 1]

    monkeypatch.setattr(pool_module, "MAX_RESIDENT_BYTES", 1)  # every child counts as grown
    grown = ProcessingPool(warm=1)
    try:
        pids = [await image(grown, photo, tmp_path / f"grown{i}") for i in range(2)]
    finally:
        await grown.close()
    assert pids[0] != pids[1]


async def test_children_are_sandboxed(
    pool: ProcessingPool, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "must-not-reach-the-child")
    pid = await image(pool, photo, tmp_path / "out")
    environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    names = {entry.split(b"=", 1)[0].decode() for entry in environment if entry}
    assert names == set(child_environment())
    limits = Path(f"/proc/{pid}/limits").read_text()
    address_space = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    assert address_space.split()[3:5] == [str(MEMORY_CAP_BYTES)] * 2
    session = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    assert session == pid, "its own session and group, so that one killpg ends all it started"


async def test_imagemagick_keeps_no_process_lifetime_clock() -> None:
    """ImageMagick's `time` resource counts from a process's first image and then exits the
    process: with it, every reused child would die 30 s into its life."""
    script = "from wand.resource import limits; print(limits['time'])"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, env=child_environment(), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await child.communicate()
    assert int(stdout) >= 2**62, "unlimited"


async def test_close_ends_every_process_and_refuses_later_items(
    long_clip: Path, photo: Path, tmp_path: Path
) -> None:
    warm = ProcessingPool(warm=2)
    warm.warm_up()
    item = asyncio.create_task(warm.run("video", long_clip, tmp_path / "out", "video/mp4", OPTIONS))
    while len(warm.children) < 2:
        await asyncio.sleep(0.02)
    pids = [child.pid for child in warm.children]
    await warm.close()
    assert [pid for pid in pids if alive(pid)] == []
    with pytest.raises(ProcessingCrashed):
        await item
    with pytest.raises(ProcessingCrashed, match="shutting down"):
        await warm.run("image", photo, tmp_path / "late", "image/jpeg", OPTIONS)
    assert all([await group_ended(pid) for pid in pids])
