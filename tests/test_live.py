"""Live subscriptions over real WebSockets: auth, presence, delivery, deletions, reconnects, counts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
import websockets

from resolvers.global_ids import parse_global_id
from services.live.channels import user_channel
from services.live.hub import LiveHub, SlowConsumerError
from services.timeline.presence import live_key
from tests import media_files
from tests.helpers import LIKE, UNFOLLOW, Api, TestUser, create_media_post, create_post, follow, upload
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

UPDATES = """subscription($after: String, $seen: [ID!]) {
  homeTimelineUpdates(after: $after, seen: $seen) { type cursor postId post { id caption author { username } } }
}"""
POST_UPDATES = "subscription($id: ID!) { postUpdates(id: $id) { postId likeCount commentCount deleted } }"
CLASS = "{ viewer { settings { userClass } } }"
DELETE = "mutation($id: ID!) { deletePost(id: $id) { errors { code } } }"


async def live(server_url: str, token: str | None) -> LiveClient:
    return await LiveClient.connect(server_url, token)


async def watching(api: Api, server_url: str) -> tuple[TestUser, TestUser, LiveClient]:
    """An author, and a watcher who follows them with a live home timeline open."""
    author = await api.new_user("author")
    watcher = await api.new_user("watcher")
    await follow(api, watcher, author)
    client = await live(server_url, watcher.token)
    assert await client.acknowledged()
    await client.subscribe(UPDATES)
    await asyncio.sleep(0.2)  # the hub subscribes to Redis
    return author, watcher, client


@pytest.mark.parametrize("token", [None, "ap_not-a-valid-token-xxxxxxxxxxxxxxxx"])
async def test_connections_without_a_valid_token_are_refused(server_url: str, token: str | None) -> None:
    client = await live(server_url, token)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.next()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_a_new_post_reaches_a_live_follower(api: Api, server_url: str, run_jobs: RunJobs) -> None:
    author, watcher, client = await watching(api, server_url)
    assert (await api.gql(CLASS, token=watcher.token))["viewer"]["settings"]["userClass"] == "LIVE"
    post_id = await create_post(api, author, "hello live world")
    await run_jobs()
    event = (await client.next_data())["homeTimelineUpdates"]
    assert event["type"] == "POST_ADDED"
    assert event["post"] == {
        "id": post_id,
        "caption": "hello live world",
        "author": {"username": author.username},
    }
    assert event["cursor"]
    await client.close()
    # Closing the socket ends the live state; the server notices on its own schedule
    for _ in range(50):
        user_class = (await api.gql(CLASS, token=watcher.token))["viewer"]["settings"]["userClass"]
        if user_class != "LIVE":
            break
        await asyncio.sleep(0.1)
    assert user_class == "ACTIVE"


async def test_famous_authors_reach_live_followers_without_fan_out(
    api: Api, server_url: str, run_jobs: RunJobs, services: Services
) -> None:
    star = await api.new_user("star")
    fans = [await api.new_user("fan") for _ in range(8)]
    for fan in fans:
        await follow(api, fan, star)
    await run_jobs()
    assert await services.classes.is_famous(parse_global_id(star.id)[1])
    client = await live(server_url, fans[0].token)
    assert await client.acknowledged()
    await client.subscribe(UPDATES)
    await asyncio.sleep(0.2)
    post_id = await create_post(api, star, "from the stars")
    await run_jobs()
    event = (await client.next_data())["homeTimelineUpdates"]
    assert (event["type"], event["post"]["id"]) == ("POST_ADDED", post_id)
    await client.close()


async def test_following_and_unfollowing_mid_session_retargets_the_stream(
    api: Api, server_url: str, run_jobs: RunJobs, services: Services
) -> None:
    star = await api.new_user("star")
    for _ in range(8):
        await follow(api, await api.new_user("fan"), star)
    friend = await api.new_user("friend")
    watcher = await api.new_user("watcher")
    await follow(api, watcher, friend)
    await run_jobs()
    assert await services.classes.is_famous(parse_global_id(star.id)[1])
    client = await live(server_url, watcher.token)
    assert await client.acknowledged()
    await client.subscribe(UPDATES.replace("type cursor", "type authorId cursor"))
    await asyncio.sleep(0.2)

    # Following a famous author: the stream starts listening on the author's channel at once
    await follow(api, watcher, star)
    await asyncio.sleep(0.2)
    shine = await create_post(api, star, "now you see me")
    await run_jobs()
    event = (await client.next_data())["homeTimelineUpdates"]
    assert (event["type"], event["post"]["id"]) == ("POST_ADDED", shine)

    # Unfollowing: the client is told to drop the author's posts, and hears no more of them
    result = await api.gql(UNFOLLOW, {"u": star.id}, token=watcher.token)
    assert result["unfollow"]["changed"] is True
    event = (await client.next_data())["homeTimelineUpdates"]
    assert (event["type"], event["authorId"], event["post"]) == ("AUTHOR_REMOVED", star.id, None)
    await asyncio.sleep(0.2)
    await create_post(api, star, "you should not see this")
    from_friend = await create_post(api, friend, "but this")
    await run_jobs()
    event = (await client.next_data())["homeTimelineUpdates"]
    assert (event["type"], event["post"]["id"]) == ("POST_ADDED", from_friend)
    assert await client.nothing_for(0.5)
    await client.close()


async def test_the_stream_survives_losing_its_redis_subscription(
    api: Api, server_url: str, run_jobs: RunJobs, services: Services
) -> None:
    author, _watcher, client = await watching(api, server_url)
    before = await create_post(api, author, "before the cut")
    await run_jobs()
    assert (await client.next_data())["homeTimelineUpdates"]["post"]["id"] == before
    # Redis drops the hub's pub/sub connection (a restart or failover looks the same)
    killed = await services.stores.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # type: ignore[no-untyped-call]
    assert int(killed) >= 1
    during = await create_post(api, author, "while reconnecting")
    await run_jobs()
    await asyncio.sleep(1.0)
    after = await create_post(api, author, "after the cut")
    await run_jobs()
    # The post published while nobody listened is replayed from the timeline on resync
    received = []
    while after not in received:
        event = (await client.next_data(timeout=15))["homeTimelineUpdates"]
        assert event["type"] == "POST_ADDED", event
        received.append(event["post"]["id"])
    assert sorted(received) == sorted([during, after])
    await client.close()


async def test_a_post_lost_with_the_redis_subscription_is_replayed_before_any_delivery(
    api: Api, server_url: str, run_jobs: RunJobs, services: Services
) -> None:
    author, watcher, client = await watching(api, server_url)  # no cursor: the stream starts now
    # The post reaches the feed but its event is lost, as when Redis drops the hub's
    # connection between the push and the publish
    await services.stores.redis.delete(live_key(parse_global_id(watcher.id)[1]))
    lost = await create_post(api, author, "published while nobody listened")
    await run_jobs()
    killed = await services.stores.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # type: ignore[no-untyped-call]
    assert int(killed) >= 1
    event = (await client.next_data(timeout=15))["homeTimelineUpdates"]
    assert event["type"] == "POST_ADDED"
    assert event["post"]["id"] == lost
    await client.close()


async def test_a_post_pushed_while_the_stream_is_being_set_up_is_delivered(
    api: Api, server_url: str, run_jobs: RunJobs, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await api.new_user("author")
    watcher = await api.new_user("watcher")
    await follow(api, watcher, author)
    hub = services.live_hub
    opening, proceed = asyncio.Event(), asyncio.Event()
    open_channels = hub.open

    async def slow_open(*args: Any, **kwargs: Any) -> Any:
        # The stream has begun and the viewer is marked live, but this process does not
        # listen yet: what is published now goes to no one here
        opening.set()
        await proceed.wait()
        return await open_channels(*args, **kwargs)

    monkeypatch.setattr(hub, "open", slow_open)
    client = await live(server_url, watcher.token)
    assert await client.acknowledged()
    await client.subscribe(UPDATES)
    await asyncio.wait_for(opening.wait(), 10)
    post_id = await create_post(api, author, "while the stream was being set up")
    await run_jobs()
    proceed.set()
    event = (await client.next_data(timeout=10))["homeTimelineUpdates"]
    assert (event["type"], event["post"]["id"]) == ("POST_ADDED", post_id)
    await client.close()


async def test_deletions_reach_live_followers(api: Api, server_url: str, run_jobs: RunJobs) -> None:
    author, _watcher, client = await watching(api, server_url)
    post_id = await create_post(api, author, "short-lived")
    await run_jobs()
    added = (await client.next_data())["homeTimelineUpdates"]
    assert added["type"] == "POST_ADDED"
    await api.gql(DELETE, {"id": post_id}, token=author.token)
    await run_jobs()
    event = (await client.next_data())["homeTimelineUpdates"]
    # A removal carries the resume point, which it does not move
    assert event == {"type": "POST_REMOVED", "cursor": added["cursor"], "postId": post_id, "post": None}
    await client.close()


async def test_a_reconnecting_client_gets_what_it_missed(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, watcher, client = await watching(api, server_url)
    first = await create_post(api, author, "seen live")
    await run_jobs()
    cursor = (await client.next_data())["homeTimelineUpdates"]["cursor"]
    await client.close()

    missed = [await create_post(api, author, f"while away {i}") for i in range(3)]
    doomed = await create_post(api, author, "deleted while away")
    await run_jobs()
    await api.gql(DELETE, {"id": doomed}, token=author.token)
    await run_jobs()

    again = await live(server_url, watcher.token)
    assert await again.acknowledged()
    await again.subscribe(UPDATES, {"after": cursor, "seen": [first]})
    replayed = [(await again.next_data())["homeTimelineUpdates"] for _ in range(3)]
    assert [e["post"]["id"] for e in replayed] == missed, "everything missed, oldest first, nothing twice"
    assert await again.nothing_for(0.5)
    live_post = await create_post(api, author, "and live again")
    await run_jobs()
    assert (await again.next_data())["homeTimelineUpdates"]["post"]["id"] == live_post
    await again.close()

    # A client that still shows the deleted post is told to drop it
    third = await live(server_url, watcher.token)
    assert await third.acknowledged()
    await third.subscribe(UPDATES, {"after": cursor, "seen": [first, *missed, live_post, doomed]})
    event = (await third.next_data())["homeTimelineUpdates"]
    assert (event["type"], event["postId"]) == ("POST_REMOVED", doomed)
    await third.close()


async def test_one_redis_subscription_per_channel_per_process(
    api: Api, server_url: str, services: Services
) -> None:
    watcher = await api.new_user("watcher")
    clients = []
    for _ in range(3):
        client = await live(server_url, watcher.token)
        assert await client.acknowledged()
        await client.subscribe(UPDATES)
        clients.append(client)
    await asyncio.sleep(0.3)
    channel = user_channel(parse_global_id(watcher.id)[1])
    ((_, subscribers),) = await services.stores.redis.pubsub_numsub(channel)
    assert subscribers == 1
    for client in clients:
        await client.close()
    await asyncio.sleep(0.3)
    ((_, subscribers),) = await services.stores.redis.pubsub_numsub(channel)
    assert subscribers == 0


async def test_post_updates_stream_counts_and_deletion(api: Api, server_url: str, run_jobs: RunJobs) -> None:
    author = await api.new_user("author")
    fans = [await api.new_user("fan") for _ in range(3)]
    post_id = await create_post(api, author, "count me")
    client = await live(server_url, fans[0].token)
    assert await client.acknowledged()
    await client.subscribe(POST_UPDATES, {"id": post_id})
    first = (await client.next_data())["postUpdates"]
    assert (first["likeCount"], first["deleted"]) == (0, False)
    await asyncio.sleep(0.2)
    for fan in fans:
        await api.gql(LIKE, {"p": post_id}, token=fan.token)
    counts: list[Any] = []
    while not counts or counts[-1] < 3:
        counts.append((await client.next_data())["postUpdates"]["likeCount"])
    assert counts == sorted(counts), "states arrive in order; bursts may be coalesced"
    await api.gql(DELETE, {"id": post_id}, token=author.token)
    final = (await client.next_data())["postUpdates"]
    assert final["deleted"] is True
    assert (await client.next())["type"] == "complete"
    await client.close()


async def test_a_slow_subscriber_is_cut_off_and_memory_stays_bounded(services: Services) -> None:
    hub = LiveHub(services.stores.redis, queue_size=5)
    subscription = await hub.open(["live:test:slow"])
    try:
        await asyncio.sleep(0.1)
        for index in range(50):
            await services.stores.redis.publish("live:test:slow", f'{{"type": "post", "postId": {index}}}')
        await asyncio.sleep(0.3)
        assert subscription._queue.qsize() <= 5
        with pytest.raises(SlowConsumerError):
            await subscription.next()  # cut off at once: it resumes from its cursor instead
        coalesced = await hub.open(["live:test:states"], coalesce=True)
        await asyncio.sleep(0.1)
        for index in range(20):
            await services.stores.redis.publish("live:test:states", f'{{"type": "counts", "n": {index}}}')
        await asyncio.sleep(0.3)
        assert (await coalesced.next()) == {"type": "counts", "n": 19}, "only the latest state is kept"
    finally:
        await hub.close()


def _nested_posts(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"author {{ posts(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
    return f"subscription {{ homeTimelineUpdates {{ post {{ {inner} }} }} }}"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (_nested_posts(4), "GRAPHQL_VALIDATION_FAILED"),  # deeper than GRAPHQL_MAX_DEPTH
        ("subscription { ...Nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription { homeTimelineUpdates { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription { homeTimelineUpdates { ", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_every_error_over_a_websocket_carries_a_code(
    api: Api, server_url: str, document: str, code: str
) -> None:
    user = await api.new_user()
    client = await live(server_url, user.token)
    assert await client.acknowledged()
    await client.subscribe(document)
    message = await client.next()
    assert message["type"] == "error", message
    assert [error["extensions"]["code"] for error in message["payload"]] == [code], message
    await client.close()


async def test_removals_are_reported_only_for_posts_the_viewer_could_see(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, friend, stranger = [await api.new_user(name) for name in ("author", "friend", "stranger")]
    await follow(api, stranger, friend)
    # A photo post still processing is visible to its author only; this one is deleted unseen
    upload_id = await upload(api, author, media_files.image_bytes("JPEG"), "image/jpeg")
    hidden = (await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]["id"]
    public = await create_post(api, author, "public, then deleted")
    for post_id in (hidden, public):
        await api.gql(DELETE, {"id": post_id}, token=author.token)
    client = await live(server_url, stranger.token)
    assert await client.acknowledged()
    # A client may claim to hold any id: it learns only what it could have seen
    await client.subscribe(UPDATES, {"seen": [hidden, public]})
    await asyncio.sleep(0.2)
    marker = await create_post(api, friend, "after the replay")
    await run_jobs()
    removed = []
    while (event := (await client.next_data())["homeTimelineUpdates"])["type"] != "POST_ADDED":
        removed.append(event["postId"])
    assert event["post"]["id"] == marker
    assert removed == [public]
    await client.close()
