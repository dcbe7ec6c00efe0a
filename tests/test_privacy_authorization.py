"""Who sees what around a private account, a block (each direction) and a mute: every query,
mutation and subscription that could carry another person's content, asserted per viewer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import Api, TestUser, create_post, follow
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunJobs = Callable[[], Awaitable[int]]

PROFILE = """query($u: String!) { user(username: $u) {
  id isPrivate postCount followerCount followingCount viewerHasRequestedFollow
  posts(first: 10) { edges { node { id } } }
  followers(first: 10) { edges { node { username } } }
  following(first: 10) { edges { node { username } } }
} }"""
POST = "query($id: ID!) { post(id: $id) { id caption comments(first: 10) { edges { node { text } } } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
TAG = "query($t: String!) { hashtag(name: $t) { posts(first: 20) { edges { node { id } } } } }"
HOME = """query($o: HomeOrder!) { viewer { homeTimeline(first: 30, order: $o) { edges { node { id } } } } }"""
LIKERS = """query($id: ID!) { post(id: $id) {
  likers(first: 10) { edges { node { username } } }
  comments(first: 10) { edges { node { id text author { username } } } } } }"""
NOTIFICATIONS = "{ viewer { notifications(first: 20) { edges { node { kind actors { username } } } } } }"
LIKE = "mutation($p: ID!) { likePost(postId: $p) { changed errors { code } } }"
COMMENT = (
    "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { comment { id } errors { code } } }"
)
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { changed requested errors { code } } }"
SET_PRIVATE = "mutation($p: Boolean!) { updateProfile(isPrivate: $p) { user { isPrivate } errors { code } } }"
APPROVE = "mutation($u: ID!) { approveFollowRequest(userId: $u) { changed errors { code } } }"
BLOCK = "mutation($u: ID!) { block(userId: $u) { changed errors { code } } }"
MUTE = "mutation($u: ID!) { mute(userId: $u) { changed errors { code } } }"
FOLLOW_TAG = "mutation($t: String!) { followHashtag(name: $t) { changed errors { code } } }"
VIEWER_LISTS = """query($u: String!) { user(username: $u) {
  followRequests(first: 10) { edges { node { username } } }
  blockedUsers(first: 10) { edges { node { username } } }
  mutedUsers(first: 10) { edges { node { username } } } } }"""
SEARCH = "query($q: String!) { searchUsers(query: $q, first: 5) { edges { node { username } } } }"
POST_UPDATES = "subscription($id: ID!) { postUpdates(id: $id) { postId likeCount } }"
UPDATES = "subscription { homeTimelineUpdates { type post { id } } }"


def ids_of(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def names_of(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["username"] for edge in connection["edges"]]


async def error_codes(api: Api, query: str, variables: dict[str, Any], token: str | None) -> list[str]:
    body = (await api.post(query, variables, token=token)).json()
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def home_ids(api: Api, user: TestUser) -> dict[str, list[str]]:
    return {
        order: ids_of((await api.gql(HOME, {"o": order}, token=user.token))["viewer"]["homeTimeline"])
        for order in ("LATEST", "RANKED")
    }


async def subscription_codes(
    server_url: str, token: str | None, query: str, variables: dict[str, Any]
) -> list[str]:
    """The error codes a subscription ends with at once (empty when it delivered data)."""
    client = await LiveClient.connect(server_url, token)
    try:
        assert await client.acknowledged()
        await client.subscribe(query, variables)
        message = await client.next()
        if message["type"] == "error":
            return [error["extensions"]["code"] for error in message["payload"]]
        errors = message["payload"].get("errors") or []
        return [error["extensions"]["code"] for error in errors]
    finally:
        await client.close()


async def live_home(server_url: str, user: TestUser) -> LiveClient:
    client = await LiveClient.connect(server_url, user.token)
    assert await client.acknowledged()
    await client.subscribe(UPDATES)
    await asyncio.sleep(0.3)  # the hub subscribes to Redis
    return client


async def live_post_ids(client: LiveClient, seconds: float) -> list[str]:
    """Posts the live home stream delivered within `seconds`."""
    delivered: list[str] = []
    while not await client.nothing_for(0):  # drain what is already there
        pass
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            message = await client.next(timeout=left)
        except TimeoutError:
            break
        event = message["payload"]["data"]["homeTimelineUpdates"]
        if event["type"] == "POST_ADDED":
            delivered.append(event["post"]["id"])
    return delivered


# A private account


@dataclass
class PrivateWorld:
    owner: TestUser
    stranger: TestUser
    pending: TestUser
    follower: TestUser
    friend: TestUser  # whom the owner follows, so `following` has someone in it
    post_id: str
    comment_id: str


async def private_world(api: Api, run_jobs: RunJobs) -> PrivateWorld:
    owner, stranger, pending, follower, friend = [
        await api.new_user(name) for name in ("owner", "stranger", "pending", "follower", "friend")
    ]
    assert (await api.gql(SET_PRIVATE, {"p": True}, token=owner.token))["updateProfile"]["user"]["isPrivate"]
    await follow(api, owner, friend)
    for asker in (pending, follower):
        asked = (await api.gql(FOLLOW, {"u": owner.id}, token=asker.token))["follow"]
        assert asked == {"changed": True, "requested": True, "errors": []}
    approved = (await api.gql(APPROVE, {"u": follower.id}, token=owner.token))["approveFollowRequest"]
    assert approved == {"changed": True, "errors": []}
    for reader in (stranger, pending, follower):
        await api.gql(FOLLOW_TAG, {"t": "privtag"}, token=reader.token)
        await api.gql(HOME, {"o": "LATEST"}, token=reader.token)  # active: pushed to from now on
    post_id = await create_post(
        api,
        owner,
        f"#privtag behind the curtain @{stranger.username} @{pending.username} @{follower.username}",
    )
    comment = (await api.gql(COMMENT, {"p": post_id, "t": "my own words"}, token=owner.token))["addComment"]
    await run_jobs()
    return PrivateWorld(owner, stranger, pending, follower, friend, post_id, comment["comment"]["id"])


ROLES = ["owner", "follower", "pending", "stranger", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
async def test_a_private_account_shows_its_content_only_to_its_owner_and_approved_followers(
    api: Api, run_jobs: RunJobs, server_url: str, role: str
) -> None:
    world = await private_world(api, run_jobs)
    viewer = None if role == "anonymous" else getattr(world, role)
    token = viewer.token if viewer is not None else None
    sees = role in {"owner", "follower"}

    # The header and counts are anyone's; the lists are not
    profile = (await api.gql(PROFILE, {"u": world.owner.username}, token=token))["user"]
    assert profile["isPrivate"] is True
    assert (profile["postCount"], profile["followerCount"], profile["followingCount"]) == (1, 1, 1)
    assert profile["viewerHasRequestedFollow"] is (role == "pending")
    assert ids_of(profile["posts"]) == ([world.post_id] if sees else [])
    assert names_of(profile["followers"]) == ([world.follower.username] if sees else [])
    assert names_of(profile["following"]) == ([world.friend.username] if sees else [])

    # By id, however asked
    post_errors = await error_codes(api, POST, {"id": world.post_id}, token)
    assert post_errors == ([] if sees else ["NOT_FOUND"])
    node = (await api.gql(NODE, {"id": world.post_id}, token=token))["node"]
    assert node == ({"id": world.post_id} if sees else None)
    nodes = (await api.gql(NODES, {"ids": [world.post_id, world.comment_id]}, token=token))["nodes"]
    assert nodes == ([{"id": world.post_id}, {"id": world.comment_id}] if sees else [None, None])

    # The hashtag page, and the home timeline that pulls the followed tag
    tag_page = (await api.gql(TAG, {"t": "privtag"}, token=token))["hashtag"]["posts"]
    assert ids_of(tag_page) == ([world.post_id] if sees else [])
    if viewer is not None:
        home = await home_ids(api, viewer)
        assert home == {order: [world.post_id] if sees else [] for order in ("LATEST", "RANKED")}

    if viewer is None:
        return  # WebSockets refuse anonymous clients (tests/test_live.py), and so do mutations
    # Live counts of the post
    updates = await subscription_codes(server_url, token, POST_UPDATES, {"id": world.post_id})
    assert updates == ([] if sees else ["NOT_FOUND"])

    # Reaching it
    liked = (await api.gql(LIKE, {"p": world.post_id}, token=token))["likePost"]
    assert liked["errors"] == ([] if sees else [{"code": "NOT_FOUND"}])
    commented = (await api.gql(COMMENT, {"p": world.post_id, "t": "hi"}, token=token))["addComment"]
    assert commented["errors"] == ([] if sees else [{"code": "NOT_FOUND"}])
    # A mention in a private post notifies only those who may read it
    await run_jobs()
    kinds = [
        edge["node"]["kind"]
        for edge in (await api.gql(NOTIFICATIONS, token=token))["viewer"]["notifications"]["edges"]
    ]
    if role == "owner":
        assert "MENTION" not in kinds
    else:
        assert ("MENTION" in kinds) is sees


async def test_a_private_accounts_new_post_reaches_live_followers_only(
    api: Api, run_jobs: RunJobs, server_url: str
) -> None:
    world = await private_world(api, run_jobs)
    clients = {
        role: await live_home(server_url, getattr(world, role))
        for role in ("follower", "pending", "stranger")
    }
    try:
        fresh = await create_post(api, world.owner, "#privtag live and private")
        await run_jobs()
        delivered = {role: await live_post_ids(client, 1.5) for role, client in clients.items()}
    finally:
        for client in clients.values():
            await client.close()
    assert delivered == {"follower": [fresh], "pending": [], "stranger": []}


# A block


@dataclass
class BlockWorld:
    blocker: TestUser
    blocked: TestUser
    third: TestUser
    blocker_post: str
    blocked_post: str
    third_post: str


async def block_world(api: Api, run_jobs: RunJobs) -> BlockWorld:
    blocker, blocked, third = [await api.new_user(name) for name in ("blocker", "blocked", "third")]
    for reader, author in ((blocked, blocker), (blocker, blocked), (blocker, third), (blocked, third)):
        await follow(api, reader, author)
    for user in (blocker, blocked):
        await api.gql(FOLLOW_TAG, {"t": "blocktag"}, token=user.token)
        await api.gql(HOME, {"o": "LATEST"}, token=user.token)
    blocker_post = await create_post(api, blocker, "#blocktag from the blocker")
    blocked_post = await create_post(api, blocked, "#blocktag from the blocked")
    third_post = await create_post(api, third, "a third party's post")
    for user in (blocker, blocked):
        await api.gql(LIKE, {"p": third_post}, token=user.token)
        await api.gql(COMMENT, {"p": third_post, "t": f"said by {user.username}"}, token=user.token)
    await run_jobs()
    # Before the block, each has the other's post at home
    assert blocker_post in (await home_ids(api, blocked))["LATEST"]
    assert blocked_post in (await home_ids(api, blocker))["LATEST"]
    assert (await api.gql(BLOCK, {"u": blocked.id}, token=blocker.token))["block"] == {
        "changed": True,
        "errors": [],
    }
    await run_jobs()
    await asyncio.sleep(0.3)  # the second unfollow sweep is deferred by FANOUT_SWEEP_DELAY_S
    await run_jobs()
    return BlockWorld(blocker, blocked, third, blocker_post, blocked_post, third_post)


@pytest.mark.parametrize("direction", ["blocked views blocker", "blocker views blocked"])
async def test_a_block_hides_each_side_from_the_other(
    api: Api, run_jobs: RunJobs, server_url: str, direction: str
) -> None:
    world = await block_world(api, run_jobs)
    if direction == "blocked views blocker":
        viewer, subject, subject_post = world.blocked, world.blocker, world.blocker_post
    else:
        viewer, subject, subject_post = world.blocker, world.blocked, world.blocked_post
    token = viewer.token

    profile = (await api.gql(PROFILE, {"u": subject.username}, token=token))["user"]
    node = (await api.gql(NODE, {"id": subject.id}, token=token))["node"]
    if direction == "blocked views blocker":
        # The blocker is not to be found at all
        assert profile is None
        assert node is None
    else:
        # The blocker can still find whom they blocked (to unblock), but sees none of their content
        assert node == {"id": subject.id}
        assert ids_of(profile["posts"]) == []
        assert names_of(profile["followers"]) == []
        assert names_of(profile["following"]) == []

    found = names_of((await api.gql(SEARCH, {"q": subject.username}, token=token))["searchUsers"])
    assert (subject.username in found) is (direction == "blocker views blocked")
    assert subject.username in names_of(
        (await api.gql(SEARCH, {"q": subject.username}, token=world.third.token))["searchUsers"]
    )

    assert await error_codes(api, POST, {"id": subject_post}, token) == ["NOT_FOUND"]
    assert (await api.gql(NODE, {"id": subject_post}, token=token))["node"] is None
    assert subject_post not in ids_of(
        (await api.gql(TAG, {"t": "blocktag"}, token=token))["hashtag"]["posts"]
    )
    home = await home_ids(api, viewer)
    assert all(subject_post not in ids for ids in home.values()), home
    assert await subscription_codes(server_url, token, POST_UPDATES, {"id": subject_post}) == ["NOT_FOUND"]

    # Their likes and comments elsewhere are gone from the viewer's view (and the viewer's own stay)
    third = (await api.gql(LIKERS, {"id": world.third_post}, token=token))["post"]
    assert names_of(third["likers"]) == [viewer.username]
    assert [edge["node"]["author"]["username"] for edge in third["comments"]["edges"]] == [viewer.username]
    # A third party still sees both
    seen_by_third = (await api.gql(LIKERS, {"id": world.third_post}, token=world.third.token))["post"]
    assert sorted(names_of(seen_by_third["likers"])) == sorted(
        [world.blocker.username, world.blocked.username]
    )

    # No reaching across
    expected_follow = "NOT_FOUND" if direction == "blocked views blocker" else "BLOCKED"
    followed = (await api.gql(FOLLOW, {"u": subject.id}, token=token))["follow"]
    assert followed["errors"] == [{"code": expected_follow}]
    liked = (await api.gql(LIKE, {"p": subject_post}, token=token))["likePost"]
    assert liked["errors"] == [{"code": "NOT_FOUND"}]
    commented = (await api.gql(COMMENT, {"p": subject_post, "t": "hey"}, token=token))["addComment"]
    assert commented["errors"] == [{"code": "NOT_FOUND"}]

    # A mention across the block notifies nobody; the same mention of a third party does
    await create_post(api, viewer, f"hello @{subject.username} and @{world.third.username}")
    await run_jobs()
    subject_kinds = [
        e["node"]["kind"]
        for e in (await api.gql(NOTIFICATIONS, token=subject.token))["viewer"]["notifications"]["edges"]
    ]
    third_kinds = [
        e["node"]["kind"]
        for e in (await api.gql(NOTIFICATIONS, token=world.third.token))["viewer"]["notifications"]["edges"]
    ]
    assert "MENTION" not in subject_kinds
    assert "MENTION" in third_kinds

    # The follow edges are gone both ways, seen by a third party
    for user in (world.blocker, world.blocked):
        lists = (await api.gql(PROFILE, {"u": user.username}, token=world.third.token))["user"]
        assert set(names_of(lists["followers"])) <= {world.third.username}
        assert set(names_of(lists["following"])) == {world.third.username}

    blocked_list = (await api.gql(VIEWER_LISTS, {"u": world.blocker.username}, token=world.blocker.token))[
        "user"
    ]
    assert names_of(blocked_list["blockedUsers"]) == [world.blocked.username]


# A mute


async def test_a_mute_silences_the_home_timeline_and_live_events_only(
    api: Api, run_jobs: RunJobs, server_url: str
) -> None:
    muter, muted, other = [await api.new_user(name) for name in ("muter", "muted", "other")]
    for author in (muted, other):
        await follow(api, muter, author)
    await api.gql(HOME, {"o": "LATEST"}, token=muter.token)
    muted_post = await create_post(api, muted, "#mutetag loud")
    other_post = await create_post(api, other, "quiet")
    await run_jobs()
    assert (await home_ids(api, muter))["LATEST"] == [other_post, muted_post]

    assert (await api.gql(MUTE, {"u": muted.id}, token=muter.token))["mute"] == {
        "changed": True,
        "errors": [],
    }
    assert await home_ids(api, muter) == {"LATEST": [other_post], "RANKED": [other_post]}

    # Live: the muted author's new post never arrives; the other's does
    client = await live_home(server_url, muter)
    try:
        loud = await create_post(api, muted, "louder")
        quiet = await create_post(api, other, "quieter")
        await run_jobs()
        assert await live_post_ids(client, 1.5) == [quiet]
    finally:
        await client.close()
    assert loud not in (await home_ids(api, muter))["LATEST"]

    # Everything else is as before: the profile, the post, the tag page, the follow
    profile = (await api.gql(PROFILE, {"u": muted.username}, token=muter.token))["user"]
    assert ids_of(profile["posts"]) == [loud, muted_post]
    assert await error_codes(api, POST, {"id": muted_post}, muter.token) == []
    assert ids_of((await api.gql(TAG, {"t": "mutetag"}, token=muter.token))["hashtag"]["posts"]) == [
        muted_post
    ]
    # The muted person is not told: they still see the muter following them
    theirs = (await api.gql(PROFILE, {"u": muted.username}, token=muted.token))["user"]
    assert names_of(theirs["followers"]) == [muter.username]
    lists = (await api.gql(VIEWER_LISTS, {"u": muter.username}, token=muter.token))["user"]
    assert names_of(lists["mutedUsers"]) == [muted.username]
