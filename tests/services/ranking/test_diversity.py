"""The diversity re-rank: at most 2 posts by one author in any 10 in a row, whenever possible."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.ranking.diversity import PER_AUTHOR, SPAN, diversify
from services.ranking.scoring import RankedPost, Reason, ScoreInputs

_INPUTS = ScoreInputs(0, 1, 0, 0, 0, 0, 0, 0, 0, 0, shown_before=False, score=1)


def posts(authors: list[int]) -> list[RankedPost]:
    """Ranked posts, best first, by these authors."""
    return [
        RankedPost(post_id=1000 - i, author_id=a, reason=Reason.NEW, inputs=_INPUTS)
        for i, a in enumerate(authors)
    ]


def worst_window(ranked: list[RankedPost]) -> int:
    authors = [post.author_id for post in ranked]
    return max(
        max(Counter(authors[start : start + SPAN]).values())
        for start in range(max(1, len(authors) - SPAN + 1))
    )


def test_a_prolific_favourite_is_spread_out() -> None:
    ranked = diversify(posts([1] * 6 + [2, 3, 4, 5, 6, 7, 8, 9] * 2))
    authors = [post.author_id for post in ranked]
    assert authors[:2] == [1, 1], "the best posts keep their places"
    assert authors[2:10] == [2, 3, 4, 5, 6, 7, 8, 9], "then others, in their order"
    assert worst_window(ranked) == PER_AUTHOR


@pytest.mark.parametrize("seed", range(60))
def test_each_place_goes_to_the_best_post_the_rule_allows(seed: int) -> None:
    """Replayed place by place: the rule is broken only when every post left would break it,
    and otherwise each place holds the best-ranked post whose author is under the limit."""
    rng = random.Random(seed)
    authors = rng.randint(1, 25)
    # Skewed, as real feeds are: a few authors post most
    weights = [1 / (rank + 1) ** rng.uniform(0.5, 2) for rank in range(authors)]
    ranked = posts(rng.choices(range(authors), weights=weights, k=rng.randint(1, 150)))
    result = diversify(ranked)
    assert sorted(p.post_id for p in result) == sorted(p.post_id for p in ranked), "a permutation"
    rank = {post.post_id: index for index, post in enumerate(ranked)}
    left = sorted(ranked, key=lambda post: rank[post.post_id])
    for index, post in enumerate(result):
        window = Counter(p.author_id for p in result[max(0, index - SPAN + 1) : index])
        allowed = [p for p in left if window[p.author_id] < PER_AUTHOR]
        if allowed:
            assert post == allowed[0], (seed, index)
        else:
            assert min(window[p.author_id] for p in left) == window[post.author_id], "least over the limit"
        left.remove(post)


def test_with_enough_authors_the_rule_holds_everywhere() -> None:
    rng = random.Random(7)
    ranked = posts([rng.randrange(12) for _ in range(120)])
    # Enough authors with enough posts: checked on the part before the last few authors run out
    assert worst_window(diversify(ranked)[:80]) <= PER_AUTHOR


def test_each_authors_posts_keep_their_order() -> None:
    ranked = posts([1, 1, 1, 2, 2, 3, 1, 2, 3, 4, 5])
    result = diversify(ranked)
    for author in (1, 2, 3):
        mine = [p.post_id for p in result if p.author_id == author]
        assert mine == sorted(mine, reverse=True)


def test_too_few_authors_relaxes_the_rule_instead_of_dropping_posts() -> None:
    ranked = posts([1] * 5 + [2] * 3)
    result = diversify(ranked)
    assert [p.author_id for p in result] == [1, 1, 2, 2, 1, 2, 1, 1], "alternating as far as it can"
    assert len(result) == 8


def test_empty() -> None:
    assert diversify([]) == []
