"""Paging the RANKED home timeline over real HTTP: no post repeated or skipped across ten
pages while posts and likes arrive, the seam to the chronological rest, snapshot expiry and
every bad cursor's code, and a fixed number of round trips per page.

Test settings: feed cap 20, at most 30 candidates per ranking.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from resolvers.cursors import decode_ranked_cursor
from services.accounts.users import user_key
from services.ranking.positions import SnapshotPosition
from services.ranking.reasons import CHRONOLOGICAL
from services.ranking.snapshots import SLOTS, snapshot_key
from tests.helpers import LIKE, Api, create_post, follow
from tests.ranked import ids, ranked_error, ranked_page, reader_of_one_author
from tests.test_dataloaders import RoundTrips
from tests.timelines import raw, scroll, truth

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aperture.settings import Settings
    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

LATEST = """query($first: Int!, $after: String) { viewer { homeTimeline(first: $first, after: $after) {
  edges { cursor reason ranking { score } node { id } } pageInfo { hasNextPage endCursor } } } }"""


async def test_latest_edges_have_no_reason_and_reject_ranked_cursors(api: Api, run_jobs: RunJobs) -> None:
    reader, _author = await reader_of_one_author(api, run_jobs, 4)
    latest = (await api.gql(LATEST, {"first": 2}, token=reader.token))["viewer"]["homeTimeline"]
    assert [(edge["reason"], edge["ranking"]) for edge in latest["edges"]] == [(None, None)] * 2
    ranked = await ranked_page(api, reader, 2)
    assert await ranked_error(api, reader, 2, ranked["pageInfo"]["endCursor"], LATEST) == "INVALID_CURSOR"
    assert await ranked_error(api, reader, 2, latest["pageInfo"]["endCursor"]) == "INVALID_CURSOR"
    for garbage in ("", "not a cursor", "cjE6czEuOS4x", "x" * 65, "cjE6dDA"):
        assert await ranked_error(api, reader, 2, garbage) == "INVALID_CURSOR", garbage
    assert await ranked_error(api, reader, 0, None) == "INVALID_PAGE_SIZE"
    other = await api.new_user("other")
    assert await ranked_error(api, other, 2, ranked["pageInfo"]["endCursor"]) == "SNAPSHOT_EXPIRED", (
        "another viewer's ranking is not theirs to page"
    )
    forbidden = await api.gql_errors(
        "query($u: String!) { user(username: $u) { homeTimeline(first: 2, order: RANKED) { edges { cursor } } } }",
        {"u": reader.username},
        token=other.token,
    )
    assert forbidden[0]["extensions"]["code"] == "FORBIDDEN"


async def test_ten_pages_while_posts_and_likes_arrive_repeat_and_skip_nothing(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    liker = await api.new_user("liker")
    authors = [await api.new_user("author") for _ in range(5)]
    for author in authors:
        await follow(api, reader, author)
    await ranked_page(api, reader, 1)
    posts = [await create_post(api, authors[i % 5], f"post {i}") for i in range(40)]
    for post in posts[::7]:
        await api.gql(LIKE, {"p": post}, token=reader.token)
    await run_jobs()
    expected = await truth(services, reader)
    assert len(expected) == 40

    seen: list[str] = []
    reasons: list[str] = []
    after = None
    for page_number in range(10):
        page = await ranked_page(api, reader, 4, after)
        assert (page["pageInfo"]["hasPreviousPage"]) is (after is not None)
        seen += ids(page)
        reasons += [edge["reason"] for edge in page["edges"]]
        assert page["pageInfo"]["hasNextPage"] is (page_number < 9), page_number
        after = page["pageInfo"]["endCursor"]
        # Meanwhile: new posts, likes (the reader's too, which move their affinities) and a delete
        await create_post(api, authors[page_number % 5], f"meanwhile {page_number}")
        await api.gql(LIKE, {"p": posts[page_number * 3]}, token=liker.token)
        await api.gql(LIKE, {"p": posts[39 - page_number]}, token=reader.token)
        await run_jobs()
    assert len(seen) == len(set(seen)) == 40, "no post twice"
    assert set(seen) == set(expected), "no post skipped, none of those that arrived meanwhile"
    # Ranked: the 20 newest, which the feed (capped at 20 in tests) vouches for without MongoDB;
    # then the 20 oldest, newest first, past the seam (from MongoDB below the feed's floor)
    assert reasons[20:] == [CHRONOLOGICAL] * 20
    assert CHRONOLOGICAL not in reasons[:20]
    assert set(seen[:20]) == set(expected[:20])
    assert seen[20:] == expected[20:]
    assert seen[:20] != expected[:20], "the ranked part is a ranking, not the newest first"


async def test_a_snapshot_expires_with_a_clear_code(
    api: Api, services: Services, run_jobs: RunJobs, settings: Settings
) -> None:
    reader, _author = await reader_of_one_author(api, run_jobs, 8)
    first = await ranked_page(api, reader, 2)
    cursor = first["pageInfo"]["endCursor"]
    position = decode_ranked_cursor(cursor)
    assert isinstance(position, SnapshotPosition)
    key = snapshot_key(raw(reader.id), position.slot)
    # Reading a page keeps the ranking for the whole TTL again
    await services.stores.redis.expire(key, 5)
    second = await ranked_page(api, reader, 2, cursor)
    assert (
        settings.ranking_snapshot_ttl_s - 5
        < await services.stores.redis.ttl(key)
        <= settings.ranking_snapshot_ttl_s
    )
    # Time passes without a read: the ranking is gone, and the next page says so
    await services.stores.redis.pexpire(key, 1)
    await asyncio.sleep(0.05)
    assert await ranked_error(api, reader, 2, second["pageInfo"]["endCursor"]) == "SNAPSHOT_EXPIRED"
    # A viewer keeps their newest SLOTS rankings (tabs); an older one is replaced
    sessions = [(await ranked_page(api, reader, 2))["pageInfo"]["endCursor"] for _ in range(SLOTS + 1)]
    assert await ranked_error(api, reader, 2, sessions[0]) == "SNAPSHOT_EXPIRED"
    for cursor in sessions[1:]:
        assert len((await ranked_page(api, reader, 2, cursor))["edges"]) == 2


async def test_latest_still_scrolls_the_whole_timeline(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader, _author = await reader_of_one_author(api, run_jobs, 5)
    await ranked_page(api, reader, 5)
    assert await scroll(api, reader, 2) == await truth(services, reader)


RANKED_FULL = """query($first: Int!, $after: String) { viewer {
  homeTimeline(first: $first, after: $after, order: RANKED) {
    edges { cursor reason ranking { score } node { id caption likeCount viewerHasLiked author { username } } }
    pageInfo { endCursor }
} } }"""


async def test_a_ranked_page_costs_the_same_round_trips_whatever_its_size(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(20)]  # a post each: the feed cap, all ranked
    for author in authors:
        await follow(api, reader, author)
    await ranked_page(api, reader, 1)
    for author in authors:
        await create_post(api, author, "a post")
    await run_jobs()

    async def measure(first: int, after: str | None) -> tuple[int, int, str]:
        await services.stores.redis.delete(*[user_key(raw(author.id)) for author in authors])
        trips = RoundTrips(monkeypatch)
        services.stores.mongo_stats.reset()
        data = await api.gql(RANKED_FULL, {"first": first, "after": after}, token=reader.token)
        page = data["viewer"]["homeTimeline"]
        assert len(page["edges"]) == first
        monkeypatch.undo()
        return services.stores.mongo_stats.total, trips.count, page["pageInfo"]["endCursor"]

    await measure(1, None)  # once per visit: last seen, the feed's refresh
    mongo_first_small, redis_first_small, cursor = await measure(3, None)
    mongo_first_large, redis_first_large, _ = await measure(10, None)
    assert (mongo_first_large, redis_first_large) == (mongo_first_small, redis_first_small)
    await measure(1, cursor)  # this process loads the snapshot script into Redis once
    mongo_small, redis_small, _ = await measure(3, cursor)
    mongo_large, redis_large, _ = await measure(10, cursor)
    assert (mongo_large, redis_large) == (mongo_small, redis_small)
    # A later page: session, rate limit, viewer, one snapshot read, then the hydration LATEST
    # has (posts, authors, counts, likes, and the authors' cache refill after the test's delete)
    assert redis_large <= 9, redis_large
    assert redis_large < redis_first_large, "cheaper than ranking"
