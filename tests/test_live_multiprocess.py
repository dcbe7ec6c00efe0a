"""Live delivery across processes: a post made through one API process reaches a socket on another.

Two real `aperture api` processes and one `aperture worker` share the MongoDB stand-in on
SQLite and a Redis database; the subscriber talks to one process, the author to the other.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING

import httpx
import pytest
import redis.asyncio as aioredis
import websockets

from resolvers.global_ids import parse_global_id
from services.timeline.presence import live_key
from tests.helpers import Api, create_post, follow
from tests.live_client import LiveClient
from tests.processes import Deployment, deployment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.multiprocess

UPDATES = "subscription { homeTimelineUpdates { type post { id caption } } }"


async def _drain(client: LiveClient) -> None:
    while True:
        await client.next(timeout=20)


@pytest.fixture
def cluster(tmp_path: Path, redis_url: str) -> Iterator[Deployment]:
    with deployment(tmp_path, redis_url, redis_db=3) as running:
        yield running


async def _wait_until_live(running: Deployment, user_id: str) -> None:
    """The stream has started on the server once it marks the viewer live."""
    redis = aioredis.Redis.from_url(running.env["REDIS_URL"])
    try:
        deadline = time.monotonic() + 20
        while not await redis.exists(live_key(parse_global_id(user_id)[1])):
            assert time.monotonic() < deadline, "the subscription never started"
            await asyncio.sleep(0.05)
    finally:
        await redis.aclose()


async def test_post_through_one_process_reaches_a_socket_on_another(cluster: Deployment) -> None:
    (base_a, base_b), processes = cluster.bases, cluster.processes
    async with httpx.AsyncClient(base_url=base_a, timeout=30) as http_a:
        api_a = Api(http_a)
        author = await api_a.new_user("author")
        watcher = await api_a.new_user("watcher")
        await follow(api_a, watcher, author)
        client = await LiveClient.connect(base_b, watcher.token)
        assert await client.acknowledged()
        await client.subscribe(UPDATES)
        await _wait_until_live(cluster, watcher.id)
        started = time.monotonic()
        post_id = await create_post(api_a, author, "across processes")
        event = (await client.next_data(timeout=20))["homeTimelineUpdates"]
        assert event == {"type": "POST_ADDED", "post": {"id": post_id, "caption": "across processes"}}
        assert time.monotonic() - started < 10

        # Shutting process B down ends the subscription and closes the socket with a proper code
        processes["b"].send_signal(signal.SIGTERM)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _drain(client)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code in (1000, 1001, 1012), closed.value
        assert processes["b"].wait(timeout=20) == 0


async def test_signing_out_through_one_process_closes_the_socket_on_another(cluster: Deployment) -> None:
    base_a, base_b = cluster.bases
    async with httpx.AsyncClient(base_url=base_a, timeout=30) as http_a:
        api_a = Api(http_a)
        reader = await api_a.new_user("reader")
        client = await LiveClient.connect(base_b, reader.token)
        assert await client.acknowledged()
        await client.subscribe(UPDATES)
        await _wait_until_live(cluster, reader.id)
        started = time.monotonic()
        await api_a.gql("mutation { signOut { signedOut } }", token=reader.token)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _drain(client)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
        assert time.monotonic() - started < 10
