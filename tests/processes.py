"""Real `aperture api` and `aperture worker` processes sharing one store, for cross-process tests.

They share the MongoDB stand-in on SQLite (a file under the test's tmp dir) and one Redis
database of the session's redis-server, which is flushed before and after.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import redis
from arq.connections import ArqRedis, RedisSettings, create_pool

from gateway.rate_limits import Bucket
from tests.conftest import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator


def redis_db_url(redis_url: str, db: int) -> str:
    """The session's Redis URL (a unix socket or TCP), pointed at database `db`."""
    if redis_url.startswith("unix://"):
        return f"{redis_url}?db={db}"
    return f"{redis_url.rsplit('/', 1)[0]}/{db}"


@contextlib.asynccontextmanager
async def arq_queue(redis_url: str, db: int, queue: str) -> AsyncIterator[ArqRedis]:
    """An arq pool on database `db` of the session's Redis, empty before and after the test."""
    pool = await create_pool(RedisSettings.from_dsn(redis_db_url(redis_url, db)), default_queue_name=queue)
    await pool.flushdb()
    try:
        yield pool
    finally:
        await pool.flushdb()
        await pool.aclose()


def _stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields after the command name, from the state on


def process_group(pgid: int) -> list[int]:
    """Live processes (not zombies) in process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def media_children(parent: int) -> list[int]:
    """Live `python -m processing.run` children of `parent`."""
    return children_running(parent, b"processing.run")


def engine_children(parent: int) -> list[int]:
    """Live MongoDB stand-in processes (`python -m aperture.embedded.engine_server`) of `parent`."""
    return children_running(parent, b"aperture.embedded.engine_server")


def children_running(parent: int, module: bytes) -> list[int]:
    """Live children of `parent` whose command line names `module`."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is None or fields[0] == "Z" or int(fields[1]) != parent:
            continue
        with contextlib.suppress(OSError):
            if module in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    fields = _stat(str(pid))
    return fields is not None and fields[0] != "Z"


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A real `aperture worker` process; its stderr is kept for failure messages."""
    return subprocess.Popen(
        [sys.executable, "-m", "aperture.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def process_env(
    tmp_path: Path, redis_url: str, redis_db: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    redis_in_db = redis_db_url(redis_url, redis_db)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "REDIS_", "S3_", "APERTURE_"))
    }
    env.update(
        {
            "MONGODB_URL": f"litemongo://{tmp_path / 'mongo'}",
            "REDIS_URL": redis_in_db,
            "APERTURE_SECRET_KEY": "multiprocess-secret",
            "APERTURE_DATA_DIR": str(tmp_path),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "8192",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
            **(extra or {}),
        }
    )
    return env


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"process exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{base} never became ready")


@dataclass
class Deployment:
    bases: list[str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def deployment(
    tmp_path: Path,
    redis_url: str,
    *,
    redis_db: int,
    apis: int = 2,
    worker: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Deployment]:
    """`apis` API processes (named a, b, ...) and optionally one worker, stopped with SIGTERM."""
    env = process_env(tmp_path, redis_url, redis_db, extra_env)
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    ports = [free_port() for _ in range(apis)]
    names = [chr(ord("a") + i) for i in range(apis)]
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", "aperture.cli", "api", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name, port in zip(names, ports, strict=True)
    }
    if worker:
        processes["worker"] = start_worker(env)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, name in zip(bases, names, strict=True):
            wait_ready(base, processes[name])
        yield Deployment(bases=bases, processes=processes, env=env)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def lone_api(
    tmp_path: Path, redis_url: str, *, redis_db: int
) -> contextlib.AbstractContextManager[Deployment]:
    """One API process and no worker, with rate limits on but budgets no test reaches, so every
    request is charged and none refused; it logs errors only."""
    budgets = ",".join(f"{bucket.value}=1000000000" for bucket in Bucket)
    extra = {"RATE_LIMITS": budgets, "LOG_LEVEL": "ERROR"}
    return deployment(tmp_path, redis_url, redis_db=redis_db, apis=1, worker=False, extra_env=extra)
