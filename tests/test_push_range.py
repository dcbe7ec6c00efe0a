"""The range push (feed_scripts.PUSH_RANGE) against real Redis: whatever mix of followers a
chunk holds, each gets exactly what a check of its own keys would give it.

The script asks "whose feed exists" and "who is live" of a whole chunk at once and narrows
mixed runs down by halves, so the mixes below are chosen to reach every branch: runs where
none, all or some keys exist, single keys, and chunks split across calls.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import pytest

from services.timeline.feed_store import (
    SENTINEL,
    FeedStore,
    checks_cap,
    feed_floor_key,
    feed_key,
    feed_member,
)
from services.timeline.follower_index import index_key
from services.timeline.presence import LIVE_USERS_KEY

if TYPE_CHECKING:
    from services.container import Services

AUTHOR = 900_000_001
POST = 900_000_777
BASE = 910_000_000


def _mixes() -> dict[str, tuple[int, float, float]]:
    """name: (followers, share with a feed, share live)."""
    return {
        "all with a feed, none live": (1000, 1.0, 0.0),
        "all live": (300, 1.0, 1.0),
        "none with a feed": (257, 0.0, 0.0),
        "scattered": (1000, 0.85, 0.03),
        "half and half": (64, 0.5, 0.5),
        "one follower": (1, 1.0, 1.0),
    }


@pytest.mark.parametrize("mix", list(_mixes()))
async def test_each_follower_gets_what_its_own_keys_say(services: Services, mix: str) -> None:
    followers, share_with_feed, share_live = _mixes()[mix]
    redis = services.stores.redis
    rng = random.Random(mix)
    ids = [BASE + i for i in range(followers)]
    with_feed = {i for i in ids if rng.random() < share_with_feed}
    # Live followers without a feed must not be reported: they got nothing
    live = {i for i in ids if rng.random() < share_live}
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(index_key(AUTHOR), {"0": 0, **{str(i): i for i in ids}})
        for user in with_feed:
            pipe.zadd(feed_key(user), {SENTINEL: 0})
        await pipe.execute()
    for user in live:
        await services.presence.mark_live(user, "socket")

    store = FeedStore(redis, cluster=False)
    pushed = await store.push_range(
        index_key(AUTHOR), BASE, None, count=5000, post_id=POST, author_id=AUTHOR, cap=800,
        live_users_key=LIVE_USERS_KEY,
    )  # fmt: skip

    assert pushed.read == followers
    assert pushed.last_id == ids[-1]
    assert pushed.removed == followers - len(with_feed)
    assert pushed.live == sorted(live & with_feed)
    member = feed_member(POST, AUTHOR)
    async with redis.pipeline(transaction=False) as pipe:
        for user in ids:
            pipe.zscore(feed_key(user), member)
        scores = await pipe.execute()
    assert {user for user, score in zip(ids, scores, strict=True) if score is not None} == with_feed
    assert not any([await redis.exists(feed_key(user)) for user in set(ids) - with_feed])
    remaining = {int(m) for m in await redis.zrange(index_key(AUTHOR), 0, -1)} - {0}
    assert remaining == with_feed, "followers without a feed leave the index, the others stay"


async def test_live_means_a_socket_still_open(services: Services) -> None:
    """A follower whose last socket closed, or whose mark ran out, is not reported live."""
    redis = services.stores.redis
    ids = [BASE + i for i in range(4)]
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(index_key(AUTHOR), {"0": 0, **{str(i): i for i in ids}})
        for user in ids:
            pipe.zadd(feed_key(user), {SENTINEL: 0})
        await pipe.execute()
    presence = services.presence
    await presence.mark_live(ids[0], "a")
    await presence.mark_live(ids[1], "a")
    await presence.mark_live(ids[1], "b")
    await presence.clear(ids[1], "a")  # one of two sockets closed: still live
    await presence.mark_live(ids[2], "a")
    await presence.clear(ids[2], "a")  # the only socket closed
    await presence.mark_live(ids[3], "a", ttl_s=1)
    await asyncio.sleep(2.1)  # the mark ran out (a crashed API process stopped refreshing it)

    pushed = await FeedStore(redis, cluster=False).push_range(
        index_key(AUTHOR), BASE, None, count=10, post_id=POST, author_id=AUTHOR, cap=800,
        live_users_key=LIVE_USERS_KEY,
    )  # fmt: skip

    assert pushed.read == len(ids)
    assert pushed.live == [ids[0], ids[1]]
    assert [await presence.is_live(user) for user in ids] == [True, True, False, False]


async def _push_posts(services: Services, user: int, posts: list[int], cap: int) -> None:
    store = FeedStore(services.stores.redis, cluster=False)
    for post in posts:
        await store.push_range(
            index_key(AUTHOR), BASE, None, count=10, post_id=post, author_id=AUTHOR, cap=cap,
            live_users_key=LIVE_USERS_KEY,
        )  # fmt: skip


async def _one_follower(services: Services, user: int, posts: range) -> None:
    redis = services.stores.redis
    await redis.zadd(index_key(AUTHOR), {"0": 0, str(user): user})
    await redis.zadd(feed_key(user), {SENTINEL: 0, **{f"{p}:{AUTHOR}": p for p in posts}})


async def test_a_full_feed_is_trimmed_on_its_turn_and_its_floor_raised(services: Services) -> None:
    redis = services.stores.redis
    user = BASE + 1
    await _one_follower(services, user, range(100, 103))
    candidates = range(POST, POST + 64)
    waiting = [p for p in candidates if not checks_cap(user, p)][:2]
    turn = next(p for p in candidates if p > max(waiting) and checks_cap(user, p))

    # Not this feed's turn: the post is added and the feed outgrows its cap for now
    await _push_posts(services, user, waiting, cap=3)
    assert await redis.zrange(feed_key(user), 0, -1) == [
        SENTINEL, *[f"{p}:{AUTHOR}" for p in (100, 101, 102)], *[feed_member(p, AUTHOR) for p in waiting]
    ]  # fmt: skip
    assert await redis.get(feed_floor_key(user)) is None
    # Its turn: cut back to the cap, the floor raised to the newest entry cut
    await _push_posts(services, user, [turn], cap=3)
    members = await redis.zrange(feed_key(user), 0, -1)
    assert members == [SENTINEL, *[feed_member(p, AUTHOR) for p in (*waiting, turn)]]
    assert await redis.get(feed_floor_key(user)) == "102"


async def test_every_feed_gets_its_turn_and_stays_exact_above_its_floor(services: Services) -> None:
    """Over many posts, each follower's feed is cut back now and then, never loses a post
    above its floor, and holds at most what arrived since its last turn beyond the cap."""
    redis = services.stores.redis
    users = [BASE + digit for digit in range(10)]  # every last digit
    await redis.zadd(index_key(AUTHOR), {"0": 0, **{str(u): u for u in users}})
    for user in users:
        await redis.zadd(feed_key(user), {SENTINEL: 0})
    posts = list(range(POST, POST + 120))
    since_turn = dict.fromkeys(users, 0)
    store = FeedStore(redis, cluster=False)
    for post in posts:
        await store.push_range(
            index_key(AUTHOR), BASE, None, count=20, post_id=post, author_id=AUTHOR, cap=5,
            live_users_key=LIVE_USERS_KEY,
        )  # fmt: skip
        for user in users:
            since_turn[user] = 0 if checks_cap(user, post) else since_turn[user] + 1
            size = await redis.zcard(feed_key(user)) - 1
            assert size <= 5 + since_turn[user], (user, post)
    for user in users:
        floor = int(await redis.get(feed_floor_key(user)) or 0)
        assert floor > POST, f"{user}'s feed was never cut back"
        kept = {int(m.split(":")[0]) for m in await redis.zrange(feed_key(user), 1, -1)}
        assert kept >= {p for p in posts if p > floor}
        assert min(kept) > floor
