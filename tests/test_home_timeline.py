"""The home timeline: hybrid fan-out, user classes, follow/unfollow/delete, and paging past the cap.

Test settings: feed cap 20, recent cap 10, fan-out batches of 4, famous at 8 followers.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import orjson

from services.live.channels import ROUTED_CHANNEL
from services.timeline.feed_store import active_key, checks_cap, feed_key
from services.timeline.home import DAY_S
from services.timeline.job_names import TimelineJob
from services.timeline.user_classes import FAMOUS
from tests.helpers import FOLLOW, UNFOLLOW, Api, TestUser, create_post, follow
from tests.timelines import feed_post_ids, raw, scroll, truth

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

HOME = """query($first: Int!, $after: String) { viewer { homeTimeline(first: $first, after: $after) {
  edges { cursor node { id caption author { username } } }
  pageInfo { hasNextPage endCursor }
} } }"""
CLASS = "{ viewer { settings { userClass } } }"
DELETE = "mutation($id: ID!) { deletePost(id: $id) { errors { code } } }"


async def home_ids(api: Api, user: TestUser, first: int = 50, after: str | None = None) -> list[str]:
    data = await api.gql(HOME, {"first": first, "after": after}, token=user.token)
    return [edge["node"]["id"] for edge in data["viewer"]["homeTimeline"]["edges"]]


async def _active_reader_of(api: Api, run_jobs: RunJobs, posts: int) -> tuple[TestUser, TestUser, list[str]]:
    """A reader whose home timeline is active, following an author who then posts `posts` times
    (p0, p1, ...), pushed: the reader, the author and the post ids, oldest first."""
    reader = await api.new_user("reader")
    author = await api.new_user("author")
    await follow(api, reader, author)
    await home_ids(api, reader)
    post_ids = [await create_post(api, author, f"p{i}") for i in range(posts)]
    await run_jobs()
    return reader, author, post_ids


async def test_posts_are_pushed_to_active_followers(api: Api, services: Services, run_jobs: RunJobs) -> None:
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(2)]
    for author in authors:
        await follow(api, reader, author)
    assert await home_ids(api, reader) == []  # first read: the reader becomes active
    rebuilds = services.home.rebuilds
    posts = [await create_post(api, authors[i % 2], f"post {i}") for i in range(4)]
    own = await create_post(api, reader, "my own post")
    await run_jobs()
    assert await feed_post_ids(services, reader) == {raw(p) for p in [*posts, own]}
    assert await home_ids(api, reader) == [own, *reversed(posts)]
    assert services.home.rebuilds == rebuilds, "served from the pushed feed, not rebuilt"
    assert (await api.gql(CLASS, token=reader.token))["viewer"]["settings"]["userClass"] == "ACTIVE"
    ttls = await services.home.feed_state(raw(reader.id))
    assert 30 * DAY_S - 120 < ttls["active"] <= 30 * DAY_S
    assert 90 * DAY_S - 120 < ttls["feed"] <= 90 * DAY_S


async def test_fan_out_runs_in_batches_and_is_idempotent(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    readers = [await api.new_user("reader") for _ in range(7)]  # below the famous threshold of 8
    for reader in readers:
        await follow(api, reader, author)
        await home_ids(api, reader)
    post = await create_post(api, author, "to everyone")
    jobs = await run_jobs()
    assert jobs >= 3, "7 followers in batches of 4: the root job and two batch jobs, at least"
    for reader in readers:
        assert raw(post) in await feed_post_ids(services, reader)
    # A duplicate delivery of the whole fan-out rewrites the same entries
    await services.queue.enqueue(TimelineJob.FANOUT_POST, raw(post), 0.0)
    await run_jobs()
    for reader in readers:
        members = await services.stores.redis.zrange(feed_key(raw(reader.id)), 0, -1)
        assert sum(1 for m in members if m.startswith(f"{raw(post)}:")) == 1
    assert await services.fanout.pending(raw(post)) == 0


async def famous_star(api: Api, services: Services, run_jobs: RunJobs) -> tuple[TestUser, list[TestUser]]:
    """An author promoted to famous by 8 active followers (the test threshold)."""
    star = await api.new_user("star")
    fans = [await api.new_user("fan") for _ in range(8)]
    for fan in fans:
        await follow(api, fan, star)
        await home_ids(api, fan)
    await run_jobs()
    assert await services.stores.redis.sismember(FAMOUS, str(raw(star.id)))  # type: ignore[misc]
    return star, fans


async def test_feeds_are_capped_and_paging_past_the_cap_reads_the_stores(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(3)]
    for author in authors:
        await follow(api, reader, author)
    await home_ids(api, reader)
    # A push checks the cap of one feed in eight (feed_store.checks_cap): post past the cap
    # until this feed's turn has come at least once, then a few more
    posts: list[str] = []
    last_turn = 0
    while len(posts) < 33 or not last_turn:
        posts.append(await create_post(api, authors[len(posts) % 3], f"post {len(posts)}"))
        await run_jobs()  # each fan-out before the next, so the turns come in this order
        if len(posts) > 20 and checks_cap(raw(reader.id), raw(posts[-1])):  # past the cap (20 in tests)
            last_turn = len(posts)
        assert len(posts) < 300, "the feed's turn never came"
    # Cut back to the cap on its last turn, one more entry for each push since
    assert len(await feed_post_ids(services, reader)) == 20 + len(posts) - last_turn
    fallbacks = services.home.store_fallbacks
    everything = await scroll(api, reader, 7, HOME)
    assert everything == await truth(services, reader)
    assert len(everything) == len(posts)
    assert services.home.store_fallbacks > fallbacks, "the pages past the cap came from MongoDB"


async def test_famous_authors_are_merged_at_read_time(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    star = await api.new_user("star")
    fans = [await api.new_user("fan") for _ in range(8)]
    regular = await api.new_user("regular")
    for fan in fans:
        await follow(api, fan, star)
        await home_ids(api, fan)
    await follow(api, fans[0], regular)
    await run_jobs()  # the follower count is flushed, and the star is promoted
    assert await services.stores.redis.sismember(FAMOUS, str(raw(star.id)))  # type: ignore[misc]
    star_posts = []
    for i in range(12):
        star_posts.append(await create_post(api, star, f"star {i}"))
        if i % 3 == 0:
            await create_post(api, regular, f"regular {i}")
    await run_jobs()
    pushed = await feed_post_ids(services, fans[0])
    assert not pushed & {raw(p) for p in star_posts}, "famous posts are never pushed"
    # Paging through the merge (star's recent cache holds 10, so the end comes from MongoDB)
    merged = await scroll(api, fans[0], 4, HOME)
    assert merged == await truth(services, fans[0])
    assert set(star_posts) <= set(merged)
    as_star = await api.gql(CLASS, token=star.token)
    assert as_star["viewer"]["settings"]["userClass"] == "FAMOUS"


async def test_famous_demotion_pushes_again(api: Api, services: Services, run_jobs: RunJobs) -> None:
    star, fans = await famous_star(api, services, run_jobs)
    early = await create_post(api, star, "while famous")
    for fan in fans[:2]:  # 6 followers left: below 90% of the threshold
        await api.gql(UNFOLLOW, {"u": star.id}, token=fan.token)
    await run_jobs()
    assert not await services.stores.redis.sismember(FAMOUS, str(raw(star.id)))  # type: ignore[misc]
    late = await create_post(api, star, "after demotion")
    await run_jobs()
    for fan in fans[2:]:
        assert {raw(early), raw(late)} <= await feed_post_ids(services, fan)
        assert (await home_ids(api, fan))[:2] == [late, early]


async def test_passive_users_get_a_complete_first_page_on_return(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(4)]
    for author in authors:
        await follow(api, reader, author)
    await create_post(api, authors[0], "before")
    await run_jobs()
    await home_ids(api, reader)
    # 30 days pass without a visit: the active marker expires, the feed cache stays, and the
    # lapse sweep takes the reader out of the follower indexes
    await services.stores.redis.delete(active_key(raw(reader.id)))
    assert await services.lapses.sweep(now=time.time() + 31 * DAY_S) == 1
    assert (await api.gql(CLASS, token=reader.token))["viewer"]["settings"]["userClass"] == "PASSIVE"
    while_away = [await create_post(api, authors[i % 4], f"away {i}") for i in range(25)]
    await run_jobs()
    assert not await feed_post_ids(services, reader) & {raw(p) for p in while_away}, (
        "passive users are not pushed to"
    )
    rebuilds = services.home.rebuilds
    first_page = await home_ids(api, reader, first=10)
    assert first_page == (await truth(services, reader))[:10], "the very first page is complete"
    assert services.home.rebuilds == rebuilds + 1
    assert len(await feed_post_ids(services, reader)) == 20, "the cache is rebuilt for later pages"
    assert await scroll(api, reader, 6, HOME) == await truth(services, reader)
    assert (await api.gql(CLASS, token=reader.token))["viewer"]["settings"]["userClass"] == "ACTIVE"


async def test_inactive_users_cost_nothing_and_come_back_whole(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    author = await api.new_user("author")
    await follow(api, reader, author)
    await home_ids(api, reader)
    # Long gone: both the marker and the feed cache have expired
    await services.stores.redis.delete(active_key(raw(reader.id)), feed_key(raw(reader.id)))
    assert (await api.gql(CLASS, token=reader.token))["viewer"]["settings"]["userClass"] == "INACTIVE"
    posts = [await create_post(api, author, f"p{i}") for i in range(3)]
    await run_jobs()
    assert not await services.stores.redis.exists(feed_key(raw(reader.id))), "no write for an inactive reader"
    assert await home_ids(api, reader) == list(reversed(posts))


async def test_live_followers_get_an_event(api: Api, services: Services, run_jobs: RunJobs) -> None:
    author = await api.new_user("author")
    watcher = await api.new_user("watcher")
    await follow(api, watcher, author)
    await home_ids(api, watcher)
    await services.presence.mark_live(raw(watcher.id), "socket-1")
    pubsub = services.stores.redis.pubsub()
    await pubsub.subscribe(ROUTED_CHANNEL)
    try:
        before = time.time()
        post = await create_post(api, author, "live!")
        await run_jobs()
        message = None
        for _ in range(50):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message:
                break
        assert message is not None
        event = orjson.loads(message["data"])
        visible_at = event.pop("visibleAt")
        # One message for the batch, naming its live readers (services/live/channels.py)
        assert event == {
            "type": "post",
            "postId": raw(post),
            "authorId": raw(author.id),
            "users": [raw(watcher.id)],
        }
        assert before <= visible_at <= time.time(), "when the post became visible, for delivery latency"
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    assert (await api.gql(CLASS, token=watcher.token))["viewer"]["settings"]["userClass"] == "LIVE"
    await services.presence.clear(raw(watcher.id), "socket-1")
    assert (await api.gql(CLASS, token=watcher.token))["viewer"]["settings"]["userClass"] == "ACTIVE"


async def test_follow_backfills_and_unfollow_removes(api: Api, services: Services, run_jobs: RunJobs) -> None:
    reader = await api.new_user("reader")
    author = await api.new_user("author")
    other = await api.new_user("other")
    await follow(api, reader, other)
    kept = await create_post(api, other, "kept")
    await home_ids(api, reader)
    older = [await create_post(api, author, f"older {i}") for i in range(3)]
    await run_jobs()
    await follow(api, reader, author)
    await run_jobs()
    assert await home_ids(api, reader) == [*reversed(older), kept]
    await api.gql(UNFOLLOW, {"u": author.id}, token=reader.token)
    await run_jobs()
    assert await home_ids(api, reader) == [kept]
    assert await feed_post_ids(services, reader) == {raw(kept)}
    # Follow again before the delayed sweep: the posts come back and stay
    await api.gql(FOLLOW, {"u": author.id}, token=reader.token)
    await run_jobs()
    assert await home_ids(api, reader) == [*reversed(older), kept]


async def test_following_an_author_with_more_posts_than_the_backfill_shows_them_all(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    author = await api.new_user("author")
    other = await api.new_user("other")
    await follow(api, reader, other)
    await create_post(api, other, "before")
    await home_ids(api, reader)  # the reader's feed exists, complete down to the start
    for i in range(15):  # more than the recent cache (10), so the backfill is partial
        await create_post(api, author, f"author {i}")
    await create_post(api, other, "after")
    await run_jobs()
    await follow(api, reader, author)
    await run_jobs()
    everything = await scroll(api, reader, 6, HOME)
    assert everything == await truth(services, reader)
    assert len(everything) == 17


async def test_demotion_with_more_posts_than_the_backfill_keeps_timelines_whole(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    star, fans = await famous_star(api, services, run_jobs)
    for i in range(14):
        await create_post(api, star, f"while famous {i}")
    for fan in fans[:2]:
        await api.gql(UNFOLLOW, {"u": star.id}, token=fan.token)
    await run_jobs()
    assert not await services.stores.redis.sismember(FAMOUS, str(raw(star.id)))  # type: ignore[misc]
    for fan in fans[2:4]:
        everything = await scroll(api, fan, 5, HOME)
        assert everything == await truth(services, fan)
        assert len(everything) == 14


async def test_a_deleted_post_is_never_served_even_before_its_removal_runs(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader, author, posts = await _active_reader_of(api, run_jobs, 3)
    await api.gql(DELETE, {"id": posts[1]}, token=author.token)
    # The removal job has not run: the id is still in the feed, but it is never returned
    assert raw(posts[1]) in await feed_post_ids(services, reader)
    assert await home_ids(api, reader) == [posts[2], posts[0]]
    assert await scroll(api, reader, 1, HOME) == [posts[2], posts[0]]
    await run_jobs()
    assert raw(posts[1]) not in await feed_post_ids(services, reader)


async def test_pages_are_gap_free_while_new_posts_arrive(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader, author, originals = await _active_reader_of(api, run_jobs, 9)
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(HOME, {"first": 2, "after": after}, token=reader.token)
        timeline = data["viewer"]["homeTimeline"]
        seen += [edge["node"]["id"] for edge in timeline["edges"]]
        await create_post(api, author, "newcomer")
        await run_jobs()
        if not timeline["pageInfo"]["hasNextPage"]:
            break
        after = timeline["pageInfo"]["endCursor"]
    assert seen == list(reversed(originals))


async def test_home_timeline_is_private(api: Api) -> None:
    owner = await api.new_user()
    other = await api.new_user()
    query = "query($u: String!) { user(username: $u) { homeTimeline(first: 5) { edges { cursor } } } }"
    body = (await api.post(query, {"u": owner.username}, token=other.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.post(HOME, {"first": 5})).json()["data"] == {"viewer": None}


async def test_concurrent_reads_during_a_rebuild_agree(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(3)]
    for author in authors:
        await follow(api, reader, author)
    for i in range(12):
        await create_post(api, authors[i % 3], f"p{i}")
    await run_jobs()
    pages: list[Any] = await asyncio.gather(*(home_ids(api, reader, first=8) for _ in range(6)))
    expected = (await truth(services, reader))[:8]
    assert all(page == expected for page in pages)


async def test_a_page_hydrates_one_post_past_itself_and_more_only_for_hidden_ones(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader, author, posts = await _active_reader_of(api, run_jobs, 8)
    await home_ids(api, reader)  # warm: every record cached

    # Three posts and one more, to know a next page exists: four records read, not the slack too
    hits = services.posts.cache_hits
    data = await api.gql(HOME, {"first": 3, "after": None}, token=reader.token)
    assert services.posts.cache_hits - hits == 4
    assert [edge["node"]["id"] for edge in data["viewer"]["homeTimeline"]["edges"]] == posts[:4:-1]
    assert data["viewer"]["homeTimeline"]["pageInfo"]["hasNextPage"]

    # Deleted posts among those (their removal not run yet): more are read, and pages stay whole
    for post_id in (posts[7], posts[5], posts[0]):
        await api.gql(DELETE, {"id": post_id}, token=author.token)
    assert await home_ids(api, reader, first=3) == [posts[6], posts[4], posts[3]]
    assert await scroll(api, reader, 3, HOME) == [posts[6], posts[4], posts[3], posts[2], posts[1]]
    # The last page ends exactly: the one post past it is gone, so there is no next page
    last = await api.gql(HOME, {"first": 2, "after": None}, token=reader.token)
    end = last["viewer"]["homeTimeline"]["pageInfo"]["endCursor"]
    tail = await api.gql(HOME, {"first": 3, "after": end}, token=reader.token)
    timeline = tail["viewer"]["homeTimeline"]
    assert [edge["node"]["id"] for edge in timeline["edges"]] == [posts[3], posts[2], posts[1]]
    assert not timeline["pageInfo"]["hasNextPage"]
