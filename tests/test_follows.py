"""Follow and unfollow: idempotent edges, connections, flags and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import to_global_id
from tests.helpers import FOLLOW, UNFOLLOW, Api, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

PROFILE = """query($u: String!) { user(username: $u) {
  followerCount followingCount viewerFollows followsViewer
  followers(first: 10) { edges { node { username } since } pageInfo { hasNextPage endCursor } }
  following(first: 10) { edges { node { username } } }
} }"""


async def test_follow_is_idempotent_and_unique(api: Api, services: Services) -> None:
    alice = await api.new_user("alice")
    bob = await api.new_user("bob")
    first = (await api.gql(FOLLOW, {"u": bob.id}, token=alice.token))["follow"]
    second = (await api.gql(FOLLOW, {"u": bob.id}, token=alice.token))["follow"]
    assert first == {"changed": True, "errors": []}
    assert second == {"changed": False, "errors": []}
    assert await services.stores.db["follows"].count_documents({}) == 1
    out = (await api.gql(UNFOLLOW, {"u": bob.id}, token=alice.token))["unfollow"]
    again = (await api.gql(UNFOLLOW, {"u": bob.id}, token=alice.token))["unfollow"]
    assert (out["changed"], again["changed"]) == (True, False)
    assert await services.stores.db["follows"].count_documents({}) == 0


async def test_concurrent_follows_create_one_edge(api: Api, services: Services) -> None:
    import asyncio

    alice = await api.new_user()
    bob = await api.new_user()
    results = await asyncio.gather(*(api.gql(FOLLOW, {"u": bob.id}, token=alice.token) for _ in range(8)))
    assert sum(r["follow"]["changed"] for r in results) == 1
    assert await services.stores.db["follows"].count_documents({}) == 1


async def test_follow_errors(api: Api) -> None:
    alice = await api.new_user()
    itself = (await api.gql(FOLLOW, {"u": alice.id}, token=alice.token))["follow"]
    assert itself["errors"] == [{"field": "userId", "code": "CANNOT_FOLLOW_SELF"}]
    ghost = (await api.gql(FOLLOW, {"u": to_global_id("User", 99999)}, token=alice.token))["follow"]
    assert ghost["errors"] == [{"field": "userId", "code": "NOT_FOUND"}]
    malformed = (await api.gql(FOLLOW, {"u": "garbage"}, token=alice.token))["follow"]
    assert malformed["errors"] == [{"field": "userId", "code": "INVALID_ID"}]
    post_id = to_global_id("Post", 123)
    wrong_kind = (await api.gql(FOLLOW, {"u": post_id}, token=alice.token))["follow"]
    assert wrong_kind["errors"] == [{"field": "userId", "code": "INVALID_ID"}]
    anonymous = (await api.gql(FOLLOW, {"u": alice.id}))["follow"]
    assert anonymous["errors"] == [{"field": None, "code": "UNAUTHENTICATED"}]


async def test_connections_flags_and_counts(api: Api, run_jobs: Callable[[], Awaitable[int]]) -> None:
    star = await api.new_user("star")
    fans = [await api.new_user("fan") for _ in range(3)]
    for fan in fans:
        await follow(api, fan, star)
    await follow(api, star, fans[0])
    profile = (await api.gql(PROFILE, {"u": star.username}, token=fans[0].token))["user"]
    assert [e["node"]["username"] for e in profile["followers"]["edges"]] == [
        f.username for f in reversed(fans)
    ]
    assert profile["following"]["edges"] == [{"node": {"username": fans[0].username}}]
    assert (profile["followerCount"], profile["followingCount"]) == (3, 1)
    assert (profile["viewerFollows"], profile["followsViewer"]) == (True, True)
    as_stranger = (await api.gql(PROFILE, {"u": star.username}, token=fans[2].token))["user"]
    assert (as_stranger["viewerFollows"], as_stranger["followsViewer"]) == (True, False)
    anonymous = (await api.gql(PROFILE, {"u": star.username}))["user"]
    assert (anonymous["viewerFollows"], anonymous["followsViewer"]) == (False, False)
    await run_jobs()
    after_flush = (await api.gql(PROFILE, {"u": star.username}))["user"]
    assert (after_flush["followerCount"], after_flush["followingCount"]) == (3, 1)


async def test_followers_paginate_without_gaps(api: Api) -> None:
    star = await api.new_user("star")
    fans = [await api.new_user("fan") for _ in range(7)]
    for fan in fans:
        await follow(api, fan, star)
    query = """query($u: String!, $after: String) { user(username: $u) {
      followers(first: 3, after: $after) { edges { node { username } } pageInfo { hasNextPage endCursor } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await api.gql(query, {"u": star.username, "after": after}))["user"]["followers"]
        seen += [e["node"]["username"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f.username for f in reversed(fans)]
