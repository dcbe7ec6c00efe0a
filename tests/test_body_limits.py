"""Body-size limits hold whatever the transfer encoding: a chunked body is cut off as it streams.

The bodies are sent over a raw socket, so that the test sees how much the server read
before it answered, and can stop sending once it has.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
import websockets
from websockets.frames import CloseCode

from gateway.body_limit import MAX_GRAPHQL_BODY_BYTES
from tests.helpers import REQUEST_UPLOAD, Api
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Iterable

MIB = 1 << 20


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def send_chunked(
    base_url: str, method: str, target: str, headers: dict[str, str], chunks: Iterable[bytes]
) -> tuple[int, bytes, int]:
    """Send `chunks` with Transfer-Encoding: chunked until the server answers.

    Returns the status, the body and how many body bytes were sent before the answer came.
    """
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {url.netloc}", "Transfer-Encoding: chunked"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = asyncio.create_task(_read_response(reader))
    sent = 0
    try:
        for chunk in chunks:
            if answer.done():
                break
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            try:
                await asyncio.wait_for(writer.drain(), 2)
            except TimeoutError:
                continue  # the server stopped reading; its answer is on the way
            except ConnectionError:
                break
            sent += len(chunk)
        else:
            writer.write(b"0\r\n\r\n")
        status, body = await asyncio.wait_for(answer, 30)
    finally:
        writer.close()
    return status, body, sent


def json_body_of(total: int) -> Iterable[bytes]:
    """A valid JSON request body of about `total` bytes, in 1 MiB chunks."""
    yield b'{"query": "{ __typename }", "padding": "'
    for _ in range(total // MIB):
        yield b"x" * MIB
    yield b'"}'


async def test_a_chunked_graphql_body_is_cut_off_at_the_limit(server_url: str) -> None:
    status, body, sent = await send_chunked(
        server_url, "POST", "/graphql", {"Content-Type": "application/json"}, json_body_of(100 * MIB)
    )
    assert status == 413, body[:300]
    assert b'"PAYLOAD_TOO_LARGE"' in body
    # The server stopped reading at the limit; what else was sent sat in socket buffers
    assert sent < 32 * MIB


async def test_a_chunked_body_under_the_limit_is_served(server_url: str) -> None:
    status, body, _ = await send_chunked(
        server_url, "POST", "/graphql", {"Content-Type": "application/json"}, [b'{"query": "{ __typename }"}']
    )
    assert status == 200, body
    assert b'"Query"' in body


async def test_a_chunked_upload_is_cut_off_at_its_signed_size(api: Api, server_url: str) -> None:
    user = await api.new_user()
    payload = (await api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": 1000}, token=user.token))[
        "requestUpload"
    ]
    target = payload["upload"]["target"]
    assert target["method"] == "PUT"
    url = urlsplit(target["url"])
    headers = {h["name"]: h["value"] for h in target["headers"]}
    chunks = itertools.repeat(b"\xff" * 65536, 100 * MIB // 65536)
    status, body, sent = await send_chunked(server_url, "PUT", f"{url.path}?{url.query}", headers, chunks)
    assert status == 413, body[:300]
    assert b'"FILE_TOO_LARGE"' in body
    # The target allows the size class of the type (30 MiB for images), not the declared size
    assert sent < 64 * MIB


async def test_a_declared_body_over_the_graphql_limit_is_refused_unread(server_url: str) -> None:
    # 200 KiB of ids: a valid request, but more than any client has reason to send
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    body = orjson.dumps({"query": query, "variables": {"ids": ["VXNlcjox"] * 17_000}})
    assert MAX_GRAPHQL_BODY_BYTES < len(body) < 2 * MAX_GRAPHQL_BODY_BYTES
    async with httpx.AsyncClient(base_url=server_url) as http:
        response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text[:300]
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_websocket_message_over_the_graphql_limit_closes_the_socket(
    api: Api, server_url: str
) -> None:
    client = await LiveClient.connect(server_url, (await api.new_user()).token)
    assert await client.acknowledged()
    await client.subscribe(
        "subscription { homeTimelineUpdates { __typename } }", {"padding": "x" * MAX_GRAPHQL_BODY_BYTES}
    )
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.next()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG
