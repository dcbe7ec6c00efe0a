"""Signing out ends the WebSocket subscriptions opened with that session's token, at once."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest
import websockets

from tests.helpers import PASSWORD, Api, create_post, follow
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

UPDATES = "subscription { homeTimelineUpdates { type post { id } } }"
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { token } }"
SIGN_OUT = "mutation { signOut { signedOut errors { code } } }"


async def _drain(client: LiveClient, timeout: float) -> None:
    while True:
        await client.next(timeout=timeout)


async def closed_with(client: LiveClient, timeout: float = 10) -> int:
    """The close code of a socket the server is about to close; fails if it stays open."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await _drain(client, timeout)
    assert closed.value.rcvd is not None, "the server closed the socket, not the client"
    return closed.value.rcvd.code


async def open_stream(server_url: str, token: str) -> LiveClient:
    client = await LiveClient.connect(server_url, token)
    assert await client.acknowledged()
    await client.subscribe(UPDATES)
    return client


async def test_signing_out_closes_that_sessions_sockets_only(
    api: Api, server_url: str, run_jobs: RunJobs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    author = await api.new_user("author")
    reader = await api.new_user("reader")
    await follow(api, reader, author)
    other_session = (await api.gql(SIGN_IN, {"u": reader.username, "p": PASSWORD}))["signIn"]["token"]
    doomed = [await open_stream(server_url, reader.token) for _ in range(2)]
    kept = await open_stream(server_url, other_session)
    await asyncio.sleep(0.2)  # the streams are listening

    assert (await api.gql(SIGN_OUT, token=reader.token))["signOut"]["signedOut"] is True
    for client in doomed:
        assert await closed_with(client) == 4403
    # The same user's other session goes on receiving posts
    post_id = await create_post(api, author, "still streaming")
    await run_jobs()
    assert (await kept.next_data())["homeTimelineUpdates"]["post"]["id"] == post_id
    await kept.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "the subscriptions ended cleanly"


async def test_a_socket_opened_with_a_revoked_token_is_refused(api: Api, server_url: str) -> None:
    user = await api.new_user()
    await api.gql(SIGN_OUT, token=user.token)
    client = await LiveClient.connect(server_url, user.token)
    assert await closed_with(client) == 4403


async def test_a_revocation_missed_while_redis_reconnects_still_closes_the_socket(
    api: Api, server_url: str, services: Services
) -> None:
    user = await api.new_user()
    client = await open_stream(server_url, user.token)
    await asyncio.sleep(0.2)
    # The hub loses its pub/sub connection, and the revocation is published to nobody
    assert int(await services.stores.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")) >= 1  # type: ignore[no-untyped-call]
    await api.gql(SIGN_OUT, token=user.token)
    # On resubscribing, the process checks the sessions of its sockets
    assert await closed_with(client, timeout=15) == 4403
