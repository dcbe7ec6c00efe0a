"""Live delivery benchmark: latency from a post becoming visible to its arrival on 1,000 sockets.

One API process (uvicorn, with its arq worker in the same process, as `aperture serve`
runs) serves N subscribers held by a separate client process. An author followed by all
of them posts; a famous author (pulled, one channel) posts too. Prints one JSON document.

    .venv/bin/python -m bench.live [--subscribers 1000] [--posts 20] [--profile out.txt]

With --profile, py-spy samples this process (the API and its in-process worker) while the
posts go out; split the raw profile with `bench/profile_split.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aperture import metrics
from bench.common import (
    ROOT,
    embedded_stack,
    emit,
    git_dirty_files,
    git_revision,
    load_average,
    machine,
    percentile,
    process_cpu_s,
    run,
    wait_until_idle,
)
from bench.execution import py_spy
from bench.live_clients import ClientReport
from jobs.worker import build_worker
from services.foundation.clock import utc_now
from services.social.follows import edge_document
from services.timeline.user_classes import FAMOUS


async def main(subscribers: int, posts: int, profile: str | None) -> None:
    result: dict[str, Any] = {
        "benchmark": "live",
        "machine": machine(),
        "git": {"revision": git_revision(), "dirty_files": git_dirty_files()},
        # The machine is shared: wait (up to a minute) for a quieter moment, and say how it was
        "load": await wait_until_idle(max_load=1.5, timeout_s=60),
    }
    # Counter flushes wait past the run: on the embedded stand-in, recounting the authors'
    # followers scans every follow edge in a worker thread holding the GIL (a real MongoDB
    # counts on its index, in its own process), which would be measured as delivery latency
    async with embedded_stack(famous_threshold=10**9, counter_flush_delay_s=600.0) as stack:
        services = stack.services
        db = services.stores.db
        ids = [services.ids.next_id() for _ in range(subscribers + 2)]
        author, star, readers = ids[0], ids[1], ids[2:]
        await db["users"].insert_many(
            [{"_id": uid, "username": f"live{i}", "display_name": f"Live {i}", "bio": "",
              "password_hash": "-", "created_at": utc_now()} for i, uid in enumerate(ids)]
        )  # fmt: skip
        await db["follows"].insert_many(
            [edge_document(r, a, services.ids.next_id(), utc_now()) for r in readers for a in (author, star)]
        )
        await services.stores.redis.sadd(FAMOUS, str(star))  # type: ignore[misc]
        tokens = [await services.sessions.create(reader) for reader in readers]
        # The web client reads the home page (viewerHasLiked included) before it subscribes,
        # which opens the reader's window of recent likes: done here through the service
        for reader in readers:
            await services.likes.liked_which(reader, [author])
        author_token = await services.sessions.create(author)
        star_token = await services.sessions.create(star)
        server_side = _ServerSideDeliveries()
        metrics.LIVE_DELIVERY_SECONDS = server_side  # type: ignore[assignment]
        worker = build_worker(stack.settings, services)
        worker_task = asyncio.create_task(worker.async_run())
        token_file = Path(tempfile.mkstemp(suffix=".tokens")[1])
        token_file.write_text("\n".join(tokens))
        clients = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "live_clients.py"), stack.base_url.replace("http", "ws") + "/graphql",
            str(token_file), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert clients.stdout is not None
        assert clients.stdin is not None
        line = await asyncio.wait_for(clients.stdout.readline(), 960)
        assert line.strip() == b"READY", line
        # Every subscription is listening, or (a socket that never connected) none joined for 20 s
        last_change, seen = time.monotonic(), -1
        while services.live_hub.connections < subscribers and time.monotonic() - last_change < 20:
            if services.live_hub.connections != seen:
                last_change, seen = time.monotonic(), services.live_hub.connections
            await asyncio.sleep(0.1)
        result["connections_in_hub"] = services.live_hub.connections
        # A subscription is in the hub before it has replayed what it missed: wait for the
        # replays to finish too, so that the posts are measured, not the subscribers' start
        result["settle_s"] = await wait_until_quiet()
        result["redis_channels_subscribed"] = services.live_hub.channel_count

        import httpx  # noqa: PLC0415

        visible: dict[str, tuple[str, float]] = {}
        # A fresh connection per post: a kept-alive one may be closed by the server while its loop
        # is busy delivering (uvicorn's keep-alive timeout), and the next createPost would fail
        no_reuse = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=no_reuse) as http:
            with py_spy(profile, posts * 0.5 + 2):
                await post_all(http, posts, author_token, star_token, visible)
        await asyncio.sleep(3)
        clients.stdin.close()
        output = await asyncio.wait_for(clients.stdout.read(), 60)
        await clients.wait()
        report = ClientReport.parse(output)
        result["clients"] = report.stats
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await worker.close()
        token_file.unlink()
    arrivals = report.read_at()
    handed_over = report.handed_over()
    by_kind = _latencies_by_kind(visible, arrivals)
    delivered = sum(len(times) for times in arrivals.values())
    # Each post's own spread, in posting order: which posts made the tail
    result["per_post_ms"] = [
        {
            "kind": kind,
            "received": len(arrivals.get(post_id, [])),
            "p50": round(percentile([(t - stamp) * 1000 for t in arrivals.get(post_id, [])], 50), 1),
            "max": round(
                max(((t - stamp) * 1000 for t in arrivals.get(post_id, [])), default=float("nan")), 1
            ),
        }
        for post_id, (kind, stamp) in visible.items()
    ]
    result["settings"] = {
        "subscribers": subscribers,
        "posts": posts,
        "spacing_s": 0.5,
        "worker": f"in-process arq worker, poll delay {stack.settings.worker_poll_delay_s} s",
        "counter_flush_delay_s": stack.settings.counter_flush_delay_s,
        "like_windows": "opened for every reader before it subscribes, as the web client's home page does",
        "pushed_author": "followed by every subscriber; fan-out pushes to each feed and publishes per user",
        "famous_author": "followed by every subscriber; one publish on the author's channel",
    }
    result["deliveries"] = {"expected": subscribers * posts, "received": delivered}
    result["load_average_at_end"] = load_average()
    for kind, values in by_kind.items():
        result[f"latency_ms_{kind}"] = _summary(values)
    # The same frames, timed when the client script had them (the library's parsing and this
    # process's queue behind the other 999 sockets included): how this bench measured before
    result["latency_ms_all_as_handed_to_the_client_script"] = _summary(
        _latencies_by_kind(visible, handed_over)["all"]
    )
    # The server's own view: from the post becoming visible (its publisher's clock, a little
    # before createPost answers) to the frame being written to the socket. Beside the
    # client's figures, it tells the server's share of the latency from the client's
    result["server_side_ms_visible_to_written"] = _summary([s * 1000 for s in server_side.seconds])
    emit(result)


def _latencies_by_kind(
    visible: dict[str, tuple[str, float]], arrivals: dict[str, list[float]]
) -> dict[str, list[float]]:
    by_kind: dict[str, list[float]] = {"all": [], "pushed": [], "famous": []}
    for post_id, (kind, stamp) in visible.items():
        latencies = [(t - stamp) * 1000 for t in arrivals.get(post_id, [])]
        by_kind[kind] += latencies
        by_kind["all"] += latencies
    return by_kind


def _summary(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values), 1) if values else None,
    }


class _ServerSideDeliveries:
    """Stands in for the delivery histogram in this process, keeping every observation."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._histogram = metrics.LIVE_DELIVERY_SECONDS

    def observe(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self._histogram.observe(seconds)


async def wait_until_quiet(timeout_s: float = 180.0) -> float:
    """Wait until this process (the API) uses under 10% of a core over a second."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        before = process_cpu_s(os.getpid())
        await asyncio.sleep(1.0)
        if process_cpu_s(os.getpid()) - before < 0.1:
            break
    return round(time.monotonic() - started, 1)


async def post_all(
    http: Any, posts: int, author_token: str, star_token: str, visible: dict[str, tuple[str, float]]
) -> None:
    for index in range(posts):
        kind, token = ("pushed", author_token) if index % 2 == 0 else ("famous", star_token)
        query = (
            f'mutation {{ createPost(caption: "live {index}") {{ post {{ id state }} errors {{ code }} }} }}'
        )
        response = await http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        stamp = time.time()  # a caption-only post is visible as soon as createPost returns
        post = response.json()["data"]["createPost"]["post"]
        visible[post["id"]] = (kind, stamp)
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--profile", help="write a py-spy raw profile of the API while posts go out")
    arguments = parser.parse_args()
    run(main(arguments.subscribers, arguments.posts, arguments.profile))
