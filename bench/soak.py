"""Soak: one `aperture serve` under mixed load, with hostile documents mixed in, for N minutes.

Starts `aperture serve` (API, in-process worker, embedded Redis and MongoDB stand-in) in a
temporary data directory, signs up users who follow each other, then runs at once, until
the time is up:

- readers: home timelines (half), user timelines, single posts;
- a poster: photo posts through requestUpload and a PUT of a real JPEG (processed into
  variants by the worker), and text posts;
- likes, unlikes and comments; follows and unfollows;
- live subscribers (graphql-transport-ws) that come and go, each listening 5 to 30 s;
- a hostile client sending the documents of tests/hostile_documents.py, each made new.

Rate limits stay on (every request is charged through Redis) with budgets of 10^6 a minute,
which no client here reaches: the soak measures the server, not the limits, and all its
clients share one address. Prints one JSON document (see bench/common.py): errors by kind,
5xx and INTERNAL_ERROR counts, per-minute p50/p99 of every operation, the server's RSS over
time and its growth after the first 5 minutes (the API process's own; the stand-in's and Redis's
beside it, with the documents stored), and the error lines the server logged.

    .venv/bin/python -m bench.soak --minutes 30 > bench/results/soak.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from aperture.embedded.engine_process import EngineProcessClient
from bench.common import ROOT, emit, free_port, git_dirty_files, git_revision, load_average, machine
from bench.soak_load import (
    Recorder,
    World,
    engage,
    follow,
    hostile,
    live_session,
    make_photo,
    post,
    read,
    sign_up,
)
from gateway.rate_limits import Bucket
from tests.hostile_documents import hostile_requests

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

USERS = 40
FOLLOWS_EACH = 10
WORKERS = {"readers": 6, "engagement": 2, "follows": 1, "posters": 1, "live": 6, "hostile": 1}
RSS_EVERY_S = 10.0
_ENV_PREFIXES = ("MONGODB_", "REDIS_", "S3_", "APERTURE_", "QUEUE_", "ARCHIVE_", "RATE_LIMITS")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


# The server's children by what they run: their memory is the stores' data and the media
# processes' working sets, reported beside the API's own
_CHILD_ROLES = {
    b"aperture.embedded.engine_server": "stand_in_mib",
    b"redis": "redis_mib",
    b"processing.run": "media_mib",
}


def _children_by_role(pid: int) -> dict[str, float]:
    sizes = dict.fromkeys(_CHILD_ROLES.values(), 0.0)
    for child in _children(pid):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            role = next((name for marker, name in _CHILD_ROLES.items() if marker in command), "other_mib")
            sizes[role] = round(sizes.get(role, 0.0) + _rss_mib(child), 1)
    return sizes


async def _documents_stored(engine_url: str) -> int:
    """How many documents the stand-in holds: its memory grows with them, as a database's does."""
    client = await EngineProcessClient(engine_url).start()
    try:
        database = client["aperture"]
        counts = [
            await database[name].estimated_document_count() for name in await database.list_collection_names()
        ]
    finally:
        await client.close()
    return sum(counts)


async def _sample(pid: int, started: float, engine_url: str) -> dict[str, float]:
    return {
        "t_s": round(time.monotonic() - started, 1),
        "api_mib": _rss_mib(pid),
        **_children_by_role(pid),
        "stand_in_documents": await _documents_stored(engine_url),
    }


async def start_server(data_dir: Path, port: int) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES)}
    env |= {
        "RATE_LIMITS": ",".join(f"{bucket.value}=1000000" for bucket in Bucket),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "aperture.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = await asyncio.create_subprocess_exec(
        *command, "--data-dir", str(data_dir), "--no-seed",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=(data_dir / "server.log").open("wb"),
    )  # fmt: skip
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return process
            if process.returncode is not None:
                break
            await asyncio.sleep(0.1)
    raise RuntimeError(f"aperture serve did not start: {(data_dir / 'server.log').read_text()[-2000:]}")


async def build_network(world: World, http: httpx.AsyncClient) -> None:
    world.users = [await sign_up(world, http, f"soak{n}") for n in range(USERS)]
    rng = random.Random(19)
    for user in world.users:
        for other in rng.sample([u for u in world.users if u is not user], FOLLOWS_EACH):
            await http.post(
                "/graphql",
                json={
                    "query": "mutation($u: ID!) { follow(userId: $u) { changed } }",
                    "variables": {"u": other.id},
                },
                headers={"Authorization": f"Bearer {user.token}"},
            )
    for _ in range(20):
        await post(world, http, photo=False)


async def repeat(until: float, action: Callable[[], Awaitable[None]], pause_s: tuple[float, float]) -> None:
    while time.monotonic() < until:
        await action()
        await asyncio.sleep(random.uniform(*pause_s))


