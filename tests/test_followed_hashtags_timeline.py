"""Followed hashtags in the home timeline: pulled at read time, merged without duplicates, and
paged without gaps, past the cached windows too."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from resolvers.global_ids import to_global_id
from tests.helpers import DELETE_POST, Api, TestUser, create_post, follow
from tests.ranked import ids, ranked_page
from tests.timelines import raw, scroll, truth

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

FOLLOW_TAG = "mutation($n: String!) { followHashtag(name: $n) { changed errors { code } } }"
UNFOLLOW_TAG = "mutation($n: String!) { unfollowHashtag(name: $n) { changed errors { code } } }"


async def expected(services: Services, reader: TestUser, tags: list[str]) -> list[str]:
    """The followed accounts' posts and every visible post carrying a followed tag, newest first."""
    by_accounts = await truth(services, reader)
    tagged = (
        await services.stores.db["posts"]
        .find({"hashtags": {"$in": tags}, "status": "VISIBLE"}, {"_id": 1})
        .sort("_id", -1)
        .to_list(None)
    )
    ids = {raw(post_id) for post_id in by_accounts} | {row["_id"] for row in tagged}
    return [to_global_id("Post", post_id) for post_id in sorted(ids, reverse=True)]


async def test_posts_with_a_followed_tag_join_the_home_timeline_once_and_page_without_gaps(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    friend, stranger, other = (
        await api.new_user("friend"),
        await api.new_user("stranger"),
        await api.new_user("other"),
    )
    await follow(api, reader, friend)
    assert (await api.gql(FOLLOW_TAG, {"n": "#Birds"}, token=reader.token))["followHashtag"]["changed"]
    await api.gql(FOLLOW_TAG, {"n": "owls"}, token=reader.token)
    await scroll(api, reader, 5)  # the reader is active: the friend's posts are pushed to their feed
    both = []
    cap = services.settings.hashtag_window_cap
    for n in range(cap + 3):  # more tagged posts than a tag window holds
        await create_post(api, stranger, f"spotted {n} #birds")
        await create_post(api, friend, f"lunch {n}")
        both.append(await create_post(api, friend, f"{n} #BIRDS and #owls"))  # followed author and tags
        await create_post(api, other, f"{n} #cats")  # neither
        await create_post(api, stranger, f"dawn {n} #Owls")
    await run_jobs()
    want = await expected(services, reader, ["birds", "owls"])
    # Per round: the stranger's two tagged posts and the friend's two; not the #cats post
    assert len(want) == 4 * (cap + 3)
    for page_size in (1, 3, 7, 20):
        seen = await scroll(api, reader, page_size)
        assert len(seen) == len(set(seen)), f"duplicates at page size {page_size}"
        assert seen == want, f"gaps or order at page size {page_size}"
    # Each post by the followed author that also carries followed tags is there once
    seen = await scroll(api, reader, 10)
    assert all(seen.count(post_id) == 1 for post_id in both)


async def test_unfollowing_a_tag_or_deleting_a_post_takes_effect_at_once(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader, stranger = await api.new_user("reader"), await api.new_user("stranger")
    await api.gql(FOLLOW_TAG, {"n": "jazz"}, token=reader.token)
    first, second = (
        await create_post(api, stranger, "#jazz one"),
        await create_post(api, stranger, "#jazz two"),
    )
    await run_jobs()
    assert await scroll(api, reader, 10) == [second, first]
    await api.gql(DELETE_POST, {"id": second}, token=stranger.token)
    assert await scroll(api, reader, 10) == [first]  # before any job: read-time pull, records checked
    await api.gql(UNFOLLOW_TAG, {"n": "#JAZZ"}, token=reader.token)
    assert await scroll(api, reader, 10) == []


async def test_a_tagged_post_appears_while_the_reader_is_scrolling(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    """Pages already read stay consistent: a new post lands above the cursor, never inside it."""
    reader, stranger = await api.new_user("reader"), await api.new_user("stranger")
    await api.gql(FOLLOW_TAG, {"n": "rain"}, token=reader.token)
    older = [await create_post(api, stranger, f"#rain {n}") for n in range(6)]
    await run_jobs()
    query = """query($after: String) { viewer { homeTimeline(first: 2, after: $after) {
      edges { node { id } } pageInfo { endCursor hasNextPage } } } }"""
    page = (await api.gql(query, {"after": None}, token=reader.token))["viewer"]["homeTimeline"]
    seen = [edge["node"]["id"] for edge in page["edges"]]
    newer = await create_post(api, stranger, "#rain again")
    await run_jobs()
    after = page["pageInfo"]["endCursor"]
    while after is not None:
        page = (await api.gql(query, {"after": after}, token=reader.token))["viewer"]["homeTimeline"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
        await asyncio.sleep(0)
    assert seen == list(reversed(older))
    assert (await scroll(api, reader, 3))[0] == newer


async def test_the_ranked_order_holds_the_followed_tags_posts_once_with_no_gap_at_its_seam(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    """More tagged posts than one ranking ranks: the ranked pages and the newest-first pages
    after them are together exactly the LATEST timeline, each post once."""
    reader, friend, stranger = (
        await api.new_user("reader"),
        await api.new_user("friend"),
        await api.new_user("stranger"),
    )
    await follow(api, reader, friend)
    await api.gql(FOLLOW_TAG, {"n": "kites"}, token=reader.token)
    await scroll(api, reader, 5)
    limit = services.settings.ranking_max_candidates
    for n in range(limit // 2 + 4):
        await create_post(api, stranger, f"#kites {n}")
        await create_post(api, friend, f"friend {n}")
    await run_jobs()
    latest = await scroll(api, reader, 10)
    seen: list[str] = []
    after = None
    while True:
        page = await ranked_page(api, reader, 7, after)
        seen += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(latest)
    assert stranger.username in await _authors(api, reader)


async def _authors(api: Api, reader: TestUser) -> list[str]:
    page = await ranked_page(api, reader, 10)
    return [edge["node"]["author"]["username"] for edge in page["edges"]]
