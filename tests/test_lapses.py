"""Readers whose activity lapsed leave the follower indexes (services/timeline/lapses.py), so
that fan-out, which no longer asks about each follower's activity, skips them; their return
puts them back.

Test settings: active window 30 days; a sweep is run with `now` past it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from services.timeline.feed_store import active_key, feed_key, lapse_key
from services.timeline.follower_index import index_key
from services.timeline.home import DAY_S
from tests.helpers import Api, TestUser, create_post, follow
from tests.timelines import feed_post_ids, raw

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import pytest

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

HOME = "{ viewer { homeTimeline(first: 20) { edges { node { id } } } } }"
PAST_THE_WINDOW_S = 31 * DAY_S


async def home_ids(api: Api, user: TestUser) -> list[str]:
    data = await api.gql(HOME, token=user.token)
    return [edge["node"]["id"] for edge in data["viewer"]["homeTimeline"]["edges"]]


async def indexed(services: Services, author: TestUser) -> set[int]:
    members = await services.stores.redis.zrange(index_key(raw(author.id)), 0, -1)
    return {int(member) for member in members} - {0}


async def lapse(services: Services, user: TestUser) -> None:
    """The active window passes without a visit: the marker expires, the feed stays."""
    await services.stores.redis.delete(active_key(raw(user.id)))


async def test_a_lapsed_reader_leaves_the_indexes_until_they_return(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    reader, keeper = await api.new_user("reader"), await api.new_user("keeper")
    authors = [await api.new_user("author") for _ in range(2)]
    for user in (reader, keeper):
        for author in authors:
            await follow(api, user, author)
        await home_ids(api, user)
    first = [await create_post(api, author, "first") for author in authors]
    await run_jobs()
    for author in authors:
        assert await indexed(services, author) == {raw(reader.id), raw(keeper.id)}

    await lapse(services, reader)
    assert await services.lapses.sweep(now=time.time() + PAST_THE_WINDOW_S) == 1
    for author in authors:
        assert await indexed(services, author) == {raw(keeper.id)}
    away = await create_post(api, authors[0], "while the reader was away")
    await run_jobs()
    assert await services.stores.redis.exists(feed_key(raw(reader.id))), "the feed is kept"
    assert raw(away) not in await feed_post_ids(services, reader), "a lapsed reader is not pushed to"
    assert raw(away) in await feed_post_ids(services, keeper)
    # The keeper was read again by the sweep (their marker is there): recorded anew, not forgotten
    until = await services.stores.redis.zscore(lapse_key(raw(keeper.id)), str(raw(keeper.id)))
    assert until is not None
    assert until > time.time() + 29 * DAY_S

    # The reader returns: a complete page, and back in the indexes for the next posts
    assert await home_ids(api, reader) == [away, *reversed(first)]
    for author in authors:
        assert await indexed(services, author) == {raw(reader.id), raw(keeper.id)}
    back = await create_post(api, authors[1], "after the return")
    await run_jobs()
    assert raw(back) in await feed_post_ids(services, reader)
    assert await services.lapses.sweep() == 0, "nobody's activity has lapsed yet"


async def test_a_reader_returning_while_the_sweep_runs_stays_in_the_indexes(
    api: Api, services: Services, run_jobs: RunJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, author = await api.new_user("reader"), await api.new_user("author")
    await follow(api, reader, author)
    await home_ids(api, reader)
    await create_post(api, author, "first")
    await run_jobs()
    await lapse(services, reader)
    # The reader comes back after the sweep found their marker gone and before it takes them
    # out of the indexes (the sweep reads their followees in between)
    followee_ids = services.follows.followee_ids
    returned = False

    async def followees_then_return(user_id: int, limit: int) -> list[int]:
        nonlocal returned
        followees = await followee_ids(user_id, limit)
        if not returned:
            returned = True
            await home_ids(api, reader)
        return followees

    monkeypatch.setattr(services.follows, "followee_ids", followees_then_return)
    assert await services.lapses.sweep(now=time.time() + PAST_THE_WINDOW_S) == 0
    assert returned
    assert await indexed(services, author) == {raw(reader.id)}
    post = await create_post(api, author, "second")
    await run_jobs()
    assert raw(post) in await feed_post_ids(services, reader)


async def test_an_index_is_built_from_the_active_followers(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    active, passive, never = [await api.new_user(name) for name in ("active", "passive", "never")]
    for user in (active, passive, never):
        await follow(api, user, author)
    await home_ids(api, active)
    await home_ids(api, passive)
    await run_jobs()  # the follows' backfills, before the post they would merge
    await lapse(services, passive)
    post = await create_post(api, author, "the first post builds the index")
    await run_jobs()
    assert await indexed(services, author) == {raw(active.id)}
    assert raw(post) in await feed_post_ids(services, active)
    assert raw(post) not in await feed_post_ids(services, passive)
    assert not await services.stores.redis.exists(feed_key(raw(never.id)))
