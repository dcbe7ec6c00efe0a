"""The RANKED home timeline over real HTTP: reasons and inputs, diversity, famous authors, stable
paging while posts and likes arrive, the seam to the chronological tail, and snapshot expiry.

Test settings: famous at 8 followers, feed cap 20, at most 30 candidates per ranking.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from resolvers.cursors import decode_ranked_cursor
from services.accounts.users import user_key
from services.ranking.positions import SnapshotPosition
from services.ranking.reasons import CHRONOLOGICAL
from services.ranking.snapshots import SLOTS, snapshot_key
from services.timeline.user_classes import FAMOUS
from tests.helpers import LIKE, UNLIKE, Api, TestUser, create_post, follow
from tests.live_client import LiveClient
from tests.test_dataloaders import RoundTrips
from tests.timelines import feed_post_ids, raw, scroll, truth

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aperture.settings import Settings
    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

RANKED = """query($first: Int!, $after: String) { viewer {
  homeTimeline(first: $first, after: $after, order: RANKED) {
    edges { cursor reason node { id author { username } }
      ranking { score ageHours recency likesGiven commentsGiven profileVisits affinity
                recentLikes recentComments velocity shownBefore } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
} } }"""
LATEST = """query($first: Int!, $after: String) { viewer { homeTimeline(first: $first, after: $after) {
  edges { cursor reason ranking { score } node { id } } pageInfo { hasNextPage endCursor } } } }"""
COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"
PROFILE = "query($u: String!) { user(username: $u) { id } }"


async def ranked_page(api: Api, user: TestUser, first: int, after: str | None = None) -> dict[str, Any]:
    data = await api.gql(RANKED, {"first": first, "after": after}, token=user.token)
    page: dict[str, Any] = data["viewer"]["homeTimeline"]
    return page


async def ranked_error(api: Api, user: TestUser, first: int, after: str | None, query: str = RANKED) -> str:
    errors = await api.gql_errors(query, {"first": first, "after": after}, token=user.token)
    code: str = errors[0]["extensions"]["code"]
    return code


async def reader_of_one_author(api: Api, run_jobs: RunJobs, posts: int) -> tuple[TestUser, TestUser]:
    """A reader following an author who has written `posts` posts."""
    reader = await api.new_user("reader")
    author = await api.new_user("author")
    await follow(api, reader, author)
    for i in range(posts):
        await create_post(api, author, f"post {i}")
    await run_jobs()
    return reader, author


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


def assert_diverse(authors: list[str], span: int = 10, per_author: int = 2) -> None:
    for start in range(max(1, len(authors) - span + 1)):
        window = Counter(authors[start : start + span])
        assert max(window.values()) <= per_author, (start, authors)


async def test_a_viewer_with_no_signals_gets_the_newest_first_with_reasons(
    api: Api, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    lonely = await api.new_user("lonely")
    authors = [await api.new_user("author") for _ in range(3)]
    for author in authors:
        await follow(api, reader, author)
    await ranked_page(api, reader, 5)  # the reader becomes active: posts are pushed from now on
    posts = [await create_post(api, authors[i % 3], f"post {i}") for i in range(6)]
    own = await create_post(api, reader, "mine")
    await run_jobs()

    page = await ranked_page(api, reader, 10)
    assert ids(page) == [own, *reversed(posts)], "nothing to go on: newest first"
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["edges"][0]["reason"] == "Your post"
    for edge in page["edges"][1:]:
        assert edge["reason"] == f"New from @{edge['node']['author']['username']}"
        inputs = edge["ranking"]
        assert inputs["affinity"] == inputs["velocity"] == inputs["likesGiven"] == 0
        assert 0.99 < inputs["recency"] <= 1
        assert inputs["shownBefore"] is False
    # Someone who follows nobody gets an empty page, not an error
    empty = await ranked_page(api, lonely, 10)
    assert empty == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


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


async def test_engagement_moves_an_author_up_and_says_why(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    liked, commented, visited, quiet = [await api.new_user(name) for name in ("mina", "cho", "pia", "quiet")]
    fans = [await api.new_user("fan") for _ in range(3)]
    for author in (liked, commented, visited, quiet):
        await follow(api, reader, author)
    await ranked_page(api, reader, 1)
    older = {
        name: await create_post(api, author, "older")
        for name, author in (("mina", liked), ("cho", commented), ("pia", visited))
    }
    for _ in range(3):
        await api.gql(LIKE, {"p": older["mina"]}, token=reader.token)  # the second and third change nothing
    for post in [await create_post(api, liked, f"more {i}") for i in range(2)]:
        await api.gql(LIKE, {"p": post}, token=reader.token)
    await api.gql(COMMENT, {"p": older["cho"], "t": "nice"}, token=reader.token)
    for _ in range(5):  # one visit counts per ten minutes, however often the profile is read
        await api.gql(PROFILE, {"u": visited.username}, token=reader.token)
    popular = await create_post(api, quiet, "everyone likes this")
    for fan in fans:
        await api.gql(LIKE, {"p": popular}, token=fan.token)
        await api.gql(COMMENT, {"p": popular, "t": "wow"}, token=fan.token)
    newest = await create_post(api, quiet, "the newest")
    await run_jobs()

    page = await ranked_page(api, reader, 20)
    edges = {edge["node"]["id"]: edge for edge in page["edges"]}
    assert edges[older["mina"]]["reason"] == f"You often like posts by @{liked.username}"
    assert 2.99 < edges[older["mina"]]["ranking"]["likesGiven"] <= 3
    assert edges[older["cho"]]["reason"] == f"You often comment on posts by @{commented.username}"
    assert 0.99 < edges[older["cho"]]["ranking"]["commentsGiven"] <= 1
    pia = edges[older["pia"]]["ranking"]
    assert 0.99 < pia["profileVisits"] <= 1, "repeated reads of a profile are one visit"
    assert edges[older["pia"]]["reason"] == f"New from @{visited.username}", "one visit is not yet 'often'"
    assert edges[popular]["reason"] == "Popular right now"
    assert 2.99 < edges[popular]["ranking"]["recentLikes"] <= 3
    assert 2.99 < edges[popular]["ranking"]["recentComments"] <= 3
    assert edges[newest]["reason"] == f"New from @{quiet.username}"

    def score(post: str) -> float:
        value: float = edges[post]["ranking"]["score"]
        return value

    assert score(older["mina"]) > score(newest), "affinity outweighs a few minutes of age"
    assert score(popular) > score(newest), "so does engagement velocity"
    scores = [edge["ranking"]["score"] for edge in page["edges"]]
    assert scores[0] == max(scores)

    # An unlike takes its like back; the ranking already shown does not change
    await api.gql(UNLIKE, {"p": older["mina"]}, token=reader.token)
    again = {edge["node"]["id"]: edge for edge in (await ranked_page(api, reader, 20))["edges"]}
    assert 1.99 < again[older["mina"]]["ranking"]["likesGiven"] <= 2
    # Liking one's own post is no signal of taste, but it is engagement with the post
    own = await create_post(api, reader, "mine")
    await api.gql(LIKE, {"p": own}, token=reader.token)
    affinities, velocities = await services.signals.read(
        raw(reader.id), [raw(reader.id)], [raw(own)], time.time()
    )
    assert affinities[raw(reader.id)].likes == 0
    assert 0.99 < velocities[raw(own)].likes <= 1


async def test_a_famous_authors_posts_are_ranked_together_with_pushed_ones(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    star = await api.new_user("star")
    fans = [await api.new_user("fan") for _ in range(8)]
    regulars = [await api.new_user("regular") for _ in range(4)]
    for fan in fans:
        await follow(api, fan, star)
        await ranked_page(api, fan, 1)
    reader = fans[0]
    for regular in regulars:
        await follow(api, reader, regular)
    await run_jobs()  # follower counts flushed: the star is promoted
    assert await services.stores.redis.sismember(FAMOUS, str(raw(star.id)))  # type: ignore[misc]
    star_posts = [await create_post(api, star, f"star {i}") for i in range(4)]
    regular_posts = [await create_post(api, regulars[i % 4], f"regular {i}") for i in range(8)]
    for post in star_posts[:3]:
        await api.gql(LIKE, {"p": post}, token=reader.token)
    await run_jobs()
    assert not await feed_post_ids(services, reader) & {raw(p) for p in star_posts}, "pulled, not pushed"
    assert {raw(p) for p in regular_posts} <= await feed_post_ids(services, reader)

    page = await ranked_page(api, reader, 20)
    order = ids(page)
    assert sorted(order) == sorted(star_posts + regular_posts)
    authors = [edge["node"]["author"]["username"] for edge in page["edges"]]
    # The liked famous author leads, older posts and all, then the rule lets the others in
    assert authors[:2] == [star.username] * 2
    assert page["edges"][0]["reason"] == f"You often like posts by @{star.username}"
    assert authors[10:] == [star.username] * 2, "back as soon as the rule allows"
    assert_diverse(authors)


async def test_no_author_takes_more_than_two_of_any_ten_places(api: Api, run_jobs: RunJobs) -> None:
    reader = await api.new_user("reader")
    favourite = await api.new_user("favourite")
    others = [await api.new_user("other") for _ in range(4)]
    for author in [favourite, *others]:
        await follow(api, reader, author)
    await ranked_page(api, reader, 1)
    for i in range(3):
        for author in others:
            await create_post(api, author, f"other {i}")
    loved = [await create_post(api, favourite, f"loved {i}") for i in range(4)]
    for post in loved:
        await api.gql(LIKE, {"p": post}, token=reader.token)
    await run_jobs()
    page = await ranked_page(api, reader, 16)
    authors = [edge["node"]["author"]["username"] for edge in page["edges"]]
    assert len(authors) == 16
    assert authors[:2] == [favourite.username] * 2, "the best two first"
    assert authors.count(favourite.username) == 4
    assert_diverse(authors)
    scores = [edge["ranking"]["score"] for edge in page["edges"]]
    assert scores != sorted(scores, reverse=True), "the favourite's other posts were held back for others"


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


async def test_posts_shown_in_an_earlier_ranked_session_are_pushed_down(api: Api, run_jobs: RunJobs) -> None:
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(3)]
    for author in authors:
        await follow(api, reader, author)
    await ranked_page(api, reader, 1)
    posts = [await create_post(api, authors[i % 3], f"post {i}") for i in range(9)]
    await run_jobs()
    shown = ids(await ranked_page(api, reader, 3))
    later = await ranked_page(api, reader, 9)
    assert sorted(ids(later)) == sorted(posts)
    assert set(ids(later)[6:]) == set(shown), "seen posts come after every unseen one"
    for edge in later["edges"][6:]:
        assert (edge["reason"], edge["ranking"]["shownBefore"]) == ("Shown to you before", True)
    assert all(edge["ranking"]["shownBefore"] is False for edge in later["edges"][:6])


async def test_new_posts_arrive_live_while_the_ranked_pages_stay_put(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    reader, author = await reader_of_one_author(api, run_jobs, 4)
    first = await ranked_page(api, reader, 2)
    client = await LiveClient.connect(server_url, reader.token)
    try:
        assert await client.acknowledged()
        await client.subscribe("subscription { homeTimelineUpdates { type post { id } } }")
        await asyncio.sleep(0.2)  # the stream is listening
        fresh = await create_post(api, author, "fresh")
        await run_jobs()
        update = (await client.next_data())["homeTimelineUpdates"]
        assert update == {"type": "POST_ADDED", "post": {"id": fresh}}
    finally:
        await client.close()
    rest = await ranked_page(api, reader, 10, first["pageInfo"]["endCursor"])
    assert fresh not in ids(first) + ids(rest), "the ranking being paged does not change"
    assert len(ids(first) + ids(rest)) == 4
    assert fresh in ids(await ranked_page(api, reader, 10)), "a new ranking has it"


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