async def run_load(world: World, until: float) -> None:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=world.base, timeout=60, limits=limits) as http:
        hostile_docs = hostile_requests()
        sent = iter(range(10**9))
        tasks = [repeat(until, lambda: read(world, http), (0.05, 0.3)) for _ in range(WORKERS["readers"])]
        tasks += [
            repeat(until, lambda: engage(world, http), (0.1, 0.5)) for _ in range(WORKERS["engagement"])
        ]
        tasks += [repeat(until, lambda: follow(world, http), (0.5, 2.0)) for _ in range(WORKERS["follows"])]
        tasks += [
            repeat(until, lambda: post(world, http, photo=random.random() < 0.5), (1.0, 3.0))
            for _ in range(WORKERS["posters"])
        ]
        tasks += [
            # Each listens 5 to 30 s, and none past the end of the run
            repeat(
                until,
                lambda: live_session(world, min(random.uniform(5, 30), until - time.monotonic())),
                (0.5, 2.0),
            )
            for _ in range(WORKERS["live"])
        ]
        tasks += [
            repeat(until, lambda: hostile(world, http, hostile_docs, next(sent)), (0.05, 0.2))
            for _ in range(WORKERS["hostile"])
        ]
        await asyncio.gather(*tasks)


async def sample_rss(
    pid: int, engine_url: str, started: float, until: float, samples: list[dict[str, float]]
) -> None:
    while time.monotonic() < until:
        samples.append(await _sample(pid, started, engine_url))
        await asyncio.sleep(RSS_EVERY_S)


def rss_report(samples: list[dict[str, float]], minutes: float) -> dict[str, Any]:
    """RSS over time, and its growth from the 5-minute mark (or, in a shorter run, from half way)."""
    warm_up_s = min(300.0, minutes * 30)
    after = [s for s in samples if s["t_s"] >= warm_up_s] or samples[-1:]
    base, final = after[0]["api_mib"], samples[-1]["api_mib"]
    documents_added = samples[-1]["stand_in_documents"] - after[0]["stand_in_documents"]
    stand_in_added_mib = samples[-1]["stand_in_mib"] - after[0]["stand_in_mib"]
    return {
        "samples": samples,
        "warm_up_s": warm_up_s,
        "api_mib_after_warm_up": base,
        "api_mib_final": final,
        "api_mib_peak": max(s["api_mib"] for s in samples),
        "growth_after_warm_up_pct": round((final - base) / base * 100, 1) if base else None,
        "growth_after_5_min_pct": round((final - base) / base * 100, 1) if minutes > 5 and base else None,
        "stand_in": {
            "documents_added_after_warm_up": documents_added,
            "mib_added_after_warm_up": round(stand_in_added_mib, 1),
            "kib_per_document_added": round(stand_in_added_mib * 1024 / documents_added, 2)
            if documents_added
            else None,
        },
    }


async def main(minutes: float) -> None:
    result: dict[str, Any] = {
        "benchmark": "soak",
        "revision": git_revision(),
        "uncommitted_changes": git_dirty_files(),
        "machine": machine(),
        "load_average_at_start": load_average(),
        "settings": {
            "minutes": minutes,
            "users": USERS,
            "follows_each": FOLLOWS_EACH,
            "workers": WORKERS,
            "rate_limits": "on, 1000000 a minute per bucket (none reached)",
            "server": (
                "aperture serve --no-seed: API and in-process worker in one process (api_mib), embedded "
                "Redis and the MongoDB stand-in (litemongo on SQLite) in child processes"
            ),
        },
    }
    with tempfile.TemporaryDirectory(prefix="aperture-soak-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        server = await start_server(data_dir, port)
        try:
            world = World(base=f"http://127.0.0.1:{port}", recorder=Recorder())
            world.photo = make_photo()
            async with httpx.AsyncClient(base_url=world.base, timeout=60) as http:
                await build_network(world, http)
            world.recorder = Recorder()  # the load is measured from here
            started = time.monotonic()
            until = started + minutes * 60
            rss: list[dict[str, float]] = []
            engine_url = f"litemongo+engine://{data_dir / 'mongo' / 'engine.sock'}"
            await asyncio.gather(
                run_load(world, until), sample_rss(server.pid, engine_url, started, until, rss)
            )
            rss.append(await _sample(server.pid, started, engine_url))
        finally:
            server.send_signal(signal.SIGTERM)
            exit_code = await asyncio.wait_for(server.wait(), 60)
        log_lines = (data_dir / "server.log").read_text(errors="replace").splitlines()
    recorder = world.recorder
    home = [m["operations"].get("home", {}).get("p99_ms") for m in recorder.by_minute()]
    result |= {
        "load_average_at_end": load_average(),
        "totals": {
            "requests_by_operation": dict(recorder.operations),
            "http_5xx": recorder.http_5xx,
            "internal_errors": recorder.internal_errors,
            "errors_by_kind": dict(recorder.errors_by_kind.most_common()),
            "hostile_documents_refused_by_kind": dict(recorder.refusals_of_hostile_documents.most_common()),
            "live_sessions": world.live_sessions,
            "live_events_received": world.live_events,
            "posts_made": len(world.post_ids),
        },
        "home_p99_ms_by_minute": home,
        "per_minute": recorder.by_minute(),
        "rss": rss_report(rss, minutes),
        "server": {
            "exit_code": exit_code,
            "error_log_lines": sum('"level": "error"' in line for line in log_lines),
            "last_error_lines": [line[:500] for line in log_lines if '"level": "error"' in line][-5:],
        },
    }
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--minutes", type=float, default=30.0, help="how long the mixed load runs (default 30)"
    )
    asyncio.run(main(parser.parse_args().minutes))
