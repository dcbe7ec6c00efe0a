"""Shared pieces of the benchmarks: machine facts, an embedded stack, HTTP load with wrk."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import uvicorn

from aperture.cli import uvicorn_config
from aperture.embedded.engine_process import EmbeddedEngine
from aperture.embedded.redis_server import EmbeddedRedis
from aperture.logs import configure_logging
from aperture.settings import Settings
from server import create_app
from services.runtime import open_services

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

    from services.container import Services


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    redis_version = ""
    server = shutil.which("redis-server")
    if server:
        redis_version = subprocess.run(
            [server, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    packages = {}
    for name in (
        "strawberry-graphql",
        "graphql-core",
        "starlette",
        "uvicorn",
        "redis",
        "pymongo",
        "arq",
        "litemongo",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "redis_server": redis_version,
        "packages": packages,
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@contextlib.contextmanager
def collector_pauses() -> Iterator[dict[str, Any]]:
    """The garbage collector's pauses in this process while the block runs, by generation:
    how many, their total and the longest (ms). A full collection stops the event loop, so
    it shows in a latency tail before it shows in a profile."""
    started: list[float] = [0.0]
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}

    def timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    figures: dict[str, Any] = {}
    gc.callbacks.append(timer)
    try:
        yield figures
    finally:
        gc.callbacks.remove(timer)
        for generation, seconds in pauses.items():
            figures[f"generation_{generation}"] = {
                "count": len(seconds),
                "total_ms": round(sum(seconds) * 1000, 1),
                "max_ms": round(max(seconds, default=0.0) * 1000, 1),
            }


def summarize_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Stack:
    settings: Settings
    services: Services
    redis_socket: str
    base_url: str


@contextlib.asynccontextmanager
async def embedded_stack(*, stand_in_thread: bool = False, **overrides: Any) -> AsyncIterator[Stack]:
    """A fresh Redis, the MongoDB stand-in in memory, and the API served by uvicorn in this process.

    The stand-in runs in its own process, as under `aperture serve`, so that its memory and
    its pure-Python queries are not the API's; `stand_in_thread=True` runs it on a thread of
    this process instead (as the tests do), for benchmarks that inspect it.
    """
    tmp = Path(tempfile.mkdtemp(prefix="aperture-bench-"))
    redis = await EmbeddedRedis(tmp / "redis", persistent=False).start()
    try:
        engine = None if stand_in_thread else await EmbeddedEngine(tmp / "mongo", memory=True).start()
    except BaseException:
        await redis.stop()
        raise
    port = free_port()
    settings = Settings(
        port=port,
        data_dir=tmp,
        mongodb_url=engine.url if engine is not None else f"litemongo+memory://bench-{port}",
        redis_url=redis.url,
        secret_key="bench-secret-key",
        log_level="WARNING",
        log_format="json",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        **overrides,
    )
    configure_logging(settings.log_level, settings.log_format)
    try:
        async with open_services(settings) as services:
            # The production server settings (aperture serve / aperture api)
            config = uvicorn_config(create_app(settings, services), settings)
            server = uvicorn.Server(config)
            server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
            task = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.01)
            try:
                yield Stack(settings, services, redis.url.removeprefix("unix://"), f"http://127.0.0.1:{port}")
            finally:
                server.should_exit = True
                await task
    finally:
        if engine is not None:
            await engine.stop()
        await redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_tool(binary: str, debian_package: str) -> str | None:
    found = shutil.which(binary)
    if found or os.geteuid() != 0:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", debian_package],
        capture_output=True,
        check=False,
    )
    return shutil.which(binary)


_WRK_SCRIPT = """
local bodies = {bodies}
local tokens = {tokens}
local counter = 0
request = function()
  counter = counter + 1
  local headers = {{["Content-Type"] = "application/json", ["Accept"] = "application/graphql-response+json"}}
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] end
  return wrk.format("POST", "/graphql", headers, bodies[(counter % #bodies) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRK_JSON {{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "errors": %d, "non_2xx": %d}}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), errors, summary.errors.status))
end
"""


def _lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(item) for item in items) + "}"


async def wrk_graphql(
    base_url: str,
    bodies: list[dict[str, Any]],
    tokens: list[str],
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
) -> dict[str, Any]:
    """POST GraphQL bodies with wrk, rotating bearer tokens; returns req/s and latency percentiles."""
    wrk = ensure_tool("wrk", "wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        _WRK_SCRIPT.format(bodies=_lua_list([json.dumps(b) for b in bodies]), tokens=_lua_list(tokens))
    )
    try:
        process = await asyncio.create_subprocess_exec(
            wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"{base_url}/graphql",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, _ = await process.communicate()
    finally:
        script.unlink(missing_ok=True)
    line = next((raw for raw in stdout.decode().splitlines() if raw.startswith("WRK_JSON ")), None)
    if line is None:
        return {"error": stdout.decode()[-500:]}
    data = json.loads(line.removeprefix("WRK_JSON "))
    seconds_run = data["duration_us"] / 1e6
    return {
        "connections": connections,
        "seconds": round(seconds_run, 2),
        "requests": data["requests"],
        "req_per_s": round(data["requests"] / seconds_run, 1),
        "p50_ms": data["p50_us"] / 1000,
        "p90_ms": data["p90_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["errors"],
        "non_2xx": data["non_2xx"],
    }


def redis_benchmark_zadd(socket_path: str, requests: int = 300_000, pipeline: int = 16) -> dict[str, Any]:
    binary = ensure_tool("redis-benchmark", "redis-tools")
    if binary is None:
        return {"skipped": "redis-benchmark is not installed (apt-get install redis-tools)"}
    result = subprocess.run(
        [binary, "-s", socket_path, "-t", "zadd", "-n", str(requests), "-P", str(pipeline), "-q", "--csv"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    for line in result.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells and cells[0].upper().startswith("ZADD"):
            return {"requests": requests, "pipeline": pipeline, "zadd_per_s": float(cells[1])}
    return {"error": (result.stdout + result.stderr)[-300:]}


async def time_calls(call: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def emit(result: dict[str, Any]) -> None:
    print(
        json.dumps(
            result, indent=2, default=lambda o: asdict(o) if hasattr(o, "__dataclass_fields__") else str(o)
        )
    )


# Helpers for benchmarks that run several processes against one private Redis


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


async def wait_until_idle(max_load: float = 1.0, timeout_s: float = 300.0) -> dict[str, Any]:
    """Wait until the 1-minute load average is below `max_load` (other people share the machine)."""
    started = time.monotonic()
    before = load_average()
    while os.getloadavg()[0] >= max_load and time.monotonic() - started < timeout_s:
        await asyncio.sleep(5)
    return {
        "load_average_first_seen": before,
        "load_average_at_start": load_average(),
        "waited_s": round(time.monotonic() - started, 1),
        "idle": os.getloadavg()[0] < max_load,
    }


def git_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    return result.stdout.strip()


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads included (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class PrivateRedis:
    url: str
    port: int
    pid: int


@contextlib.asynccontextmanager
async def private_redis(directory: Path) -> AsyncIterator[PrivateRedis]:
    """A redis-server of our own on a free loopback port, without persistence."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
        "--dir", str(directory), "--save", "", "--appendonly", "no", "--protected-mode", "yes",
        "--logfile", str(directory / "redis.log"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(500):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.02)
        yield PrivateRedis(url=url, port=port, pid=process.pid)
    finally:
        process.terminate()
        await process.wait()


def redis_benchmark_zadd_tcp(port: int, requests: int = 300_000, pipeline: int = 16) -> dict[str, Any]:
    """redis-benchmark's ZADD on a loopback port: the ceiling a pipelined client gets from one server."""
    binary = ensure_tool("redis-benchmark", "redis-tools")
    if binary is None:
        return {"skipped": "redis-benchmark is not installed (apt-get install redis-tools)"}
    result = subprocess.run(
        [binary, "-h", "127.0.0.1", "-p", str(port), "-t", "zadd", "-n", str(requests), "-P", str(pipeline),
         "-q", "--csv"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    for line in result.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells and cells[0].upper().startswith("ZADD"):
            return {"requests": requests, "pipeline": pipeline, "zadd_per_s": float(cells[1])}
    return {"error": (result.stdout + result.stderr)[-300:]}


@contextlib.asynccontextmanager
async def serve_app(settings: Settings, services: Services) -> AsyncIterator[str]:
    """The API for already opened services, served by uvicorn in this process; yields its base URL."""
    config = uvicorn_config(create_app(settings, services), settings)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        await task


async def redis_cpu_s(redis: Any) -> dict[str, float]:
    """CPU seconds Redis has used: its main thread (where commands run) and the whole process."""
    info = await redis.info("cpu")
    return {
        "main_thread": float(info["used_cpu_user_main_thread"]) + float(info["used_cpu_sys_main_thread"]),
        "process": float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
    }


def git_dirty_files() -> list[str]:
    """Tracked files that differ from HEAD: a run measures the working tree, not only the commit."""
    result = subprocess.run(
        ["git", "diff", "--name-only", "HEAD"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    return result.stdout.split()


def run(coroutine: Any) -> None:
    """Run a benchmark on the event loop `aperture serve` and `aperture api` use (uvloop)."""
    import uvloop  # noqa: PLC0415 - installed with uvicorn[standard]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coroutine)
