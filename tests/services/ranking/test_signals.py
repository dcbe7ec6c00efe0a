"""Engagement signals on a real Redis: decayed sums that match their formula, exact removals,
bounded memory per viewer, and velocity kept only while a post can be ranked."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from services.foundation.ids import id_floor_for
from services.ranking.config import HOUR_S
from services.ranking.signals import (
    AFFINITY_CAP,
    VISIT_GATE_S,
    Engagement,
    affinity_key,
    velocity_key,
    visit_gate_key,
)

if TYPE_CHECKING:
    from services.container import Services

VIEWER, AUTHOR = 11, 22
AFFINITY_H, VELOCITY_H, WINDOW_H = 336, 6, 72  # the defaults


def post_made(at_s: float) -> int:
    return id_floor_for(datetime.fromtimestamp(at_s, UTC)) + 1


async def test_affinity_is_the_decayed_count_of_engagements(services: Services) -> None:
    signals, now = services.signals, time.time()
    post = post_made(now - 50 * HOUR_S)
    for hours_ago in (48, 24, 0):
        await signals.on_like(VIEWER, post, AUTHOR, at_s=now - hours_ago * HOUR_S)
    await signals.on_comment(VIEWER, post, AUTHOR, at_s=now - 336 * HOUR_S)
    affinities, _ = await signals.read(VIEWER, [AUTHOR], [], now)
    expected_likes = 2 ** (-48 / AFFINITY_H) + 2 ** (-24 / AFFINITY_H) + 1
    assert affinities[AUTHOR].likes == pytest.approx(expected_likes, rel=1e-9)
    assert affinities[AUTHOR].comments == pytest.approx(0.5, rel=1e-9), "one half-life old"
    assert affinities[AUTHOR].visits == 0
    # Nothing is rewritten as time passes: a reader a half-life later sees half
    later, _ = await signals.read(VIEWER, [AUTHOR], [], now + AFFINITY_H * HOUR_S)
    assert later[AUTHOR].likes == pytest.approx(expected_likes / 2, rel=1e-9)


async def test_velocity_is_the_posts_decayed_engagement(services: Services) -> None:
    signals, now = services.signals, time.time()
    post = post_made(now - 2 * HOUR_S)
    await signals.on_like(1, post, AUTHOR, at_s=now - 6 * HOUR_S + 3600)
    await signals.on_like(2, post, AUTHOR, at_s=now)
    await signals.on_comment(3, post, AUTHOR, at_s=now)
    await signals.on_like(AUTHOR, post, AUTHOR, at_s=now)  # the author's own like is engagement too
    _, velocities = await signals.read(VIEWER, [], [post], now)
    assert velocities[post].likes == pytest.approx(2 ** (-5 / VELOCITY_H) + 2, rel=1e-9)
    assert velocities[post].comments == pytest.approx(1, rel=1e-9)
    # ... but not a sign of the author's taste for themselves
    affinities, _ = await signals.read(AUTHOR, [AUTHOR], [], now)
    assert affinities[AUTHOR].likes == 0
    # Kept until the post leaves the ranking window, plus an hour of grace
    ttl = await services.stores.redis.ttl(velocity_key(post))
    assert (WINDOW_H - 2) * HOUR_S < ttl <= (WINDOW_H - 2) * HOUR_S + 3600


async def test_posts_older_than_the_window_keep_no_velocity(services: Services) -> None:
    now = time.time()
    old_post = post_made(now - (WINDOW_H + 1) * HOUR_S)
    await services.signals.on_like(VIEWER, old_post, AUTHOR, at_s=now)
    assert not await services.stores.redis.exists(velocity_key(old_post))
    affinities, _ = await services.signals.read(VIEWER, [AUTHOR], [], now)
    assert affinities[AUTHOR].likes == pytest.approx(1), "the like still tells about the viewer"


async def test_removals_take_back_what_was_added_and_never_go_below_zero(services: Services) -> None:
    signals, now = services.signals, time.time()
    post = post_made(now - HOUR_S)
    comment_at = now - 30 * HOUR_S
    comment_id = id_floor_for(datetime.fromtimestamp(comment_at, UTC)) + 5
    await signals.on_comment(VIEWER, post, AUTHOR, at_s=comment_at)
    await signals.on_comment(VIEWER, post, AUTHOR, at_s=now)
    await signals.on_comment_deleted(VIEWER, comment_id, post, AUTHOR)
    affinities, _ = await signals.read(VIEWER, [AUTHOR], [], now)
    assert affinities[AUTHOR].comments == pytest.approx(1, rel=1e-6), "the old one, exactly, by its id's time"
    # A like from a day ago, undone now: taking a fresh like's weight empties the count
    await signals.on_like(VIEWER, post, AUTHOR, at_s=now - 24 * HOUR_S)
    await signals.on_unlike(VIEWER, post, AUTHOR)
    affinities, velocities = await signals.read(VIEWER, [AUTHOR], [post], now)
    assert affinities[AUTHOR].likes == 0
    assert velocities[post].likes == 0
    assert await services.stores.redis.zscore(affinity_key(VIEWER, Engagement.LIKES), str(AUTHOR)) is None
    # A removal with nothing to remove changes nothing
    await signals.on_unlike(VIEWER, post, 999)
    await signals.on_comment_deleted(VIEWER, comment_id, post, None)


async def test_each_viewer_keeps_only_the_strongest_authors(services: Services) -> None:
    signals, now = services.signals, time.time()
    post = post_made(now)
    # Two faint old likes, then one recent like each for more authors than the cap
    await signals.on_like(VIEWER, post, 1, at_s=now - 1000 * HOUR_S)
    await signals.on_like(VIEWER, post, 2, at_s=now - 900 * HOUR_S)
    for author in range(100, AFFINITY_CAP + 100):
        await signals.on_like(VIEWER, post, author, at_s=now)
    key = affinity_key(VIEWER, Engagement.LIKES)
    assert await services.stores.redis.zcard(key) == AFFINITY_CAP
    affinities, _ = await signals.read(VIEWER, [1, 2, 100], [], now)
    assert (affinities[1].likes, affinities[2].likes) == (0, 0), "the weakest went"
    assert affinities[100].likes == pytest.approx(1)
    assert 8 * AFFINITY_H * HOUR_S - 60 < await services.stores.redis.ttl(key) <= 8 * AFFINITY_H * HOUR_S


async def test_a_profile_read_in_a_loop_is_one_visit(services: Services) -> None:
    signals, now = services.signals, time.time()
    for _ in range(5):
        await signals.on_profile_view(VIEWER, AUTHOR, at_s=now)
    await signals.on_profile_view(VIEWER, VIEWER, at_s=now)  # one's own profile is not a visit
    affinities, _ = await signals.read(VIEWER, [AUTHOR, VIEWER], [], now)
    assert affinities[AUTHOR].visits == pytest.approx(1)
    assert affinities[VIEWER].visits == 0
    assert 0 < await services.stores.redis.ttl(visit_gate_key(VIEWER, AUTHOR)) <= VISIT_GATE_S
    # Ten minutes on, a visit counts again
    await signals.on_profile_view(VIEWER, AUTHOR, at_s=now + VISIT_GATE_S - 1)
    await signals.on_profile_view(VIEWER, AUTHOR, at_s=now + VISIT_GATE_S)
    affinities, _ = await signals.read(VIEWER, [AUTHOR], [], now)
    assert affinities[AUTHOR].visits == pytest.approx(2, rel=1e-3)
