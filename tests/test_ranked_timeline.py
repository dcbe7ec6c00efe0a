"""The RANKED home timeline over real HTTP: reasons and scoring inputs, a viewer with no
signals, engagement signals, famous authors ranked with pushed ones, diversity, posts shown
before, and live delivery. Paging, the seam and expiry: tests/test_ranked_paging.py.

Test settings: famous at 8 followers, feed cap 20, at most 30 candidates per ranking.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING

from services.timeline.user_classes import FAMOUS
from tests.helpers import LIKE, UNLIKE, Api, create_post, follow
from tests.live_client import LiveClient
from tests.ranked import ids, ranked_page, reader_of_one_author
from tests.timelines import feed_post_ids, raw

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"


PROFILE = "query($u: String!) { user(username: $u) { id } }"


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
