"""A worker's warm media processes end with it, whether it stops cleanly or is killed."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING

import pytest
import redis

from tests.processes import alive, media_children, process_env, start_worker

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

pytestmark = pytest.mark.multiprocess


def _warm_children(worker: subprocess.Popen[bytes], count: int) -> list[int]:
    deadline = time.monotonic() + 60
    while len(children := media_children(worker.pid)) < count:
        assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
        assert time.monotonic() < deadline, "the worker never started its warm media processes"
        time.sleep(0.1)
    return children


def _all_gone(pids: list[int], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(("stop", "within_s"), [(signal.SIGTERM, 1), (signal.SIGKILL, 5)])
def test_a_workers_media_processes_end_with_it(
    tmp_path: Path, redis_url: str, stop: signal.Signals, within_s: float
) -> None:
    """SIGTERM: the worker closes its pool on the way out. SIGKILL: it cannot, but each child
    reads the end of its input when the worker's end of the pipe closes, and exits. No child
    outlives its worker either way."""
    env = process_env(tmp_path, redis_url, 7, {"MEDIA_WARM_PROCESSES": "2"})
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    worker = start_worker(env)
    try:
        children = _warm_children(worker, 2)
        worker.send_signal(stop)
        code = worker.wait(timeout=30)
        assert code == (0 if stop is signal.SIGTERM else -signal.SIGKILL)
        assert _all_gone(children, within_s), [pid for pid in children if alive(pid)]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
