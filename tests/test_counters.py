"""Counters are approximate in flight but exact after a flush, and never negative."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import pytest

from resolvers.global_ids import parse_global_id
from services.counters.service import POST, USER, counts_key, dirty_key
from tests.helpers import FOLLOW, LIKE, UNFOLLOW, UNLIKE, Api, create_post

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

COUNTS = """query($p: ID!, $u: String!) {
  post(id: $p) { likeCount commentCount }
  user(username: $u) { followerCount followingCount postCount }
}"""


async def test_storm_of_likes_and_follows_converges_to_the_edges(
    api: Api, services: Services, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    star = await api.new_user("star")
    post_id = await create_post(api, star, "storm target")
    fans = [await api.new_user("fan") for _ in range(12)]
    rng = random.Random(7)

    async def storm(fan_index: int) -> None:
        fan = fans[fan_index]
        for _ in range(15):
            operation = rng.choice([LIKE, UNLIKE, FOLLOW, UNFOLLOW])
            variables = {"p": post_id} if operation in (LIKE, UNLIKE) else {"u": star.id}
            await api.gql(operation, variables, token=fan.token)

    await asyncio.gather(*(storm(i) for i in range(len(fans))))
    # Simulate Redis losing a hot key mid-storm: the flush must still converge
    raw_post_id = parse_global_id(post_id)[1]
    await services.stores.redis.delete(counts_key(POST, raw_post_id))
    await run_jobs()

    db = services.stores.db
    real_likes = await db["likes"].count_documents({"post_id": raw_post_id})
    star_id = parse_global_id(star.id)[1]
    real_followers = await db["follows"].count_documents({"followee_id": star_id})
    assert 0 <= real_likes <= len(fans)
    counts = await api.gql(COUNTS, {"p": post_id, "u": star.username})
    assert counts["post"]["likeCount"] == real_likes
    assert counts["user"]["followerCount"] == real_followers
    assert counts["user"]["postCount"] == 1
    stored = await db["counters"].find_one({"_id": f"{POST}:{raw_post_id}"})
    assert stored is not None
    assert stored["likes"] == real_likes
    assert await services.counters.pending() == 0
    for fan in fans:
        fan_id = parse_global_id(fan.id)[1]
        (fan_counts,) = await services.counters.get_many(USER, [fan_id])
        assert fan_counts["following"] == await db["follows"].count_documents({"follower_id": fan_id})


async def test_drift_in_redis_is_repaired_by_the_flush(
    api: Api, services: Services, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    author = await api.new_user()
    fan = await api.new_user()
    post_id = await create_post(api, author)
    await api.gql(LIKE, {"p": post_id}, token=fan.token)
    raw = parse_global_id(post_id)[1]
    # A lost decrement or a crash between the edge write and the counter bump
    await services.stores.redis.hset(counts_key(POST, raw), "likes", "-3")  # type: ignore[misc]
    shown = (await api.gql(COUNTS, {"p": post_id, "u": author.username}))["post"]["likeCount"]
    assert shown == 0, "a count is never shown negative"
    await services.stores.redis.sadd(dirty_key(POST, raw), f"{POST}:{raw}")  # type: ignore[misc]
    await run_jobs()
    assert (await api.gql(COUNTS, {"p": post_id, "u": author.username}))["post"]["likeCount"] == 1


async def test_cold_counts_load_from_mongodb(
    api: Api, services: Services, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    author = await api.new_user()
    fans = [await api.new_user() for _ in range(3)]
    post_id = await create_post(api, author)
    for fan in fans:
        await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    await services.stores.redis.delete(counts_key(POST, parse_global_id(post_id)[1]))
    assert (await api.gql(COUNTS, {"p": post_id, "u": author.username}))["post"]["likeCount"] == 3
    # and a like on the cold key lands on top of the stored value, not on zero
    await services.stores.redis.delete(counts_key(POST, parse_global_id(post_id)[1]))
    await api.gql(LIKE, {"p": post_id}, token=author.token)
    assert (await api.gql(COUNTS, {"p": post_id, "u": author.username}))["post"]["likeCount"] == 4


async def test_a_flush_that_dies_mid_batch_loses_no_dirty_mark(
    api: Api, services: Services, run_jobs: Callable[[], Awaitable[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    author = await api.new_user()
    fan = await api.new_user()
    post_id = await create_post(api, author)
    await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    raw = parse_global_id(post_id)[1]
    await services.stores.redis.hset(counts_key(POST, raw), "likes", "7")  # type: ignore[misc] # drifted
    await services.stores.redis.sadd(dirty_key(POST, raw), f"{POST}:{raw}")  # type: ignore[misc]

    async def die(kind: str, entity_ids: list[int]) -> None:
        raise ConnectionResetError("the worker lost MongoDB mid-flush")

    with monkeypatch.context() as patched:
        patched.setattr(services.counters, "_flush_kind", die)
        with pytest.raises(ConnectionResetError):
            await services.counters.flush()
    assert await services.counters.pending() == 0, "the mark is in flight, not dirty"
    await services.counters.flush()  # the next flush takes the dead one's marks back
    assert (await api.gql(COUNTS, {"p": post_id, "u": author.username}))["post"]["likeCount"] == 1
