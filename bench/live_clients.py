"""The subscriber side of bench/live.py, in its own process: N WebSocket subscriptions.

Reads tokens (one per line) from a file, subscribes every one, prints READY, and records
when each event arrives. On stdin EOF it prints the arrival times as JSON and exits.

An event's arrival is when its bytes were read off the socket (`StampedConnection`), before
this process parses it: one process holds all the sockets, so the time it then spends on each
frame (the library's parsing and queueing, this script's reading) would otherwise add to the
next frames' latency, which separate devices would not see. The time each event was handed to
this script is kept too, as the bench reported before.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, cast

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.frames import Frame, Opcode

# The web client's selection (web/app/app.js): what a real screen asks for with each post
WEB_QUERY = """subscription($after: String, $seen: [ID!]) { homeTimelineUpdates(after: $after, seen: $seen) {
  type cursor postId authorId post {
    id caption createdAt state likeCount commentCount viewerHasLiked
    author { id username displayName }
    media { id type state failureReason altText width height blurhash
      thumb: url(size: THUMBNAIL) medium: url(size: MEDIUM) hlsUrl posterUrl }
    comments(first: 3) { edges { node { id text author { username } } } }
  }
} }"""
# Only the post's id: the delivery path itself, with as little rendering as a client can ask for
ID_QUERY = """subscription($after: String) { homeTimelineUpdates(after: $after) { type post { id } } }"""
QUERY = WEB_QUERY if os.environ.get("LIVE_SELECTION", "web") == "web" else ID_QUERY


class StampedConnection(ClientConnection):
    """Keeps, for each data message received, when its last frame was read off the socket."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_at: collections.deque[float] = collections.deque()
        self._last_read = 0.0

    def data_received(self, data: bytes) -> None:
        self._last_read = time.time()
        super().data_received(data)

    def process_event(self, event: Any) -> None:
        if isinstance(event, Frame) and event.fin and event.opcode in _DATA_OPCODES:
            self.read_at.append(self._last_read)
        super().process_event(event)


_DATA_OPCODES = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


async def subscriber(
    url: str,
    token: str,
    arrivals: dict[str, list[list[float]]],
    ready: asyncio.Event,
    counter: list[int],
    total: int,
    stats: dict[str, int],
    opening: asyncio.Semaphore,
) -> None:
    async with opening:  # a few hundred handshakes at a time, at the pace the server accepts them
        socket = await _connect(url, token, stats)
    counter[0] += 1
    if counter[0] == total:
        ready.set()
    if socket is None:
        stats["never_connected"] += 1
        return
    try:
        await socket.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"after": None}}}
            )
        )
        async for raw in socket:
            handed_over = time.time()
            read_at = socket.read_at.popleft()
            post_id = post_id_of(raw)
            if post_id:
                arrivals.setdefault(post_id, []).append([read_at, handed_over])
    except websockets.ConnectionClosed:
        pass
    stats["closed_by_server"] += 1
    await socket.close()


async def _connect(url: str, token: str, stats: dict[str, int]) -> StampedConnection | None:
    """A socket past connection_ack, retried with a growing pause; None if it never got there."""
    for attempt in range(8):
        try:
            # As cheap as a client can be: these sockets share the machine with the server they measure
            connected = await websockets.connect(
                url,
                subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                max_queue=None,
                compression=None,
                # Ten thousand sockets open while the server sets up each one's stream: be patient
                open_timeout=600,
                ping_interval=None,
                create_connection=StampedConnection,
            )
            socket = cast("StampedConnection", connected)
        except (OSError, TimeoutError, websockets.InvalidHandshake):
            stats["connect_retries"] += 1
            await asyncio.sleep(1.0 + attempt)
            continue
        try:
            await socket.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
            )
            await socket.recv()
            socket.read_at.clear()  # the acknowledgement's
        except websockets.ConnectionClosed:
            stats["connect_retries"] += 1
            continue
        return socket
    return None


_POST_ID = '"post":{"id":"'


def post_id_of(raw: str | bytes) -> str | None:
    """The post id of a `next` frame, found without parsing the whole frame when the server
    writes compact JSON (it does): this process shares the cores with the server it measures."""
    text = raw if isinstance(raw, str) else raw.decode()
    start = text.find(_POST_ID)
    if start >= 0:
        start += len(_POST_ID)
        return text[start : text.index('"', start)]
    message = json.loads(text)
    if message.get("type") != "next":
        return None
    post = message["payload"]["data"]["homeTimelineUpdates"]["post"]
    return post["id"] if post else None


@dataclass(frozen=True)
class ClientReport:
    """What this script prints on exit, as the benches that run it read it."""

    # Per post, per socket: [read off the socket, handed to this script]
    stamped: dict[str, list[list[float]]]
    stats: dict[str, int]

    @classmethod
    def parse(cls, output: bytes) -> ClientReport:
        lines = output.decode().strip().splitlines()
        stats: dict[str, int] = next(
            (json.loads(line[len(_STATS) :]) for line in lines if line.startswith(_STATS)), {}
        )
        return cls(stamped=json.loads(lines[-1]), stats=stats)

    def read_at(self) -> dict[str, list[float]]:
        """Each post's arrivals, stamped when their bytes were read off the socket."""
        return {post_id: [read for read, _ in pairs] for post_id, pairs in self.stamped.items()}

    def handed_over(self) -> dict[str, list[float]]:
        """Each post's arrivals, stamped when this script had the parsed frame."""
        return {post_id: [handed for _, handed in pairs] for post_id, pairs in self.stamped.items()}


_STATS = "STATS "


async def main(url: str, token_file: str) -> None:
    tokens = [line.strip() for line in open(token_file) if line.strip()]  # noqa: PTH123, SIM115
    arrivals: dict[str, list[list[float]]] = {}
    ready = asyncio.Event()
    counter = [0]
    stats = {"connect_retries": 0, "never_connected": 0, "closed_by_server": 0}
    opening = asyncio.Semaphore(200)
    tasks = [
        asyncio.create_task(subscriber(url, token, arrivals, ready, counter, len(tokens), stats, opening))
        for token in tokens
    ]
    await asyncio.wait_for(ready.wait(), 900)
    await asyncio.sleep(1.0)  # let the server finish its Redis subscriptions
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for task in tasks:
        task.cancel()
    print(_STATS + json.dumps(stats), flush=True)
    print(json.dumps(arrivals), flush=True)


if __name__ == "__main__":
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(sys.argv[1], sys.argv[2]))
