"""Frames sent from another subscriber's render are the bytes strawberry would have sent."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aperture import metrics
from resolvers.cursors import decode_cursor
from tests.helpers import LIKE, create_post, follow
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services
    from tests.helpers import Api, TestUser

    RunJobs = Callable[[], Awaitable[int]]

# The web client's post selection (web/app/js/queries.js) but its comments
WEB = """subscription($after: String, $seen: [ID!]) { homeTimelineUpdates(after: $after, seen: $seen) {
  type cursor postId authorId post {
    id caption createdAt state likeCount commentCount viewerHasLiked
    author { id username displayName }
    media { id type state altText width height thumb: url(size: THUMBNAIL) }
  }
} }"""
# With them: comments leave out commenters blocked either way, so viewers in a block render alone
WEB_WITH_COMMENTS = WEB.replace(
    "author { id username displayName }",
    "author { id username displayName } comments(first: 3) { edges { node { text author { username } } } }",
)
BLOCK = "mutation($u: ID!) { block(userId: $u) { changed errors { code } } }"
COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"
HOME = "{ viewer { homeTimeline(first: 5) { edges { cursor } } } }"
# Reading a page that selects viewerHasLiked opens the viewer's window of recent likes
LIKE_STATE = "{ viewer { homeTimeline(first: 5) { edges { node { viewerHasLiked } } } } }"


def _renders(outcome: str) -> float:
    value: float = metrics.LIVE_RENDERS.labels(outcome=outcome)._value.get()
    return value


async def _subscribe(server_url: str, token: str, variables: dict[str, Any], query: str = WEB) -> LiveClient:
    """Every subscriber uses operation id "op": frames for the same event may then be compared whole."""
    client = await LiveClient.connect(server_url, token)
    assert await client.acknowledged()
    message = {"id": "op", "type": "subscribe", "payload": {"query": query, "variables": variables}}
    await client.socket.send(json.dumps(message))
    return client


async def _raw_frame(client: LiveClient) -> str:
    while True:
        raw = await asyncio.wait_for(client.socket.recv(), 10)
        assert isinstance(raw, str), "text frames, as browsers need"
        if json.loads(raw)["type"] != "ping":
            return raw


async def _next_posts(clients: list[LiveClient]) -> tuple[list[str], list[dict[str, Any]]]:
    """Each client's next frame, as sent, and the post it carries."""
    frames = [await _raw_frame(client) for client in clients]
    return frames, [json.loads(frame)["payload"]["data"]["homeTimelineUpdates"]["post"] for frame in frames]


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


async def test_idle_subscribers_are_sent_a_shared_render_from_the_hub_in_order(
    api: Api, server_url: str, run_jobs: RunJobs, services: Services
) -> None:
    author, fans = await _fans(api, 4)
    await create_post(api, author, "already on the home page")
    await run_jobs()
    for fan in fans:
        await api.gql(LIKE_STATE, token=fan.token)  # as the web client's home page does
    clients = [await _subscribe(server_url, fan.token, {"after": None}) for fan in fans]
    await asyncio.sleep(0.3)
    expressed = services.live_hub.expressed
    posts = []
    for n in range(3):
        posts.append(await create_post(api, author, f"straight from the hub {n}"))
        await run_jobs()
    for client in clients:
        frames = [json.loads(await _raw_frame(client)) for _ in posts]
        events = [frame["payload"]["data"]["homeTimelineUpdates"] for frame in frames]
        assert [event["post"]["id"] for event in events] == posts, "each post once, in order"
        # Compare the keys the cursors carry: base64 text does not sort as the numbers in it do
        keys = [decode_cursor(event["cursor"]) for event in events]
        assert keys == sorted(keys, key=lambda key: key or 0), "cursors in the order of the posts"
    # For each post, one subscriber's task rendered it; the hub sent that render to the others
    assert services.live_hub.expressed - expressed == len(posts) * (len(fans) - 1)
    # Still one stream each: a reconnect from the last cursor replays nothing sent this way
    last = events[-1]["cursor"]
    replay = await _subscribe(server_url, fans[0].token, {"after": last})
    await create_post(api, author, "after the replay point")
    await run_jobs()
    first = json.loads(await _raw_frame(replay))["payload"]["data"]["homeTimelineUpdates"]
    assert first["post"]["id"] not in posts
    for client in [*clients, replay]:
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
    frames, posts = await _next_posts(clients)
    assert [post["viewerHasLiked"] for post in posts] == [True, False, False]
    assert frames[1] == frames[2], "the same render for the same operation, post and like"
    assert frames[0] != frames[1]
    assert all(post["likeCount"] == 1 for post in posts)

    # A new post, which none of them likes: one frame for all three
    newer = await create_post(api, author, "liked by nobody yet")
    await run_jobs()
    frames, posts = await _next_posts(clients)
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
    frames, posts = await _next_posts(clients)
    assert [post["viewerHasLiked"] for post in posts] == [False, True, False]
    assert frames[0] == frames[2]
    for client in clients:
        await client.close()


async def test_comments_are_shared_by_viewers_in_no_block_and_rendered_alone_for_one_in_a_block(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, fans = await _fans(api, 3)
    troll = await api.new_user("troll")
    assert (await api.gql(BLOCK, {"u": troll.id}, token=fans[2].token))["block"]["changed"]
    clients = [await _subscribe(server_url, fan.token, {"after": None}, WEB_WITH_COMMENTS) for fan in fans]
    await asyncio.sleep(0.3)
    rendered, sent = _renders("rendered"), _renders("sent_rendered")
    post = await create_post(api, author, "commented on before it reaches the screens")
    for who, text in ((troll, "first!"), (fans[0], "nice")):
        assert (await api.gql(COMMENT, {"p": post, "t": text}, token=who.token))["addComment"]["errors"] == []
    await run_jobs()
    frames, posts = await _next_posts(clients)
    authors = [[edge["node"]["author"]["username"] for edge in p["comments"]["edges"]] for p in posts]
    assert authors == [[troll.username, fans[0].username]] * 2 + [[fans[0].username]]
    assert frames[0] == frames[1], "one render for the two viewers in no block"
    # One shared render, sent to the second viewer too; fan 2 blocked the troll, so its render is
    # its own (not one that could be shared: not counted) and nobody else's was sent to it
    assert _renders("rendered") == rendered + 1
    assert _renders("sent_rendered") == sent + 1
    for client in clients:
        await client.close()
