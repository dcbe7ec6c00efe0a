"""The score is the documented formula, and each reason names the term that placed the post."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import pytest

from aperture.settings import Settings
from services.foundation.ids import id_floor_for
from services.ranking.config import RankingConfig
from services.ranking.scoring import Candidate, Reason, explain, ranking_order, score
from services.ranking.signals import AuthorAffinity, PostVelocity

CONFIG = RankingConfig.from_settings(Settings())
VIEWER, AUTHOR = 1, 2
NOW = time.time()


def posted(hours_ago: float) -> int:
    return id_floor_for(datetime.fromtimestamp(NOW - hours_ago * 3600, UTC))


def scored(
    hours_ago: float = 0.0,
    affinity: AuthorAffinity | None = None,
    velocity: PostVelocity | None = None,
    *,
    author: int = AUTHOR,
    followers: int = 0,
    shown: bool = False,
    config: RankingConfig = CONFIG,
) -> tuple[Reason, float]:
    post = explain(
        posted(hours_ago),
        author,
        viewer_id=VIEWER,
        affinity=affinity or AuthorAffinity(),
        velocity=velocity or PostVelocity(),
        followers=followers,
        shown_before=shown,
        now_s=NOW,
        config=config,
    )
    return post.reason, post.inputs.score


def test_the_score_is_the_documented_formula() -> None:
    post = explain(
        posted(6),
        AUTHOR,
        viewer_id=VIEWER,
        affinity=AuthorAffinity(likes=2, comments=1, visits=4),
        velocity=PostVelocity(likes=5, comments=2),
        followers=1900,
        shown_before=False,
        now_s=NOW,
        config=CONFIG,
    )
    inputs = post.inputs
    assert inputs.age_hours == pytest.approx(6, abs=1e-3)
    assert inputs.recency == pytest.approx(2 ** (-6 / 12), rel=1e-4)
    assert inputs.affinity == pytest.approx(math.log(1 + 2 * 1 + 1 * 3 + 4 * 0.5))
    assert inputs.velocity == pytest.approx(math.log(1 + (5 * 1 + 2 * 3) / 19))
    assert inputs.author_followers == 1900
    assert inputs.score == pytest.approx(1 * inputs.recency + 1 * inputs.affinity + 0.5 * inputs.velocity)
    assert post.reason is Reason.OFTEN_COMMENTED, (
        "3 for one comment outweighs 2 for two likes and 2 for four visits"
    )
    # Every candidate is sorted by `score`, which is the score `explain` shows
    signals = (AuthorAffinity(likes=2, comments=1, visits=4), PostVelocity(likes=5, comments=2))
    assert score(post.post_id, *signals, 1900, now_s=NOW, config=CONFIG) == inputs.score


def test_reasons() -> None:
    assert scored(1)[0] is Reason.NEW
    assert scored(30)[0] is Reason.FOLLOWED
    assert scored(author=VIEWER, affinity=AuthorAffinity(likes=9))[0] is Reason.OWN_POST
    assert scored(shown=True, affinity=AuthorAffinity(likes=9))[0] is Reason.SHOWN_BEFORE
    assert scored(affinity=AuthorAffinity(likes=1.5))[0] is Reason.NEW, "one or two likes are not 'often'"
    assert scored(affinity=AuthorAffinity(likes=3))[0] is Reason.OFTEN_LIKED
    assert scored(affinity=AuthorAffinity(visits=6))[0] is Reason.OFTEN_VISITED
    assert scored(velocity=PostVelocity(likes=4))[0] is Reason.POPULAR
    assert scored(velocity=PostVelocity(likes=4), followers=100)[0] is Reason.POPULAR
    assert scored(velocity=PostVelocity(likes=40), followers=5000)[0] is Reason.NEW, (
        "its audience brings that"
    )
    # Both: the larger weighted term names the reason
    assert scored(affinity=AuthorAffinity(likes=3), velocity=PostVelocity(likes=4))[0] is Reason.OFTEN_LIKED
    assert scored(affinity=AuthorAffinity(likes=3), velocity=PostVelocity(comments=30))[0] is Reason.POPULAR
    # A term weighted to zero never names the reason
    no_affinity = RankingConfig.from_settings(Settings(ranking_weights="affinity=0"))
    assert scored(affinity=AuthorAffinity(likes=30), config=no_affinity)[0] is Reason.NEW


def test_recency_alone_orders_newest_first_and_signals_lift_older_posts() -> None:
    assert scored(1)[1] > scored(5)[1] > scored(50)[1]
    assert scored(24, affinity=AuthorAffinity(likes=3))[1] > scored(0)[1]
    assert scored(24, velocity=PostVelocity(comments=5))[1] > scored(0)[1]
    # The same engagement lifts a post more when its author's audience is smaller
    assert (
        scored(velocity=PostVelocity(likes=50), followers=1000)[1]
        > scored(velocity=PostVelocity(likes=50), followers=100_000)[1]
    )


def test_posts_shown_before_sort_after_all_others() -> None:
    fresh = explain(
        posted(40), AUTHOR, viewer_id=VIEWER, affinity=AuthorAffinity(), velocity=PostVelocity(),
        followers=0, shown_before=False, now_s=NOW, config=CONFIG,
    )  # fmt: skip
    seen = explain(
        posted(0), AUTHOR, viewer_id=VIEWER, affinity=AuthorAffinity(likes=50), velocity=PostVelocity(),
        followers=0, shown_before=True, now_s=NOW, config=CONFIG,
    )  # fmt: skip
    assert seen.inputs.score > fresh.inputs.score
    candidates = [
        Candidate(p.post_id, p.author_id, p.inputs.score, p.inputs.shown_before) for p in (seen, fresh)
    ]
    assert [c.post_id for c in sorted(candidates, key=ranking_order)] == [fresh.post_id, seen.post_id]
