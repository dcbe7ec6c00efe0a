"""The range push (feed_scripts.PUSH_RANGE) against real Redis: whatever mix of followers a
chunk holds, each gets exactly what a check of its own keys would give it.

The script asks "which of these are active" and "which of these are live" of a whole chunk
at once and narrows mixed runs down by halves, so the mixes below are chosen to reach every
branch: runs where none, all or some keys exist, single keys, and chunks split across calls.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest

from services.timeline.feed_store import (
    SENTINEL,
    FeedStore,
    active_key,
    feed_floor_key,
    feed_key,
    feed_member,
)
from services.timeline.follower_index import index_key
from services.timeline.presence import LIVE_PREFIX, live_key

if TYPE_CHECKING:
    from services.container import Services

AUTHOR = 900_000_001
POST = 900_000_777
BASE = 910_000_000


def _mixes() -> dict[str, tuple[int, float, float, float]]:
    """name: (followers, share active, share of the active with a feed, share of those live)."""
    return {
        "all active, none live": (1000, 1.0, 1.0, 0.0),
        "all live": (300, 1.0, 1.0, 1.0),
        "none active": (257, 0.0, 1.0, 0.0),
        "scattered": (1000, 0.93, 0.9, 0.03),
        "half and half": (64, 0.5, 0.5, 0.5),
        "one follower": (1, 1.0, 1.0, 1.0),
    }


@pytest.mark.parametrize("mix", list(_mixes()))
async def test_each_follower_gets_what_its_own_keys_say(services: Services, mix: str) -> None:
    followers, share_active, share_with_feed, share_live = _mixes()[mix]
    redis = services.stores.redis
    rng = random.Random(mix)
    ids = [BASE + i for i in range(followers)]
    active = {i for i in ids if rng.random() < share_active}
    with_feed = {i for i in active if rng.random() < share_with_feed}
    # Live followers without a feed (or inactive) must not be reported: they got nothing
    live = {i for i in ids if rng.random() < share_live}
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(index_key(AUTHOR), {"0": 0, **{str(i): i for i in ids}})
        for user in ids:
            if user in active:
                pipe.set(active_key(user), 1, ex=600)
            if user in with_feed:
                pipe.zadd(feed_key(user), {SENTINEL: 0})
            if user in live:
                pipe.hset(live_key(user), "socket", "1")
        await pipe.execute()

    store = FeedStore(redis, cluster=False)
    pushed = await store.push_range(
        index_key(AUTHOR), BASE, None, count=5000, post_id=POST, author_id=AUTHOR, cap=800,
        live_prefix=LIVE_PREFIX,
    )  # fmt: skip

    assert pushed.read == followers
    assert pushed.last_id == ids[-1]
    assert pushed.removed == followers - len(active)
    assert pushed.live == sorted(live & with_feed)
    member = feed_member(POST, AUTHOR)
    async with redis.pipeline(transaction=False) as pipe:
        for user in ids:
            pipe.zscore(feed_key(user), member)
        scores = await pipe.execute()
    assert {user for user, score in zip(ids, scores, strict=True) if score is not None} == with_feed
    assert not any([await redis.exists(feed_key(user)) for user in set(ids) - with_feed])
    remaining = {int(m) for m in await redis.zrange(index_key(AUTHOR), 0, -1)} - {0}
    assert remaining == active


async def test_a_full_feed_is_trimmed_and_its_floor_raised(services: Services) -> None:
    redis = services.stores.redis
    user = BASE + 1
    await redis.zadd(index_key(AUTHOR), {"0": 0, str(user): user})
    await redis.set(active_key(user), 1, ex=600)
    await redis.zadd(feed_key(user), {SENTINEL: 0, **{f"{p}:{AUTHOR}": p for p in range(100, 103)}})

    pushed = await FeedStore(redis, cluster=False).push_range(
        index_key(AUTHOR),
        BASE,
        None,
        count=10,
        post_id=POST,
        author_id=AUTHOR,
        cap=3,
        live_prefix=LIVE_PREFIX,
    )

    assert pushed.read == 1
    members = await redis.zrange(feed_key(user), 0, -1)
    assert members == [SENTINEL, f"101:{AUTHOR}", f"102:{AUTHOR}", feed_member(POST, AUTHOR)]
    assert await redis.get(feed_floor_key(user)) == "100"
