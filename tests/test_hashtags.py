"""Hashtag pages, following hashtags and trending tags over real HTTP, with a real worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from services.hashtags.trending import TAGS_KEY, tag_authors_key
from tests.helpers import DELETE_POST, Api, TestUser, create_post

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

TAG_PAGE = """query($name: String!, $first: Int!, $after: String) { hashtag(name: $name) { name viewerFollows
  posts(first: $first, after: $after) { edges { cursor node { id caption } } pageInfo { hasNextPage endCursor } } } }"""
FOLLOW_TAG = (
    "mutation($n: String!) { followHashtag(name: $n) { changed hashtag { name } errors { field code } } }"
)
UNFOLLOW_TAG = (
    "mutation($n: String!) { unfollowHashtag(name: $n) { changed hashtag { name } errors { field code } } }"
)
FOLLOWED = """query($first: Int!) { viewer { followedHashtags(first: $first) {
  edges { node { name viewerFollows } since } pageInfo { hasNextPage } } } }"""
TRENDING = "query($first: Int!) { trendingHashtags(first: $first) { edges { node { name } authorCount } } }"


async def tag_page(api: Api, name: str, page_size: int, token: str | None = None) -> list[str]:
    """Every post of a hashtag page, scrolled page by page."""
    seen: list[str] = []
    after = None
    for _ in range(50):
        data = await api.gql(TAG_PAGE, {"name": name, "first": page_size, "after": after}, token=token)
        posts = data["hashtag"]["posts"]
        seen += [edge["node"]["id"] for edge in posts["edges"]]
        if not posts["pageInfo"]["hasNextPage"]:
            return seen
        after = posts["pageInfo"]["endCursor"]
    raise AssertionError("the hashtag page never ended")


async def test_a_hashtag_page_is_every_visible_tagged_post_newest_first(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    cap = services.settings.hashtag_window_cap
    authors = [await api.new_user("ann"), await api.new_user("bob")]
    tagged = []
    for n in range(cap + 4):  # past the cached window: the rest comes from the hashtag index
        spelling = ("#Sunset", "#sunset", "#SUNSET")[n % 3]
        tagged.append(await create_post(api, authors[n % 2], f"evening {n} {spelling}"))
    await create_post(api, authors[0], "#sunsets is another tag, #sun too")
    await run_jobs()
    newest_first = list(reversed(tagged))
    for name in ("sunset", "#SunSet", " #sunset "):
        assert await tag_page(api, name, 3) == newest_first
    # Read once (the window is kept now); new and deleted posts follow through their jobs
    fresh = await create_post(api, authors[1], "one more #sunset")
    await api.gql(DELETE_POST, {"id": tagged[-1]}, token=authors[(len(tagged) - 1) % 2].token)
    await run_jobs()
    assert await tag_page(api, "sunset", 2) == [fresh, *newest_first[1:]]


async def test_unknown_tags_are_empty_and_impossible_ones_are_refused(api: Api) -> None:
    data = await api.gql(TAG_PAGE, {"name": "#nobodyusesthis", "first": 5})
    assert data["hashtag"]["name"] == "nobodyusesthis"
    assert data["hashtag"]["posts"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    for bad in ("", "#", "two words", "#2024", "x" * 101, "tag!"):
        response = await api.post(TAG_PAGE, {"name": bad, "first": 5})
        body = response.json()
        assert response.status_code == 200, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_HASHTAG"], (bad, body)


async def test_only_visible_posts_are_on_a_hashtag_page(api: Api, run_jobs: RunJobs) -> None:
    author = await api.new_user("ann")
    kept = await create_post(api, author, "#keep this")
    gone = await create_post(api, author, "#keep not this")
    await api.gql(DELETE_POST, {"id": gone}, token=author.token)
    await run_jobs()
    assert await tag_page(api, "keep", 10) == [kept]


async def test_following_a_hashtag(api: Api) -> None:
    reader = await api.new_user("reader")
    followed = (await api.gql(FOLLOW_TAG, {"n": "#Café"}, token=reader.token))["followHashtag"]
    assert followed == {"changed": True, "hashtag": {"name": "café"}, "errors": []}
    again = (await api.gql(FOLLOW_TAG, {"n": "CAFÉ"}, token=reader.token))["followHashtag"]
    assert again["changed"] is False
    await api.gql(FOLLOW_TAG, {"n": "tea"}, token=reader.token)
    listed = (await api.gql(FOLLOWED, {"first": 10}, token=reader.token))["viewer"]["followedHashtags"]
    assert [edge["node"] for edge in listed["edges"]] == [
        {"name": "tea", "viewerFollows": True},
        {"name": "café", "viewerFollows": True},
    ]
    page = await api.gql(TAG_PAGE, {"name": "café", "first": 1}, token=reader.token)
    assert page["hashtag"]["viewerFollows"] is True
    assert (await api.gql(TAG_PAGE, {"name": "café", "first": 1}))["hashtag"]["viewerFollows"] is False
    gone = (await api.gql(UNFOLLOW_TAG, {"n": "#café"}, token=reader.token))["unfollowHashtag"]
    assert gone == {"changed": True, "hashtag": {"name": "café"}, "errors": []}
    listed = (await api.gql(FOLLOWED, {"first": 10}, token=reader.token))["viewer"]["followedHashtags"]
    assert [edge["node"]["name"] for edge in listed["edges"]] == ["tea"]


async def test_following_hashtags_refuses_bad_input_and_strangers(api: Api) -> None:
    reader, other = await api.new_user("reader"), await api.new_user("other")
    bad = (await api.gql(FOLLOW_TAG, {"n": "two words"}, token=reader.token))["followHashtag"]
    assert bad == {
        "changed": False,
        "hashtag": None,
        "errors": [{"field": "name", "code": "INVALID_HASHTAG"}],
    }
    anonymous = (await api.gql(FOLLOW_TAG, {"n": "tea"}))["followHashtag"]
    assert anonymous["errors"] == [{"field": None, "code": "UNAUTHENTICATED"}]
    query = (
        "query($u: String!) { user(username: $u) { followedHashtags(first: 5) { edges { node { name } } } } }"
    )
    body = (await api.post(query, {"u": reader.username}, token=other.token)).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_following_hashtags_is_bounded(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.hashtags.follows.MAX_FOLLOWED_HASHTAGS", 3)
    reader = await api.new_user("reader")
    for name in ("a1", "a2", "a3"):
        assert (await api.gql(FOLLOW_TAG, {"n": name}, token=reader.token))["followHashtag"]["changed"]
    refused = (await api.gql(FOLLOW_TAG, {"n": "a4"}, token=reader.token))["followHashtag"]
    assert refused["errors"] == [{"field": "name", "code": "TOO_MANY_FOLLOWED_HASHTAGS"}]


async def post_as(api: Api, users: list[TestUser], caption: str) -> None:
    for user in users:
        await create_post(api, user, caption)


async def test_trending_ranks_tags_by_distinct_authors(api: Api, run_jobs: RunJobs) -> None:
    crowd = [await api.new_user("poster") for _ in range(4)]
    await post_as(api, crowd[:3], "out and about #Market")
    await post_as(api, crowd[:2], "#garden")
    for n in range(5):  # one person posting a tag many times is still one person
        await create_post(api, crowd[3], f"again {n} #me")
    await run_jobs()
    data = await api.gql(TRENDING, {"first": 10})
    ranked: list[dict[str, Any]] = data["trendingHashtags"]["edges"]
    assert [(edge["node"]["name"], edge["authorCount"]) for edge in ranked] == [
        ("market", 3),
        ("garden", 2),
        ("me", 1),
    ]
    assert [
        e["node"]["name"] for e in (await api.gql(TRENDING, {"first": 1}))["trendingHashtags"]["edges"]
    ] == ["market"]
    body = (await api.post(TRENDING, {"first": 0})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_trending_forgets_uses_older_than_a_day(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    crowd = [await api.new_user("poster") for _ in range(3)]
    await post_as(api, crowd, "#yesterday")
    await post_as(api, crowd[:1], "#today")
    await run_jobs()
    trending = services.hashtags.trending
    # Age the uses of #yesterday past the window, as if a day had passed
    redis = services.stores.redis
    authors = await redis.zrange(tag_authors_key("yesterday"), 0, -1)
    await redis.zadd(tag_authors_key("yesterday"), dict.fromkeys(authors, 1.0))
    top = await trending.top(5)
    assert [(t.tag, t.author_count) for t in top] == [("today", 1)]
    # The decayed tag was settled: its stored bound is gone, not just hidden
    assert await redis.zscore(TAGS_KEY, "yesterday") is None
