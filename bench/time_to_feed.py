"""What a user sees: from createPost with an uploaded 12 MP photo to the post on followers' screens.

One process runs what `aperture serve` runs: the API (uvicorn), the arq worker with its warm
media processes, Redis and the MongoDB stand-in. A separate client process holds one
`homeTimelineUpdates` subscription for each of the author's followers (bench/live_clients.py).
For each post the author requests an upload, sends a fresh 12 MP JPEG to the presigned target
(not timed: the photo is already uploaded when the user taps Share), then calls createPost;
the clock runs from that call until the post arrives on each follower's socket. The post
becomes visible only once every variant is stored, so the figure covers media processing,
fan-out and live delivery; each stage is also reported on its own (from the MediaProcessed
and FanoutFinished events, and the API's live-delivery histogram).

    .venv/bin/python -m bench.time_to_feed [--followers 100] [--posts 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from wand.image import Image

from aperture import metrics
from bench.common import ROOT, embedded_stack, emit, machine, percentile, run
from bench.live_clients import ClientReport
from jobs.worker import build_worker
from services.media.events import MediaProcessed
from services.timeline.events import FanoutFinished

REQUEST_UPLOAD = """mutation($t: String!, $n: Int!) { requestUpload(contentType: $t, byteSize: $n) {
  upload { id target { url method fields { name value } headers { name value } expiresAt } }
  errors { code } } }"""
CREATE_POST = """mutation($c: String!, $m: [MediaInput!]) { createPost(caption: $c, media: $m) {
  post { id state } errors { code } } }"""
SPACING_S = 3.0


def photo_bytes() -> bytes:
    """A 12 MP JPEG with photo-like texture (plasma noise is random, so each one differs)."""
    with Image(width=4000, height=3000, pseudo="plasma:fractal") as image:
        image.format = "jpeg"
        image.compression_quality = 90
        return bytes(image.make_blob())


async def send_upload(http: httpx.AsyncClient, target: dict[str, Any], data: bytes) -> httpx.Response:
    """Send the bytes to the presigned target as a client does: a PUT, or a form POST for S3."""
    if target["method"] == "PUT":
        return await http.put(
            target["url"], content=data, headers={h["name"]: h["value"] for h in target["headers"]}
        )
    fields = {f["name"]: f["value"] for f in target["fields"]}
    return await http.post(target["url"], data=fields, files={"file": ("photo.jpg", data, "image/jpeg")})


def summary_ms(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(percentile(values, 50), 1) if values else None,
        "p99": round(percentile(values, 99), 1) if values else None,
        "max": round(max(values), 1) if values else None,
        "samples": len(values),
    }


async def gql(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def main(followers: int, posts: int) -> None:
    result: dict[str, Any] = {"benchmark": "time_to_feed", "machine": machine()}
    photos = [photo_bytes() for _ in range(posts)]
    processing_s: list[float] = []
    fanout_lag_s: list[float] = []
    async with embedded_stack(rate_limits="off") as stack:
        services = stack.services
        services.bus.subscribe(MediaProcessed, lambda event: processing_s.append(event.seconds))
        services.bus.subscribe(FanoutFinished, lambda event: fanout_lag_s.append(event.lag_s))
        author = await services.users.sign_up("photographer", "bench-password", None)
        readers = [await services.users.sign_up(f"fan{i}", "bench-password", None) for i in range(followers)]
        for reader in readers:
            await services.follows.follow(reader.id, author.id)
        tokens = [await services.sessions.create(reader.id) for reader in readers]
        author_token = await services.sessions.create(author.id)
        worker = build_worker(stack.settings, services)  # as `aperture serve`: in this process
        worker_task = asyncio.create_task(worker.async_run())
        token_file = Path(tempfile.mkstemp(suffix=".tokens")[1])
        token_file.write_text("\n".join(tokens))
        clients = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "live_clients.py"),
            stack.base_url.replace("http", "ws") + "/graphql", str(token_file),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert clients.stdout is not None
        assert clients.stdin is not None
        line = await asyncio.wait_for(clients.stdout.readline(), 300)
        assert line.strip() == b"READY", line
        while services.live_hub.connections < followers:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # the worker's warm media processes are up by now
        started: dict[str, float] = {}
        delivery = metrics.LIVE_DELIVERY_SECONDS
        delivered_before = delivery._sum.get()
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            for index, data in enumerate(photos):
                ticket = await gql(http, author_token, REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(data)})
                upload = ticket["requestUpload"]["upload"]
                sent = await send_upload(http, upload["target"], data)
                assert sent.status_code in (200, 201, 204), sent.text
                began = time.time()
                created = await gql(
                    http,
                    author_token,
                    CREATE_POST,
                    {"c": f"photo {index}", "m": [{"uploadId": upload["id"]}]},
                )
                started[created["createPost"]["post"]["id"]] = began
                await asyncio.sleep(SPACING_S)
        await asyncio.sleep(3)
        clients.stdin.close()
        output = await asyncio.wait_for(clients.stdout.read(), 60)
        await clients.wait()
        arrivals = ClientReport.parse(output).read_at()
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await worker.close()
        token_file.unlink()
        live_sum_s = delivery._sum.get() - delivered_before
    latencies = [
        (arrival - began) * 1000
        for post_id, began in started.items()
        for arrival in arrivals.get(post_id, [])
    ]
    result["settings"] = {
        "followers": followers,
        "posts": posts,
        "spacing_s": SPACING_S,
        "photo": "4000x3000 JPEG, quality 90, plasma texture, a fresh one per post",
        "process": "API, in-process arq worker with warm media processes, embedded Redis and MongoDB stand-in",
        "subscribers": "one homeTimelineUpdates subscription per follower, in a separate client process",
    }
    result["deliveries"] = {"expected": followers * posts, "received": len(latencies)}
    result["createPost_to_screen_ms"] = summary_ms(latencies)
    result["stages"] = {
        "media_processing_ms": summary_ms([s * 1000 for s in processing_s]),
        "fanout_lag_from_visible_ms": summary_ms([s * 1000 for s in fanout_lag_s]),
        "live_delivery_mean_from_visible_ms": round(live_sum_s * 1000 / max(1, len(latencies)), 1),
    }
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--posts", type=int, default=10)
    arguments = parser.parse_args()
    run(main(arguments.followers, arguments.posts))
