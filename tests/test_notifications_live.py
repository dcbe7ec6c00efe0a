"""notificationEvents over a real WebSocket: each kind arrives live, grouped, with undo and read marks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
import websockets

from tests.helpers import DELETE_POST, LIKE, UNLIKE, Api, TestUser, create_post, follow
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunJobs = Callable[[], Awaitable[int]]

EVENTS = """subscription { notificationEvents { type unreadCount groupId
  group { id kind totalCount read post { id } actors { username } } } }"""
COMMENT = (
    "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { comment { id } errors { code } } }"
)
DELETE_COMMENT = "mutation($id: ID!) { deleteComment(id: $id) { errors { code } } }"
MARK_READ = "mutation { markNotificationsRead { unreadCount errors { code } } }"


async def listening(server_url: str, user: TestUser) -> LiveClient:
    client = await LiveClient.connect(server_url, user.token)
    assert await client.acknowledged()
    await client.subscribe(EVENTS)
    await asyncio.sleep(0.2)  # the hub subscribes to Redis
    return client


async def next_event(client: LiveClient) -> dict[str, Any]:
    event: dict[str, Any] = (await client.next_data())["notificationEvents"]
    return event


async def test_likes_arrive_grouped_and_an_unlike_is_taken_back(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, "live")
    client = await listening(server_url, author)
    first_fan, second_fan = await api.new_user("fan"), await api.new_user("fan")
    await api.gql(LIKE, {"p": post_id}, token=first_fan.token)
    await run_jobs()
    event = await next_event(client)
    assert event["type"] == "GROUP_UPDATED"
    assert event["unreadCount"] == 1
    group = event["group"]
    assert (group["kind"], group["totalCount"], group["post"]) == ("LIKE", 1, {"id": post_id})
    assert event["groupId"] == group["id"]
    await api.gql(LIKE, {"p": post_id}, token=second_fan.token)
    await run_jobs()
    event = await next_event(client)
    # The same group, updated: two likes, the newest liker first
    assert event["groupId"] == group["id"]
    assert event["group"]["totalCount"] == 2
    assert [a["username"] for a in event["group"]["actors"]] == [second_fan.username, first_fan.username]
    for fan in (first_fan, second_fan):
        await api.gql(UNLIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    events = [await next_event(client), await next_event(client)]
    assert events[-1] == {"type": "GROUP_REMOVED", "unreadCount": 0, "groupId": group["id"], "group": None}
    await client.close()


async def test_comments_mentions_and_follows_arrive_and_a_deleted_post_removes_its_groups(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, friend = await api.new_user("author"), await api.new_user("friend")
    post_id = await create_post(api, author, "live thread")
    author_live, friend_live = await listening(server_url, author), await listening(server_url, friend)
    comment = (await api.gql(COMMENT, {"p": post_id, "t": f"look @{friend.username}"}, token=friend.token))[
        "addComment"
    ]["comment"]
    await run_jobs()
    commented = await next_event(author_live)
    assert (commented["group"]["kind"], commented["group"]["actors"]) == (
        "COMMENT",
        [{"username": friend.username}],
    )
    # Mentioning yourself tells you nothing
    assert await friend_live.nothing_for(0.3)
    await follow(api, friend, author)
    await run_jobs()
    followed = await next_event(author_live)
    assert (followed["group"]["kind"], followed["group"]["post"], followed["unreadCount"]) == (
        "FOLLOW",
        None,
        2,
    )
    tagged = await create_post(api, author, f"thanks @{friend.username}")
    await run_jobs()
    mentioned = await next_event(friend_live)
    assert (mentioned["group"]["kind"], mentioned["group"]["post"]) == ("MENTION", {"id": tagged})
    await api.gql(DELETE_COMMENT, {"id": comment["id"]}, token=friend.token)
    await run_jobs()
    assert (await next_event(author_live))["type"] == "GROUP_REMOVED"
    await api.gql(DELETE_POST, {"id": tagged}, token=author.token)
    await run_jobs()
    removed = await next_event(friend_live)
    assert (removed["type"], removed["groupId"], removed["unreadCount"]) == (
        "GROUP_REMOVED",
        mentioned["groupId"],
        0,
    )
    for client in (author_live, friend_live):
        await client.close()


async def test_read_marks_reach_every_open_screen_and_others_hear_nothing(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author, fan, bystander = await api.new_user("author"), await api.new_user("fan"), await api.new_user("by")
    post_id = await create_post(api, author, "read me")
    phone, laptop = await listening(server_url, author), await listening(server_url, author)
    stranger = await listening(server_url, bystander)
    await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    for screen in (phone, laptop):
        assert (await next_event(screen))["unreadCount"] == 1
    assert (await api.gql(MARK_READ, token=author.token))["markNotificationsRead"]["unreadCount"] == 0
    for screen in (phone, laptop):
        event = await next_event(screen)
        assert (event["type"], event["unreadCount"], event["group"]) == ("READ", 0, None)
    assert await stranger.nothing_for(0.3)
    for client in (phone, laptop, stranger):
        await client.close()


async def test_the_subscription_needs_a_signed_in_user(server_url: str) -> None:
    client = await LiveClient.connect(server_url, None)
    # Anonymous sockets are refused at connection_init, before any subscription can start
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.next(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
