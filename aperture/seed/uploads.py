"""The demo's photos and videos: drawn, uploaded through presigned targets' storage, published, processed."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from aperture.seed.pictures import render_photo
from aperture.seed.story import AVATARS, POSTS
from aperture.seed.videos import render_video
from services.foundation.clock import backdated
from services.media.uploads import MediaRequest
from services.posts.records import PostStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import datetime
    from pathlib import Path

    from services.container import Services

Renders = dict[tuple[int, int], "asyncio.Task[tuple[Path, str]]"]  # (post, item) -> (file, content type)
_DRAWING_THREADS = 2
_POLL_S = 0.25


def start_rendering(work: Path) -> Renders:
    """Start drawing every post's pictures and videos into `work`, a couple at a time, oldest post first."""
    work.mkdir(parents=True, exist_ok=True)
    limit = asyncio.Semaphore(_DRAWING_THREADS)

    async def draw(post: int, item: int, spec: str) -> tuple[Path, str]:
        kind, variant = spec.split(":")
        async with limit:
            if kind == "video":
                path = work / f"{post}-{item}.mp4"
                still = work / f"{post}-still.jpg"
                if variant == "zoom":
                    await asyncio.to_thread(render_photo, still, "sea", "portrait", post)
                await asyncio.to_thread(render_video, path, variant, still)
                return path, "video/mp4"
            path = work / f"{post}-{item}.jpg"
            await asyncio.to_thread(render_photo, path, kind, variant, post * 31 + item)
            return path, "image/jpeg"

    return {
        (p, i): asyncio.create_task(draw(p, i, spec))
        for p, post in enumerate(POSTS)
        for i, spec in enumerate(post.media)
    }


async def publish_all(services: Services, ids: dict[str, int], renders: Renders, now: datetime) -> list[int]:
    """Each post as a client makes it, in the order they happened: an upload ticket per file, the
    bytes stored, then createPost. The worker processes each while the next ones are drawn."""
    post_ids = []
    for index, post in enumerate(POSTS):
        author = ids[post.author]
        requests = []
        for item, spec in enumerate(post.media):
            path, content_type = await renders[index, item]
            ticket = await services.uploads.request(author, content_type, path.stat().st_size)
            await services.stores.blobs.put_file(f"uploads/{author}/{ticket.id}", path, content_type)
            path.unlink()
            requests.append(MediaRequest(ticket.id, _alt_text(spec)))
        with backdated(now - timedelta(hours=post.hours_ago)):
            record = await services.composer.create(author, post.caption, requests)
        post_ids.append(record.id)
    return post_ids


async def choose_avatars(services: Services, ids: dict[str, int], work: Path) -> None:
    """Profile photos for some people, through the same upload path and processing."""
    for index, (name, scene) in enumerate(AVATARS.items()):
        path = work / f"avatar-{name}.jpg"
        await asyncio.to_thread(render_photo, path, scene, "avatar", 1000 + index)
        ticket = await services.uploads.request(ids[name], "image/jpeg", path.stat().st_size)
        await services.stores.blobs.put_file(f"uploads/{ids[name]}/{ticket.id}", path, "image/jpeg")
        path.unlink()
        await services.avatars.start(ids[name], ticket.id)


async def wait_processed(services: Services, post_ids: list[int], timeout_s: float = 300) -> None:
    """Until no post of the seed is still processing."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        records = await services.posts.get_many(post_ids)
        if all(record is None or record.status is not PostStatus.PROCESSING for record in records):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the demo media were not processed in time")
        await asyncio.sleep(_POLL_S)


def _alt_text(spec: str) -> str:
    kind, variant = spec.split(":")
    if kind == "video":
        return "A slow zoom towards the sun over the sea" if variant == "zoom" else "Soft colours drifting"
    return {
        "mountains": "Layered mountain ridges under a low sun",
        "sea": "The sun low over the sea, its light on the water",
        "city": "A city skyline at night with lit windows",
        "bokeh": "Out-of-focus lights as soft coloured circles",
        "dunes": "Sand dunes in warm light",
    }[kind]


@contextlib.asynccontextmanager
async def worker_running(services: Services) -> AsyncIterator[None]:
    """The job runner, for as long as the seed needs its media processed and fanned out."""
    from jobs.worker import build_worker  # noqa: PLC0415 - the seed borrows the job runner once

    worker = build_worker(services.settings, services)
    task = asyncio.create_task(worker.async_run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        running = [job for job in worker.tasks.values() if not job.done()]
        if running:
            await asyncio.wait(running)
        await worker.close()
