"""Frames sent from another subscriber's render are the bytes strawberry would have sent."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aperture import metrics
from tests.helpers import LIKE, create_post, follow
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.helpers import Api, TestUser

    RunJobs = Callable[[], Awaitable[int]]

# The web client's post selection (web/app/js/queries.js) but its comments: comments depend on
# the viewer since blocks (a blocked commenter is hidden), so a selection with them is never shared
WEB = """subscription($after: String, $seen: [ID!]) { homeTimelineUpdates(after: $after, seen: $seen) {
  type cursor postId authorId post {
    id caption createdAt state likeCount commentCount viewerHasLiked
    author { id username displayName }
    media { id type state altText width height thumb: url(size: THUMBNAIL) }
  }
} }"""
HOME = "{ viewer { homeTimeline(first: 5) { edges { cursor } } } }"
# Reading a page that selects viewerHasLiked opens the viewer's window of recent likes
LIKE_STATE = "{ viewer { homeTimeline(first: 5) { edges { node { viewerHasLiked } } } } }"


def _renders(outcome: str) -> float:
    value: float = metrics.LIVE_RENDERS.labels(outcome=outcome)._value.get()
    return value


async def _subscribe(server_url: str, token: str, variables: dict[str, Any]) -> LiveClient:
    """Every subscriber uses operation id "op": frames for the same event may then be compared whole."""
    client = await LiveClient.connect(server_url, token)
    assert await client.acknowledged()
    message = {"id": "op", "type": "subscribe", "payload": {"query": WEB, "variables": variables}}
    await client.socket.send(json.dumps(message))
    return client


async def _raw_frame(client: LiveClient) -> str:
    while True:
        raw = await asyncio.wait_for(client.socket.recv(), 10)
        assert isinstance(raw, str), "text frames, as browsers need"
        if json.loads(raw)["type"] != "ping":
            return raw


async def _fans(api: Api, count: int) -> tuple[TestUser, list[TestUser]]:
    author = await api.new_user("author")
    fans = [await api.new_user("fan") for _ in range(count)]
    for fan in fans:
        await follow(api, fan, author)
        await api.gql(HOME, token=fan.token)  # active: pushed to
    return author, fans


async def test_a_frame_sent_from_another_render_equals_strawberrys_byte_for_byte(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, fans = await _fans(api, 3)
    clients = [await _subscribe(server_url, fan.token, {"after": None}) for fan in fans]
    await asyncio.sleep(0.3)
    rendered, sent = _renders("rendered"), _renders("sent_rendered")
    post = await create_post(api, author, "one render, three frames")
    await run_jobs()
    frames = [await _raw_frame(client) for client in clients]
    # One subscriber went through strawberry (executed, encoded by the view); the others were
    # sent that render's payload in their own envelope
    assert _renders("rendered") == rendered + 1
    assert _renders("sent_rendered") == sent + 2
    assert frames[0] == frames[1] == frames[2]
    message = json.loads(frames[0])
    assert (message["id"], message["type"]) == ("op", "next")
    assert message["payload"]["data"]["homeTimelineUpdates"]["post"]["id"] == post
    for client in clients:
        await client.close()


async def test_viewer_dependent_fields_differ_per_viewer(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, fans = await _fans(api, 3)
    older = await create_post(api, author, "liked by the first fan only")
    await run_jobs()
    start = (await api.gql(HOME, token=fans[1].token))["viewer"]["homeTimeline"]["edges"][0]["cursor"]
    await api.gql(LIKE, {"p": older}, token=fans[0].token)
    # A replay from the cursor brings the older post again, to each in its own state
    clients = [await _subscribe(server_url, fan.token, {"after": start}) for fan in fans]
    frames = [await _raw_frame(client) for client in clients]
    posts = [json.loads(frame)["payload"]["data"]["homeTimelineUpdates"]["post"] for frame in frames]
    assert [post["viewerHasLiked"] for post in posts] == [True, False, False]
    assert frames[1] == frames[2], "the same render for the same operation, post and like"
    assert frames[0] != frames[1]
    assert all(post["likeCount"] == 1 for post in posts)

    # A new post, which none of them likes: one frame for all three
    newer = await create_post(api, author, "liked by nobody yet")
    await run_jobs()
    frames = [await _raw_frame(client) for client in clients]
    posts = [json.loads(frame)["payload"]["data"]["homeTimelineUpdates"]["post"] for frame in frames]
    assert [post["id"] for post in posts] == [newer] * 3
    assert frames[0] == frames[1] == frames[2]
    for client in clients:
        await client.close()


async def test_a_post_liked_before_it_reaches_the_screens_shows_as_liked_to_that_viewer_only(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, fans = await _fans(api, 3)
    for fan in fans:
        await api.gql(LIKE_STATE, token=fan.token)  # each viewer's recent likes are in Redis
    clients = [await _subscribe(server_url, fan.token, {"after": None}) for fan in fans]
    await asyncio.sleep(0.3)
    post = await create_post(api, author, "liked before the fan-out ran")
    await api.gql(LIKE, {"p": post}, token=fans[1].token)
    await run_jobs()  # the fan-out publishes now; the hub reads the three viewers' likes at once
    frames = [await _raw_frame(client) for client in clients]
    posts = [json.loads(frame)["payload"]["data"]["homeTimelineUpdates"]["post"] for frame in frames]
    assert [post["viewerHasLiked"] for post in posts] == [False, True, False]
    assert frames[0] == frames[2]
    for client in clients:
        await client.close()
